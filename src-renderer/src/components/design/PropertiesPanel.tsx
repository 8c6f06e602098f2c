/**
 * The properties panel for the selection: a VM, a network, a VIP group, a
 * connection, or (nothing selected) the lab and its services.
 */
import { resolveNetwork, guestIfname } from '../../../../src-main/shared/blueprint/model';
import { ROLES, type Network } from '../../../../src-main/shared/blueprint/schema';
import { useMemo } from 'react';
import type { MessageKey } from '../../i18n';
import { useT } from '../../i18n/useT';
import { roleMismatches, wireRole } from '../../lib/blueprint-edit';
import { describeEdge } from '../../lib/describe';
import type { Draft } from '../../lib/draft';
import { nicName } from '../../../../src-main/shared/i18n/describe';
import { render } from '../../../../src-main/shared/i18n';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { FieldIssues, NumberField, Section, SelectField, TextField } from './fields';
import { TrackScriptFields, VipTiming } from './FailoverFields';
import { LabProperties } from './LabProperties';

export function PropertiesPanel() {
  const t = useT();
  const sel = useEditor((s) => s.selection);
  const exists = useEditor((s) => {
    if (!sel || sel.kind === 'lab' || sel.kind === 'edge') return true;
    if (sel.kind === 'vm') return sel.index < s.data.nodes.length;
    if (sel.kind === 'net') return sel.index < s.data.networks.length;
    return sel.index < (s.data.services?.vips?.length ?? 0);
  });
  const many = useEditor((s) => s.selected.length);
  let body;
  if (many > 1) body = <MultiProperties count={many} />;
  else if (!sel || sel.kind === 'lab' || !exists) body = <LabProperties />;
  else if (sel.kind === 'vm') body = <VmProperties index={sel.index} />;
  else if (sel.kind === 'net') body = <NetworkProperties index={sel.index} />;
  else if (sel.kind === 'vip') body = <VipProperties index={sel.index} />;
  else if (sel.kind === 'edge') body = <EdgeProperties id={sel.id} />;
  return (
    <aside className="props" aria-label={t('props.heading')} data-testid="properties">
      {body}
    </aside>
  );
}

function MultiProperties({ count }: { count: number }) {
  const t = useT();
  return (
    <Section title={t('props.multi', { count })} testId="props-multi">
      <p className="muted">{t('props.multiHint')}</p>
      <button type="button" className="danger" data-testid="props-delete" onClick={() => useEditor.getState().deleteSelection()}>
        {t('props.deleteAll', { count })}
      </button>
    </Section>
  );
}

/** A line on the canvas: what it is, its two ends by name, and what deleting it does. */
function EdgeProperties({ id }: { id: string }) {
  const t = useT();
  const data = useEditor((s) => s.data);
  const ends = useMemo(() => describeEdge(data, id), [data, id]);
  const lbs = useEditor((s) => (s.data.services?.loadBalancer?.members ?? []).join(', '));
  const lbCount = lbs ? lbs.split(', ').length : 0;
  if (!ends) return null;
  const shared = ends.kind === 'upstream' && lbCount > 1;
  return (
    <Section title={t('props.edge')} testId="props-edge">
      <p className="edge-kind">{t(`props.edgeKind.${ends.kind}`)}</p>
      <p className="edge-ends mono" data-testid="edge-ends">
        {t('props.edgeEnds', { from: ends.from, to: ends.to })}
      </p>
      {shared && (
        <p className="muted" data-testid="edge-shared">
          {t('props.upstreamShared', { lbs, app: ends.to })}
        </p>
      )}
      <p className="muted">{t('props.edgeHint')}</p>
      <button type="button" className="danger" data-testid="props-delete" onClick={() => useEditor.getState().deleteSelection()}>
        {shared ? t('props.removeFromUpstream', { app: ends.to }) : t('props.deleteEdge')}
      </button>
    </Section>
  );
}

/** The lines touching a VM, reachable by keyboard (canvas lines are not tab stops). */
function Connections({ host }: { host: string }) {
  const t = useT();
  const data = useEditor((s) => s.data);
  const index = data.nodes.findIndex((n) => n.hostname === host);
  const ids: string[] = [];
  data.nodes[index]?.nics.forEach((_, j) => ids.push(`nic:${index}:${j}`));
  const lb = data.services?.loadBalancer;
  if (lb) for (const m of lb.members) for (const u of lb.upstream.members) if (m === host || u === host) ids.push(`up:${m}:${u}`);
  for (const r of data.services?.database?.replicas ?? []) {
    const h = typeof r === 'string' ? r : r.node;
    if (h === host || data.services?.database?.primary === host) ids.push(`repl:${h}`);
  }
  (data.services?.vips ?? []).forEach((v, i) => v.members.forEach((m, j) => m.node === host && ids.push(`vipm:${i}:${j}`)));
  return (
    <Section title={t('props.connections')} testId="props-connections">
      {ids.length === 0 && <p className="muted">{t('props.noConnections')}</p>}
      <ul className="conn-list">
        {ids.map((id) => {
          const e = describeEdge(data, id);
          return e ? (
            <li key={id}>
              <button type="button" className="link" data-testid={`conn-${id}`} onClick={() => useEditor.getState().select({ kind: 'edge', id })}>
                {t(`props.edgeKind.${e.kind}`)}: {t('props.edgeEnds', { from: e.from, to: e.to })}
              </button>
            </li>
          ) : null;
        })}
      </ul>
    </Section>
  );
}

/** Where the VM's roles and the services disagree, with a one-click fix. */
function RoleWarnings({ index }: { index: number }) {
  const t = useT();
  const data = useEditor((s) => s.data);
  const list = useMemo(() => roleMismatches(data, index), [data, index]);
  const host = useEditor((s) => s.data.nodes[index]?.hostname ?? '');
  if (!list.length) return null;
  return (
    <div className="field-issues" data-testid="role-warnings">
      {list.map((m) => (
        <div key={`${m.kind}-${m.service}`} className="field-warning">
          {t(`roles.${m.kind}.${m.service}` as MessageKey, { host })}
          {m.kind === 'missing' && (
            <button type="button" className="link" data-testid={`role-fix-${m.service}`} onClick={() => useEditor.getState().edit((d) => wireRole(d, host, m.role))}>
              {t('roles.fixIt')}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function DeleteButton() {
  const t = useT();
  return (
    <button type="button" className="danger small" data-testid="props-delete" onClick={() => useEditor.getState().deleteSelection()}>
      {t('props.delete')}
    </button>
  );
}

function VmProperties({ index }: { index: number }) {
  const t = useT();
  const lang = useApp((s) => s.language);
  const node = useEditor((s) => s.data.nodes[index]);
  const networks = useEditor((s) => s.data.networks);
  const defaults = useEditor((s) => s.data.defaults);
  if (!node) return null;
  const p = ['nodes', index];
  const free = networks.filter((n) => !node.nics.some((x) => x.network === n.name));
  const toggleRole = (r: string) => {
    const roles = node.roles.includes(r as never) ? node.roles.filter((x) => x !== r) : ROLES.filter((x) => x === r || node.roles.includes(x));
    useEditor.getState().setField([...p, 'roles'], roles);
  };
  return (
    <>
      <Section title={t('props.vm')} actions={<DeleteButton />} testId="props-vm">
        <TextField path={[...p, 'hostname']} label={t('props.hostname')} mono />
        <div className="field">
          <span className="label">{t('props.roles')}</span>
          <div className="role-chips">
            {ROLES.map((r) => (
              <button key={r} type="button" className={`chip chip-${r}${node.roles.includes(r) ? ' on' : ''}`} aria-pressed={node.roles.includes(r)} data-testid={`role-${r}`} onClick={() => toggleRole(r)}>
                {t(`role.${r}`)}
              </button>
            ))}
          </div>
          <FieldIssues path={[...p, 'roles']} />
          <RoleWarnings index={index} />
        </div>
        <div className="field-row">
          <NumberField path={[...p, 'vcpus']} label={t('props.vcpus')} optional placeholder={String(defaults?.vcpus ?? 1)} />
          <NumberField path={[...p, 'memoryMiB']} label={t('props.memoryMiB')} optional placeholder={String(defaults?.memoryMiB ?? 1024)} />
          <NumberField path={[...p, 'diskGiB']} label={t('props.diskGiB')} optional placeholder={String(defaults?.diskGiB ?? 20)} />
        </div>
        <TextField path={[...p, 'template']} label={t('props.template')} optional placeholder={defaults?.template ?? 'ubuntu-22.04'} />
        <TextField path={[...p, 'description']} label={t('props.description')} optional />
      </Section>
      <Section title={t('props.nics')} testId="props-nics">
        <FieldIssues path={[...p, 'nics']} />
        {node.nics.map((nic, j) => (
          <div className="nic-card" key={j} data-testid={`nic-${j}`}>
            <div className="nic-card-head">
              <span>
                {render(lang, nicName(node.hostname, j))} ({guestIfname(j)})
              </span>
              <button type="button" className="link danger" data-testid={`nic-remove-${j}`} onClick={() => useEditor.getState().edit((d) => ({ ...d, nodes: d.nodes.map((n, i) => (i === index ? { ...n, nics: n.nics.filter((_, k) => k !== j) } : n)) }))}>
                {t('props.removeNic')}
              </button>
            </div>
            <SelectField path={[...p, 'nics', j, 'network']} label={t('props.nicNetwork')} options={networks.map((n) => ({ value: n.name, label: `${n.name} (${n.subnet})` }))} />
            <TextField path={[...p, 'nics', j, 'address']} label={t('props.address')} mono />
            <TextField path={[...p, 'nics', j, 'mac']} label={t('props.mac')} optional mono placeholder={t('props.macPlaceholder')} />
          </div>
        ))}
        {free.length > 0 && (
          <select
            className="add-nic"
            data-testid="add-nic"
            value=""
            onChange={(e) => {
              const k = networks.findIndex((n) => n.name === e.target.value);
              if (k >= 0) useEditor.getState().connect({ kind: 'vm', index }, { kind: 'net', index: k });
            }}
          >
            <option value="">{t('props.addNic')}</option>
            {free.map((n) => (
              <option key={n.name} value={n.name}>
                {n.name} ({n.subnet})
              </option>
            ))}
          </select>
        )}
      </Section>
      <Connections host={node.hostname} />
    </>
  );
}

function dhcpOf(d: Draft, index: number) {
  return d.networks[index]?.dhcp;
}

function NetworkProperties({ index }: { index: number }) {
  const t = useT();
  const net = useEditor((s) => s.data.networks[index]);
  if (!net) return null;
  const p = ['networks', index];
  const r = resolveNetwork(net as Network);
  const dhcp = net.dhcp;
  const setDhcp = (which: 'start' | 'end', v: string) =>
    useEditor.getState().edit(
      (d) => {
        const cur = dhcpOf(d, index);
        const base = cur && cur !== 'none' ? cur : (r?.dhcp ?? { start: '', end: '' });
        return { ...d, networks: d.networks.map((n, i) => (i === index ? { ...n, dhcp: { ...base, [which]: v } } : n)) };
      },
      { coalesce: `${p.join('.')}.dhcp.${which}` },
    );
  return (
    <Section title={t('props.network')} actions={<DeleteButton />} testId="props-net">
      <TextField path={[...p, 'name']} label={t('props.name')} mono />
      <SelectField path={[...p, 'type']} label={t('props.type')} options={(['nat', 'hostonly', 'custom', 'bridged'] as const).map((x) => ({ value: x, label: t(`net.${x}`) }))} />
      <TextField path={[...p, 'subnet']} label={t('props.subnet')} mono />
      <TextField path={[...p, 'hostAddress']} label={t('props.hostAddress')} optional mono placeholder={r?.hostAddress} />
      {net.type === 'nat' && <TextField path={[...p, 'natGateway']} label={t('props.natGateway')} optional mono placeholder={r?.natGateway} />}
      <div className="field field-check">
        <input id={`dhcp-none-${index}`} type="checkbox" data-testid="field-dhcp-none" checked={dhcp === 'none'} onChange={(e) => useEditor.getState().setField([...p, 'dhcp'], e.target.checked ? 'none' : undefined)} />
        <label htmlFor={`dhcp-none-${index}`}>{t('props.dhcpNone')}</label>
      </div>
      {dhcp !== 'none' && (
        <div className="field-row">
          {(['start', 'end'] as const).map((w) => (
            <div className="field" key={w}>
              <label htmlFor={`dhcp-${w}-${index}`}>{t(w === 'start' ? 'props.dhcpStart' : 'props.dhcpEnd')}</label>
              <input id={`dhcp-${w}-${index}`} className="mono" data-testid={`field-networks.${index}.dhcp.${w}`} data-path={`networks.${index}.dhcp.${w}`} value={dhcp?.[w] ?? ''} placeholder={r?.dhcp?.[w]} onChange={(e) => setDhcp(w, e.target.value)} />
            </div>
          ))}
        </div>
      )}
      <FieldIssues path={[...p, 'dhcp']} />
      <TextField path={[...p, 'description']} label={t('props.description')} optional />
    </Section>
  );
}

function VipProperties({ index }: { index: number }) {
  const t = useT();
  const vip = useEditor((s) => s.data.services?.vips?.[index]);
  const networks = useEditor((s) => s.data.networks);
  if (!vip) return null;
  const p = ['services', 'vips', index];
  return (
    <Section title={t('props.vip')} actions={<DeleteButton />} testId="props-vip">
      <TextField path={[...p, 'name']} label={t('props.name')} mono />
      <TextField path={[...p, 'address']} label={t('props.address')} mono />
      <SelectField path={[...p, 'network']} label={t('props.nicNetwork')} options={networks.map((n) => ({ value: n.name, label: n.name }))} />
      <NumberField path={[...p, 'virtualRouterId']} label={t('props.vrid')} />
      <VipTiming index={index} />
      <div className="field-row">
        <SelectField path={[...p, 'mode']} label={t('props.mode')} optional defaultValue="multicast" emptyLabel={t('props.mode.multicast')} options={[{ value: 'unicast', label: t('props.mode.unicast') }]} />
        <SelectField path={[...p, 'track']} label={t('props.track')} optional defaultValue="nginx" emptyLabel={t('props.track.nginx')} options={[{ value: 'none', label: t('props.track.none') }]} />
      </div>
      <TrackScriptFields index={index} />
      <div className="field">
        <span className="label">{t('props.members')}</span>
        {vip.members.length === 0 && <p className="muted">{t('props.noMembers')}</p>}
        {vip.members.map((m, j) => (
          <div className="member-row" key={j}>
            <span className="mono">{m.node}</span>
            <NumberField path={[...p, 'members', j, 'priority']} label={t('props.priority')} />
            <button type="button" className="link danger" onClick={() => useEditor.getState().edit((d) => ({ ...d, services: { ...d.services, vips: (d.services?.vips ?? []).map((v, i) => (i === index ? { ...v, members: v.members.filter((_, k) => k !== j) } : v)) } }))}>
              {t('props.remove')}
            </button>
          </div>
        ))}
        <FieldIssues path={[...p, 'members']} />
      </div>
    </Section>
  );
}
