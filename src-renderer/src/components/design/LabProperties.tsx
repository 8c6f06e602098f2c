/**
 * Properties of the lab itself: metadata, defaults, the services (load
 * balancer, app, database, monitoring, backup, firewall) and the drills.
 */
import { DB_ENGINES, DRILLS, type Role } from '../../../../src-main/shared/blueprint/schema';
import { useT } from '../../i18n/useT';
import type { Draft, DraftServices } from '../../lib/draft';
import { useEditor } from '../../stores/editor-store';
import { DbReplicationFields, LbProxyFields } from './FailoverFields';
import { CheckField, FieldIssues, ListField, NumberField, Section, SelectField, TextField } from './fields';

type ServiceName = 'loadBalancer' | 'app' | 'database' | 'monitoring' | 'backup';

const withRole = (d: Draft, r: Role) => d.nodes.filter((n) => n.roles.includes(r)).map((n) => n.hostname);

/** A sensible starting configuration for a service, from the VMs' roles. */
function starter(d: Draft, name: ServiceName): DraftServices[ServiceName] {
  const first = d.nodes[0]?.hostname ?? '';
  const db = d.services?.database;
  switch (name) {
    case 'loadBalancer':
      return { members: withRole(d, 'loadbalancer'), listen: [80], upstream: { members: withRole(d, 'app'), port: d.services?.app?.port ?? 3000 } };
    case 'app':
      return { members: withRole(d, 'app'), port: 3000 };
    case 'database':
      return { engine: 'mysql8', primary: withRole(d, 'database')[0] ?? first };
    case 'monitoring':
      return { prometheus: withRole(d, 'monitoring')[0] ?? first };
    case 'backup': {
      const replica = db?.replicas?.[0];
      const runOn = replica === undefined ? (db?.primary ?? first) : typeof replica === 'string' ? replica : replica.node;
      return { runOn, schedule: '*-*-* 04:00:00', retentionDays: 7, targetDir: '/var/backups/halab' };
    }
  }
}

function ServiceToggle({ name }: { name: ServiceName }) {
  const t = useT();
  const on = useEditor((s) => s.data.services?.[name] !== undefined);
  return (
    <button
      type="button"
      className={`small${on ? ' danger' : ''}`}
      data-testid={`service-${name}-${on ? 'remove' : 'add'}`}
      onClick={() => useEditor.getState().edit((d) => {
        const s: DraftServices = { vips: [], ...d.services };
        if (on) delete s[name];
        else (s as Record<string, unknown>)[name] = starter(d, name);
        return { ...d, services: s };
      })}
    >
      {t(on ? 'props.disable' : 'props.enable')}
    </button>
  );
}

export function LabProperties() {
  const t = useT();
  const hosts = useEditor((s) => s.data.nodes.map((n) => n.hostname).join('\n'));
  const services = useEditor((s) => s.data.services);
  const drills = useEditor((s) => s.data.drills);
  const options = hosts ? hosts.split('\n').map((h) => ({ value: h, label: h })) : [];
  const S = ['services'];
  const lb = services?.loadBalancer;
  const mon = services?.monitoring;
  return (
    <div data-testid="props-lab">
      <Section title={t('props.metadata')}>
        <TextField path={['metadata', 'name']} label={t('props.labName')} mono />
        <TextField path={['metadata', 'title']} label={t('props.title')} optional />
        <TextField path={['metadata', 'description']} label={t('props.description')} optional />
      </Section>
      <Section title={t('props.defaults')}>
        <div className="field-row">
          <TextField path={['defaults', 'template']} label={t('props.template')} optional placeholder="ubuntu-22.04" />
          <SelectField path={['defaults', 'clone']} label={t('props.clone')} optional options={[{ value: 'linked', label: t('props.clone.linked') }, { value: 'full', label: t('props.clone.full') }]} />
        </div>
        <SelectField path={['layout', 'addressPlan']} label={t('props.addressPlan')} optional emptyLabel={t('props.addressPlan.role')} options={[{ value: 'first-free', label: t('props.addressPlan.firstFree') }]} />
        <div className="field-row">
          <NumberField path={['defaults', 'vcpus']} label={t('props.vcpus')} optional placeholder="1" />
          <NumberField path={['defaults', 'memoryMiB']} label={t('props.memoryMiB')} optional placeholder="1024" />
          <NumberField path={['defaults', 'diskGiB']} label={t('props.diskGiB')} optional placeholder="20" />
        </div>
      </Section>
      <Section title={t('props.loadBalancer')} actions={<ServiceToggle name="loadBalancer" />} testId="svc-loadBalancer">
        {lb ? (
          <>
            <ListField path={[...S, 'loadBalancer', 'members']} label={t('props.lbMembers')} hint={t('props.listHint')} />
            <ListField path={[...S, 'loadBalancer', 'upstream', 'members']} label={t('props.upstreamMembers')} hint={t('props.listHint')} />
            <div className="field-row">
              <ListField path={[...S, 'loadBalancer', 'listen']} label={t('props.listen')} numbers />
              <NumberField path={[...S, 'loadBalancer', 'upstream', 'port']} label={t('props.upstreamPort')} optional />
            </div>
            <div className="field-row">
              <NumberField path={[...S, 'loadBalancer', 'passiveHealth', 'maxFails']} label={t('props.maxFails')} optional placeholder="2" />
              <NumberField path={[...S, 'loadBalancer', 'passiveHealth', 'failTimeoutSeconds']} label={t('props.failTimeout')} optional placeholder="5" />
            </div>
            <LbProxyFields />
          </>
        ) : (
          <p className="muted">{t('props.notSet')}</p>
        )}
      </Section>
      <Section title={t('props.app')} actions={<ServiceToggle name="app" />} testId="svc-app">
        {services?.app ? (
          <>
            <ListField path={[...S, 'app', 'members']} label={t('props.appMembers')} hint={t('props.listHint')} />
            <NumberField path={[...S, 'app', 'port']} label={t('props.port')} optional placeholder="3000" />
            <CheckField path={[...S, 'app', 'readFromReplica']} label={t('props.readFromReplica')} defaultValue />
          </>
        ) : (
          <p className="muted">{t('props.notSet')}</p>
        )}
      </Section>
      <Section title={t('props.database')} actions={<ServiceToggle name="database" />} testId="svc-database">
        {services?.database ? (
          <>
            <div className="field-row">
              <SelectField path={[...S, 'database', 'engine']} label={t('props.engine')} options={DB_ENGINES.map((e) => ({ value: e, label: e }))} />
              <SelectField path={[...S, 'database', 'primary']} label={t('props.primary')} options={options} />
            </div>
            <ListField path={[...S, 'database', 'replicas']} label={t('props.replicas')} hint={t('props.listHint')} />
            <DbReplicationFields />
            <TextField path={[...S, 'database', 'schema']} label={t('props.schema')} optional placeholder="reservations" mono />
          </>
        ) : (
          <p className="muted">{t('props.notSet')}</p>
        )}
      </Section>
      <Section title={t('props.monitoring')} actions={<ServiceToggle name="monitoring" />} testId="svc-monitoring">
        {mon ? (
          <>
            <SelectField path={[...S, 'monitoring', 'prometheus']} label={t('props.prometheus')} options={options} />
            <div className="field-row">
              <SelectField path={[...S, 'monitoring', 'alertmanager']} label={t('props.alertmanager')} optional options={options} />
              <SelectField path={[...S, 'monitoring', 'loki']} label={t('props.loki')} optional options={options} />
            </div>
            <div className="field field-check">
              <input
                id="slack-on"
                type="checkbox"
                data-testid="field-slack"
                checked={mon.alertReceiver !== undefined}
                onChange={(e) => useEditor.getState().setField([...S, 'monitoring', 'alertReceiver'], e.target.checked ? { type: 'slack', channel: '#lab-alerts' } : undefined)}
              />
              <label htmlFor="slack-on">{t('props.slack')}</label>
            </div>
            {mon.alertReceiver && (
              <>
                <TextField path={[...S, 'monitoring', 'alertReceiver', 'channel']} label={t('props.slackChannel')} optional placeholder="#lab-alerts" />
                <TextField path={[...S, 'monitoring', 'alertReceiver', 'webhookUrlFile']} label={t('props.webhookFile')} optional mono />
              </>
            )}
          </>
        ) : (
          <p className="muted">{t('props.notSet')}</p>
        )}
      </Section>
      <Section title={t('props.backup')} actions={<ServiceToggle name="backup" />} testId="svc-backup">
        {services?.backup ? (
          <>
            <div className="field-row">
              <SelectField path={[...S, 'backup', 'runOn']} label={t('props.runOn')} options={options} />
              <SelectField path={[...S, 'backup', 'copyTo']} label={t('props.copyTo')} optional options={options} />
            </div>
            <div className="field-row">
              <TextField path={[...S, 'backup', 'schedule']} label={t('props.schedule')} optional placeholder="*-*-* 04:00:00" mono />
              <NumberField path={[...S, 'backup', 'retentionDays']} label={t('props.retention')} optional placeholder="7" />
            </div>
            <TextField path={[...S, 'backup', 'targetDir']} label={t('props.targetDir')} optional placeholder="/var/backups/halab" mono />
          </>
        ) : (
          <p className="muted">{t('props.notSet')}</p>
        )}
      </Section>
      <Section title={t('props.firewall')} testId="svc-firewall">
        <CheckField path={[...S, 'firewall', 'enabled']} label={t('props.firewallEnabled')} defaultValue />
        <ListField path={[...S, 'firewall', 'adminSources']} label={t('props.adminSources')} optional />
      </Section>
      <Section title={t('props.objectives')} testId="svc-objectives">
        <p className="muted small-text">{t('props.objectivesHint')}</p>
        <div className="field-row">
          <NumberField path={['objectives', 'availability']} label={t('props.availability')} optional decimal placeholder="99.9" />
          <NumberField path={['objectives', 'failuresPerYear']} label={t('props.failuresPerYear')} hint={t('props.failuresHint')} optional decimal />
        </div>
        <div className="field-row">
          <NumberField path={['objectives', 'rtoSeconds']} label={t('props.rtoSeconds')} hint={t('props.rtoHint')} optional placeholder="1800" />
          <NumberField path={['objectives', 'rpoSeconds']} label={t('props.rpoSeconds')} hint={t('props.rpoHint')} optional placeholder="3600" />
        </div>
        <FieldIssues path={['objectives']} />
      </Section>
      <Section title={t('props.drills')} testId="svc-drills">
        {DRILLS.map((dr) => (
          <div className="field field-check" key={dr}>
            <input
              id={`drill-${dr}`}
              type="checkbox"
              data-testid={`drill-${dr}`}
              checked={(drills ?? []).includes(dr)}
              onChange={(e) => {
                const set = new Set(drills ?? []);
                if (e.target.checked) set.add(dr);
                else set.delete(dr);
                useEditor.getState().setField(['drills'], DRILLS.filter((x) => set.has(x)));
              }}
            />
            <label htmlFor={`drill-${dr}`}>{t(`drill.${dr}`)}</label>
          </div>
        ))}
        <FieldIssues path={['drills']} />
      </Section>
    </div>
  );
}
