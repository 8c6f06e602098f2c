/**
 * Fast-failover options (issue 13) in the Properties panel: a VIP group's
 * VRRP version, advert interval, preemption and track script; the load
 * balancer's nginx timeouts and retries; the database's replication mode.
 * Empty fields show the default that applies; a one-line note under each
 * group says what the values add up to, live as the student types.
 */
import { DEFAULT_NEXT_UPSTREAM, lbProxyOf, trackScriptOf } from '../../../../src-main/shared/blueprint/model';
import { NEXT_UPSTREAM_CONDITIONS } from '../../../../src-main/shared/blueprint/schema';
import { useT } from '../../i18n/useT';
import { masterDownOf, preemptChoice, preemptValue, secs, toggleCondition, type PreemptChoice } from '../../lib/blueprint-edit';
import { pathKey } from '../../lib/draft';
import { useEditor } from '../../stores/editor-store';
import { CheckField, FieldIssues, NumberField, SelectField } from './fields';

const num = (x: unknown, fallback: number): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

function Note({ id, children }: { id: string; children: string }) {
  return (
    <p className="muted field-note" data-testid={`note-${id}`}>
      {children}
    </p>
  );
}

/** VRRP version, advert interval and preemption of VIP group `index` (with its master-down interval). */
export function VipTiming({ index }: { index: number }) {
  const t = useT();
  const vip = useEditor((s) => s.data.services?.vips?.[index]);
  if (!vip) return null;
  const p = ['services', 'vips', index];
  const md = masterDownOf(vip);
  const choice = preemptChoice(vip.preempt);
  const pick = (c: PreemptChoice) => useEditor.getState().setField([...p, 'preempt'], preemptValue(c, useEditor.getState().data.services?.vips?.[index]?.preempt));
  const preemptKey = pathKey([...p, 'preempt']);
  return (
    <>
      <div className="field-row">
        <SelectField
          path={[...p, 'version']}
          label={t('props.vrrpVersion')}
          optional
          emptyLabel={t('props.vrrpVersion.2')}
          options={[{ value: '3', label: t('props.vrrpVersion.3') }]}
          onPick={(v) => useEditor.getState().setField([...p, 'version'], v === undefined ? undefined : Number(v))}
        />
        <NumberField path={[...p, 'advertInterval']} label={t('props.advert')} optional decimal placeholder="1" />
      </div>
      <Note id={`${pathKey(p)}.masterDown`}>{t('props.masterDownNote', { advert: secs(md.advert), skew: secs(md.skew), total: secs(md.ms / 1000), priority: md.priority })}</Note>
      <div className="field">
        <label htmlFor={`preempt-${index}`}>{t('props.preempt')}</label>
        <select id={`preempt-${index}`} data-testid={`field-${preemptKey}`} data-path={preemptKey} value={choice} onChange={(e) => pick(e.target.value as PreemptChoice)}>
          <option value="default">{t('props.preempt.default')}</option>
          {choice === 'true' && <option value="true">{t('props.preempt.true')}</option>}
          <option value="false">{t('props.preempt.false')}</option>
          <option value="delay">{t('props.preempt.delay')}</option>
        </select>
        <FieldIssues path={[...p, 'preempt']} />
      </div>
      {choice === 'delay' && <NumberField path={[...p, 'preempt', 'delay']} label={t('props.preemptDelay')} decimal placeholder="5" />}
      <Note id={preemptKey}>{t(`props.preemptNote.${choice === 'true' ? 'default' : choice}`, { delay: secs(num(typeof vip.preempt === 'object' ? vip.preempt.delay : undefined, 0)) })}</Note>
    </>
  );
}

/** How keepalived checks nginx for VIP group `index`: interval, timeout, fall, rise, weight, the stop hook. */
export function TrackScriptFields({ index }: { index: number }) {
  const t = useT();
  const vip = useEditor((s) => s.data.services?.vips?.[index]);
  if (!vip || (vip.track === 'none' && vip.trackScript === undefined)) return null;
  const p = ['services', 'vips', index, 'trackScript'];
  const ts = vip.trackScript ?? {};
  const eff = trackScriptOf({ trackScript: { interval: num(ts.interval, 2), timeout: typeof ts.timeout === 'number' ? ts.timeout : undefined, fall: num(ts.fall, 2), rise: num(ts.rise, 2), weight: num(ts.weight, 0), onStop: ts.onStop === true } });
  return (
    <div className="field-group" data-testid={`props-${pathKey(p)}`}>
      <h4 className="field-group-title">{t('props.trackScript')}</h4>
      <FieldIssues path={p} />
      <div className="field-row">
        <NumberField path={[...p, 'interval']} label={t('props.tsInterval')} optional decimal placeholder="2" />
        <NumberField path={[...p, 'timeout']} label={t('props.tsTimeout')} optional decimal placeholder={secs(eff.interval)} />
      </div>
      <div className="field-row">
        <NumberField path={[...p, 'fall']} label={t('props.tsFall')} optional placeholder="2" />
        <NumberField path={[...p, 'rise']} label={t('props.tsRise')} optional placeholder="2" />
        <NumberField path={[...p, 'weight']} label={t('props.tsWeight')} optional placeholder="0" />
      </div>
      <Note id={pathKey(p)}>{t('props.trackNote', { detect: secs(eff.interval * eff.fall), recover: secs(eff.interval * eff.rise) })}</Note>
      <Note id={pathKey([...p, 'weight'])}>{eff.weight === 0 ? t('props.weightNote.zero') : t('props.weightNote.other', { weight: eff.weight })}</Note>
      <CheckField path={[...p, 'onStop']} label={t('props.tsOnStop')} hint={t('props.tsOnStopHint')} />
    </div>
  );
}

/** nginx timeouts and retries of the load balancer. */
export function LbProxyFields() {
  const t = useT();
  const lb = useEditor((s) => s.data.services?.loadBalancer);
  if (!lb) return null;
  const p = ['services', 'loadBalancer', 'proxy'];
  const nu = [...p, 'nextUpstream'];
  const proxy = lb.proxy ?? {};
  const next = proxy.nextUpstream ?? {};
  const apps = lb.upstream?.members?.length ?? 0;
  const eff = lbProxyOf({
    upstream: { members: lb.upstream?.members ?? [], port: 0 },
    proxy: {
      connectTimeoutSeconds: typeof proxy.connectTimeoutSeconds === 'number' ? proxy.connectTimeoutSeconds : undefined,
      nextUpstream: { on: next.on, tries: typeof next.tries === 'number' ? next.tries : undefined, timeoutSeconds: typeof next.timeoutSeconds === 'number' ? next.timeoutSeconds : undefined },
    },
  });
  const onPath = [...nu, 'on'];
  const toggle = (c: (typeof NEXT_UPSTREAM_CONDITIONS)[number], on: boolean) => {
    const cur = useEditor.getState().data.services?.loadBalancer?.proxy?.nextUpstream?.on;
    useEditor.getState().setField(onPath, toggleCondition(cur, DEFAULT_NEXT_UPSTREAM, NEXT_UPSTREAM_CONDITIONS, c, on));
  };
  return (
    <div className="field-group" data-testid="props-services.loadBalancer.proxy">
      <h4 className="field-group-title">{t('props.proxy')}</h4>
      <FieldIssues path={p} />
      <div className="field-row">
        <NumberField path={[...p, 'connectTimeoutSeconds']} label={t('props.connectTimeout')} optional decimal placeholder="1" />
        <NumberField path={[...p, 'sendTimeoutSeconds']} label={t('props.sendTimeout')} optional decimal placeholder="10" />
        <NumberField path={[...p, 'readTimeoutSeconds']} label={t('props.readTimeout')} optional decimal placeholder="10" />
      </div>
      <Note id={pathKey([...p, 'connectTimeoutSeconds'])}>{t('props.connectNote', { connect: secs(eff.connectTimeoutSeconds) })}</Note>
      <div className="field">
        <span className="label">
          {t('props.nextUpstreamOn')}
          <span className="field-hint"> {next.on === undefined ? t('props.nextUpstreamDefault') : ''}</span>
        </span>
        <div className="condition-list">
          {NEXT_UPSTREAM_CONDITIONS.map((c) => {
            const key = pathKey([...onPath, c]);
            return (
              <span className="field-check" key={c}>
                <input id={`nu-${c}`} type="checkbox" data-testid={`field-${key}`} checked={eff.nextUpstream.includes(c)} onChange={(e) => toggle(c, e.target.checked)} />
                <label htmlFor={`nu-${c}`} className="mono">
                  {c}
                </label>
              </span>
            );
          })}
        </div>
        {next.on !== undefined && (
          <button type="button" className="link" data-testid={`reset-${pathKey(onPath)}`} onClick={() => useEditor.getState().setField(onPath, undefined)}>
            {t('props.useDefault')}
          </button>
        )}
        <FieldIssues path={onPath} />
      </div>
      <CheckField path={[...nu, 'nonIdempotent']} label={t('props.nonIdempotent')} hint={t('props.nonIdempotentHint')} />
      <div className="field-row">
        <NumberField path={[...nu, 'tries']} label={t('props.tries')} optional placeholder={String(Math.max(2, apps))} />
        <NumberField path={[...nu, 'timeoutSeconds']} label={t('props.retryTimeout')} optional decimal placeholder="5" />
      </div>
      <Note id={pathKey(nu)}>
        {eff.nextUpstream.length === 0
          ? t('props.retryNote.off')
          : t('props.retryNote', {
              tries: eff.tries === 0 ? t('props.retryNote.anyTries') : t('props.retryNote.tries', { n: eff.tries }),
              timeout: eff.nextUpstreamTimeoutSeconds === 0 ? t('props.retryNote.noLimit') : t('props.retryNote.within', { s: secs(eff.nextUpstreamTimeoutSeconds) }),
            })}
      </Note>
    </div>
  );
}

/** Replication mode of the database and the semi-sync timeout. */
export function DbReplicationFields() {
  const t = useT();
  const db = useEditor((s) => s.data.services?.database);
  if (!db) return null;
  const p = ['services', 'database'];
  const semi = db.replication === 'semi-sync';
  const timeout = num(db.semiSyncTimeoutMs, 10_000);
  return (
    <>
      <SelectField path={[...p, 'replication']} label={t('props.replication')} optional emptyLabel={t('props.replication.async')} options={[{ value: 'semi-sync', label: t('props.replication.semi') }]} />
      {(semi || db.semiSyncTimeoutMs !== undefined) && <NumberField path={[...p, 'semiSyncTimeoutMs']} label={t('props.semiSyncTimeout')} optional placeholder="10000" />}
      <Note id={pathKey([...p, 'replication'])}>{semi ? t('props.replicationNote.semi', { timeout: secs(timeout / 1000) }) : t('props.replicationNote.async')}</Note>
    </>
  );
}
