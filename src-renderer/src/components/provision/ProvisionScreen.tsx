/**
 * Provision: is the open blueprint's lab up here and on which provider, the
 * providers usable on this computer (and why not), Up (whole lab or VMs
 * only) and Down, per-VM progress from `lab:step` events, a live log, cancel
 * and the result.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import type { VmnetClash } from '../../../../src-main/shared/ipc/contract';
import { render } from '../../../../src-main/shared/i18n';
import { useT } from '../../i18n/useT';
import { LAB_ROW, emptyRow, taskText, type VmProgress } from '../../lib/lab-steps';
import { useApp } from '../../stores/app-store';
import { tasksOf, useLab, type ProviderKind } from '../../stores/lab-store';
import { SettingsLinked } from '../settings/SettingsLink';
import { ClashDialog, Preflight } from './Preflight';
import { LabGate, StateIcon } from '../shell/LabGate';
import { LabHeader } from '../shell/LabHeader';

export function ProvisionScreen() {
  return <LabGate screen="provision">{(lab) => <Provision lab={lab} />}</LabGate>;
}

function Provision({ lab }: { lab: ResolvedLab }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const status = useLab((s) => s.status[lab.name]);
  const tasks = useApp((s) => s.tasks);
  const labTasks = useMemo(() => tasksOf(tasks, lab.name, ['up', 'down']), [tasks, lab.name]);
  const running = useMemo(() => Object.values(tasks).find((x) => x.lab === lab.name && x.state === 'running'), [tasks, lab.name]);
  const last = labTasks.at(-1);
  const result = status?.result;
  const choice = useLab((s) => s.choice.provider);
  const stage = useLab((s) => s.choice.stage);
  const setChoice = (provider: ProviderKind) => useLab.getState().setChoice({ provider });
  const setStage = (st: 'all' | 'vms') => useLab.getState().setChoice({ stage: st });
  const [confirmDown, setConfirmDown] = useState(false);
  const [clashes, setClashes] = useState<VmnetClash[] | undefined>();
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    void useLab.getState().refreshStatus();
  }, [lab.name]);

  const usable = result?.providers.filter((p) => p.usable) ?? [];
  // The lab's own provider when it is up, else the student's pick, else the first usable one.
  const provider = result?.provider ?? choice ?? usable[0]?.kind;
  const up = result?.provider != null;
  const running_ = result?.vms.filter((v) => v.state === 'running').length ?? 0;

  // On VMware, show what `up` would meet (a vmnet8 clash) before anything runs; on Incus/LXD, the server, its networks and where each VM runs.
  useEffect(() => {
    if ((provider === 'vmware' || provider === 'incus') && usable.some((p) => p.kind === provider) && !running) void useLab.getState().runPreflight(provider);
  }, [provider, lab, !!running, usable.length]);

  /** Up: on VMware, ask the host first; a clash needs the user's yes (or an edit of the blueprint). */
  const start = async () => {
    if (!provider) return;
    if (provider === 'vmware') {
      setStarting(true);
      const pf = await useLab.getState().runPreflight('vmware');
      setStarting(false);
      if (pf?.clashes.length) {
        setClashes(pf.clashes);
        return;
      }
    }
    await useLab.getState().up(provider, stage);
  };

  return (
    <div className="lab-screen" data-testid="screen-provision">
      <LabHeader lab={lab}>
        <span className={`pill ${up ? (running_ === lab.nodes.length ? 'pill-ok' : 'pill-warn') : 'pill-muted'}`} data-testid="lab-state">
          {!result ? t('provision.checking') : up ? t('provision.upOn', { provider: t(`provider.${result.provider!}`), running: running_, total: lab.nodes.length }) : t('provision.notUp')}
        </span>
        <button type="button" className="small" data-testid="status-refresh" disabled={status?.loading} onClick={() => void useLab.getState().refreshStatus()}>
          {status?.loading ? t('provision.refreshing') : t('provision.refresh')}
        </button>
      </LabHeader>
      {status?.error && <p className="field-error">{t('provision.statusFailed', { reason: status.error })}</p>}

      <div className="lab-grid">
        <section className="panel">
          <h3>{t('provision.provider')}</h3>
          <div className="provider-list" role="radiogroup" aria-label={t('provision.provider')}>
            {(result?.providers ?? []).map((p) => {
              const locked = up && result?.provider !== p.kind;
              const on = provider === p.kind;
              return (
                <button
                  key={p.kind}
                  type="button"
                  role="radio"
                  aria-checked={on}
                  className={`provider${on ? ' on' : ''}`}
                  disabled={!p.usable || locked || !!running}
                  data-testid={`provider-${p.kind}`}
                  onClick={() => setChoice(p.kind)}
                >
                  <b>{t(`provider.${p.kind}`)}</b>
                  <span>{t(`provider.${p.kind}.hint`)}</span>
                  {!p.usable && (
                    <span className="provider-why" data-testid={`provider-why-${p.kind}`}>
                      <SettingsLinked text={p.reasonMsg ? render(lang, p.reasonMsg) : (p.reason ?? '')} />
                      {(p.fixMsg ?? p.fix) && (
                        <em>
                          {' '}
                          <SettingsLinked text={t('problems.fix', { fix: p.fixMsg ? render(lang, p.fixMsg) : (p.fix ?? '') })} />
                        </em>
                      )}
                    </span>
                  )}
                  {p.usable && locked && <span className="provider-why">{t('provision.lockedProvider', { provider: t(`provider.${result!.provider!}`) })}</span>}
                </button>
              );
            })}
            {!result && <p className="muted">{t('provision.checking')}</p>}
          </div>
          <h3>{t('provision.stage')}</h3>
          <div className="segmented" role="radiogroup">
            {(['all', 'vms'] as const).map((s) => (
              <button key={s} type="button" role="radio" aria-checked={stage === s} className={stage === s ? 'on' : undefined} data-testid={`stage-${s}`} onClick={() => setStage(s)}>
                {t(`provision.stage.${s}`)}
              </button>
            ))}
          </div>
          <p className="muted small-text">{t(`provision.stage.${stage}.hint`)}</p>
          <div className="row-actions">
            <button type="button" className="primary" data-testid="lab-up" disabled={!!running || starting || !provider || !usable.some((p) => p.kind === provider)} onClick={() => void start()}>
              {up ? t('provision.upAgain') : t('provision.up')}
            </button>
            {running && (
              <button type="button" data-testid="lab-cancel" onClick={() => void useLab.getState().cancel(running.id)}>
                {t('provision.cancel')}
              </button>
            )}
            {!confirmDown ? (
              <button type="button" className="danger" data-testid="lab-down" disabled={!!running || !up} onClick={() => setConfirmDown(true)}>
                {t('provision.down')}
              </button>
            ) : (
              <span className="confirm" data-testid="down-confirm">
                {t('provision.downConfirm', { count: lab.nodes.length })}
                <button type="button" className="danger" data-testid="lab-down-confirm" onClick={() => (setConfirmDown(false), void useLab.getState().down())}>
                  {t('provision.downYes')}
                </button>
                <button type="button" onClick={() => setConfirmDown(false)}>
                  {t('dialog.cancel')}
                </button>
              </span>
            )}
          </div>
          {last && <TaskResult task={last} />}
          {(provider === 'vmware' || provider === 'incus') && !up && !running && <Preflight lab={lab.name} />}
        </section>

        <section className="panel panel-wide">
          <h3>{t('provision.vms')}</h3>
          <VmTable lab={lab} taskId={last?.kind === 'up' ? last.id : undefined} />
        </section>
      </div>
      <LogPane taskId={last?.id} />
      {clashes && (
        <ClashDialog
          clashes={clashes}
          onReconfigure={() => {
            setClashes(undefined);
            void useLab.getState().up('vmware', stage, { reconfigureVmnet8: true });
          }}
          onEdit={() => {
            setClashes(undefined);
            useApp.getState().setScreen('design');
          }}
          onClose={() => setClashes(undefined)}
        />
      )}
    </div>
  );
}

function TaskResult({ task }: { task: ReturnType<typeof tasksOf>[number] }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const step = taskText(task, 'step', lang);
  const error = taskText(task, 'error', lang);
  if (task.state === 'running')
    return (
      <div className="result result-running" data-testid="provision-result" data-state="running">
        <StateIcon state="running" />
        <div>
          <b>{task.kind === 'up' ? t('provision.running.up') : t('provision.running.down')}</b>
          {step && <div className="muted">{step}</div>}
          {task.progress !== undefined && (
            <div className="meter">
              <div style={{ width: `${Math.round(task.progress * 100)}%`, background: 'var(--accent)' }} />
            </div>
          )}
        </div>
      </div>
    );
  return (
    <div className={`result result-${task.state}`} data-testid="provision-result" data-state={task.state}>
      <StateIcon state={task.state} />
      <div>
        <b>{t(`provision.result.${task.kind === 'up' ? 'up' : 'down'}.${task.state}`)}</b>
        {error && (
          <pre className="result-error">
            <SettingsLinked text={error} />
          </pre>
        )}
      </div>
    </div>
  );
}

function VmTable({ lab, taskId }: { lab: ResolvedLab; taskId?: string }) {
  const t = useT();
  const vms = useLab((s) => s.status[lab.name]?.result?.vms);
  const rows = useLab((s) => (taskId ? s.progress[taskId]?.rows : undefined));
  const labRow = rows?.[LAB_ROW];
  const list: { name: string; power?: string; addresses: string[]; p: VmProgress }[] = lab.nodes.map((n) => {
    const st = vms?.find((v) => v.name === n.hostname);
    return { name: n.hostname, power: st?.state, addresses: st?.addresses ?? [], p: rows?.[n.hostname] ?? emptyRow(n.hostname) };
  });
  return (
    <table className="data-table" data-testid="vm-table">
      <thead>
        <tr>
          <th />
          <th>{t('provision.col.vm')}</th>
          <th>{t('provision.col.power')}</th>
          <th>{t('provision.col.addresses')}</th>
          <th>{t('provision.col.step')}</th>
          <th className="num">{t('provision.col.steps')}</th>
        </tr>
      </thead>
      <tbody>
        {labRow && <ProgressRow name={t('provision.labRow')} addresses={[]} p={labRow} testId="vm-row-lab" />}
        {list.map((r) => (
          <ProgressRow key={r.name} name={r.name} power={r.power} addresses={r.addresses} p={r.p} testId={`vm-row-${r.name}`} />
        ))}
      </tbody>
    </table>
  );
}

function ProgressRow({ name, power, addresses, p, testId }: { name: string; power?: string; addresses: string[]; p: VmProgress; testId: string }) {
  const t = useT();
  return (
    <tr data-testid={testId} data-state={p.state} data-done={p.done}>
      <td className="icon-cell">
        <StateIcon state={p.state} />
      </td>
      <td>
        <b>{name}</b>
      </td>
      <td>{power && <span className={`power power-${power}`}>{t(`power.${(['running', 'off', 'absent', 'suspended'] as const).find((x) => x === power) ?? 'unknown'}`)}</span>}</td>
      <td className="mono">{addresses.join(', ')}</td>
      <td className={p.state === 'failed' ? 'bad' : undefined} title={p.error}>
        {p.state === 'failed' ? p.error : (p.current ?? <span className="muted">{t('provision.waiting')}</span>)}
      </td>
      <td className="num mono">
        {p.done}
        {p.failed > 0 && <span className="bad"> / {p.failed}✕</span>}
      </td>
    </tr>
  );
}

function LogPane({ taskId }: { taskId?: string }) {
  const t = useT();
  const log = useLab((s) => (taskId ? s.progress[taskId]?.log : undefined));
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [log]);
  return (
    <section className="log-pane" data-testid="provision-log">
      <header>
        <h3>{t('provision.log')}</h3>
        <span className="muted">{log ? t('provision.logLines', { count: log.length }) : ''}</span>
      </header>
      <div
        className="log-lines"
        ref={ref}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {!log?.length && <p className="muted">{t('provision.logEmpty')}</p>}
        {log?.map((l, i) => (
          <div key={i} className={l.bad ? 'log-line bad' : 'log-line'}>
            <span className="log-time">{new Date(l.at).toLocaleTimeString()}</span> {l.line}
          </div>
        ))}
      </div>
    </section>
  );
}
