/**
 * Drills: the blueprint's failover drills with what each one proves, a Run
 * button (disabled while any task runs on the lab), live progress (the
 * task's step and the monitor events since it started), and the lab's past
 * reports; opening one shows it in the app with Markdown/HTML export.
 */
import { useEffect, useMemo } from 'react';
import type { ResolvedLab } from '../../../../src-main/shared/blueprint/model';
import type { DrillName } from '../../../../src-main/shared/blueprint/schema';
import { textOf } from '../../../../src-main/shared/drills/report';
import { taskText } from '../../lib/lab-steps';
import { useT } from '../../i18n/useT';
import { useApp, type Task } from '../../stores/app-store';
import { tasksOf, useLab } from '../../stores/lab-store';
import { EventList } from '../dashboard/Logs';
import { LabGate, StateIcon } from '../shell/LabGate';
import { ReportView, VerdictBadge } from './ReportView';
import { LabHeader } from '../shell/LabHeader';
import { ForcePromotion } from './ForcePromotion';
import { HandInPanel } from './HandIn';

export function DrillsScreen() {
  return <LabGate screen="drills">{(lab) => <Drills lab={lab} />}</LabGate>;
}

/** When a task started, from the first time this page saw it. */
const startedAt = new Map<string, number>();

function Drills({ lab }: { lab: ResolvedLab }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const tasks = useApp((s) => s.tasks);
  const running = useMemo(() => Object.values(tasks).find((x) => x.lab === lab.name && x.state === 'running'), [tasks, lab.name]);
  const drillTasks = useMemo(() => tasksOf(tasks, lab.name, ['drill']), [tasks, lab.name]);
  const current = drillTasks.at(-1);
  const open = useLab((s) => s.open);
  // Not brought up on this computer: nothing to drill yet.
  const notUp = useLab((s) => s.status[lab.name]?.result?.provider === null);
  useEffect(() => {
    void useLab.getState().refreshReports(lab.name);
    void useLab.getState().refreshStatus();
  }, [lab.name]);
  for (const d of drillTasks) if (!startedAt.has(d.id)) startedAt.set(d.id, Date.now());

  return (
    <div className="lab-screen" data-testid="screen-drills">
      <LabHeader lab={lab}>
        <p className="muted head-note">{t('drills.intro')}</p>
      </LabHeader>
      <div className="drills-grid">
        <div className="drills-left">
          <section className="panel">
            <h3>{t('drills.available')}</h3>
            {lab.lab.drills.length === 0 && <p className="muted">{t('drills.none')}</p>}
            {notUp && lab.lab.drills.length > 0 && (
              <p className="muted" data-testid="drills-provision-first">
                {t('drills.provisionFirst')}
              </p>
            )}
            <ul className="drill-list">
              {lab.lab.drills.map((d) => (
                <DrillItem key={d} name={d} busy={running} notUp={notUp} />
              ))}
            </ul>
          </section>
          {lab.lab.drills.includes('db-primary-down') && <ForcePromotion lab={lab.name} disabled={!!running || notUp} disabledWhy={running ? t('drills.busy', { task: taskText(running, 'title', lang) ?? running.title }) : t('drills.provisionFirst')} />}
          {current && <Progress task={current} lab={lab.name} />}
          <HandInPanel />
        </div>
        <div className="drills-right">{open && open.lab === lab.name ? <ReportView /> : <Reports lab={lab.name} />}</div>
      </div>
    </div>
  );
}

function DrillItem({ name, busy, notUp }: { name: DrillName; busy?: Task; notUp?: boolean }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const mine = busy?.kind === 'drill' && busy.drill === name;
  return (
    <li className={`drill${mine ? ' drill-running' : ''}`} data-testid={`drill-${name}`}>
      <div className="drill-text">
        <b>{t(`drill.${name}`)}</b>
        <span className="muted">{t(`drillInfo.${name}`)}</span>
        <span className="mono muted small-text">{name}</span>
      </div>
      <button type="button" className="primary" data-testid={`drill-run-${name}`} disabled={!!busy || notUp} title={busy ? t('drills.busy', { task: taskText(busy, 'title', lang) ?? busy.title }) : notUp ? t('drills.provisionFirst') : undefined} onClick={() => void useLab.getState().runDrill(name)}>
        {mine ? t('drills.running') : t('drills.run')}
      </button>
    </li>
  );
}

function Progress({ task, lab }: { task: Task; lab: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const summary = useLab((s) => s.finished[task.id]);
  return (
    <section className="panel" data-testid="drill-progress" data-state={task.state}>
      <header className="panel-head">
        <h3>{t('drills.progress')}</h3>
        {task.state === 'running' && (
          <button type="button" className="small" data-testid="drill-cancel" onClick={() => void useLab.getState().cancel(task.id)}>
            {t('provision.cancel')}
          </button>
        )}
      </header>
      <div className="result">
        <StateIcon state={task.state === 'running' ? 'running' : summary?.verdict === 'passed' ? 'done' : task.state === 'canceled' ? 'canceled' : task.state === 'done' && !summary ? 'done' : 'failed'} />
        <div>
          <b>{taskText(task, 'title', lang)}</b>
          <div className="muted" data-testid="drill-step">
            {task.state === 'running' ? taskText(task, 'step', lang) ?? t('drills.starting') : t(`status.task.${task.state as 'done'}`)}
          </div>
          {task.error && <pre className="result-error">{taskText(task, 'error', lang)}</pre>}
        </div>
        {summary && (
          <div className="progress-verdict">
            <VerdictBadge verdict={summary.verdict} />
            <button type="button" className="small" data-testid="drill-open-report" onClick={() => void useLab.getState().openReport(lab, summary.id)}>
              {t('drills.openReport')}
            </button>
          </div>
        )}
      </div>
      {summary && <p className="verdict-text">{textOf(lang, summary.verdictMsg, summary.verdictText)}</p>}
      <h3 className="sub-head">{t('drills.liveEvents')}</h3>
      <div className="progress-events">
        <EventList lab={lab} since={startedAt.get(task.id)} max={25} />
      </div>
    </section>
  );
}

function Reports({ lab }: { lab: string }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const r = useLab((s) => s.reports[lab]);
  return (
    <section className="panel" data-testid="report-list">
      <header className="panel-head">
        <h3>{t('drills.reports')}</h3>
        <button type="button" className="small" onClick={() => void useLab.getState().refreshReports(lab)}>
          {t('provision.refresh')}
        </button>
      </header>
      {r?.error && <p className="field-error">{r.error}</p>}
      {!r?.list && !r?.error && <p className="muted">{t('newDialog.loading')}</p>}
      {r?.list?.length === 0 && <p className="muted">{t('drills.noReports')}</p>}
      <ul className="report-list">
        {r?.list?.map((x) => (
          <li key={x.id}>
            <button type="button" className="report-row" data-testid={`report-${x.id}`} data-drill={x.drill} onClick={() => void useLab.getState().openReport(lab, x.id)}>
              <VerdictBadge verdict={x.verdict} />
              <span className="report-title">
                <b>{textOf(lang, x.titleMsg, x.title)}</b>
                <span className="muted small-text">{textOf(lang, x.verdictMsg, x.verdictText)}</span>
              </span>
              <span className="muted mono small-text">{new Date(x.startedAt).toLocaleString()}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
