/**
 * The properties panel for the selection: a VM, a network, a VIP group, a
 * connection, or (nothing selected) the lab and its services.
 */
import { resolveNetwork, guestIfname } from '../../../../src-main/shared/blueprint/model';
import { ROLES, type Network } from '../../../../src-main/shared/blueprint/schema';
import { useT } from '../../i18n/useT';
import type { Draft } from '../../lib/draft';
import { useEditor } from '../../stores/editor-store';
import { FieldIssues, NumberField, Section, SelectField, TextField } from './fields';
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
  let body;
  if (!sel || sel.kind === 'lab' || !exists) body = <LabProperties />;
  else if (sel.kind === 'vm') body = <VmProperties index={sel.index} />;
  else if (sel.kind === 'net') body = <NetworkProperties index={sel.index} />;
  else if (sel.kind === 'vip') body = <VipProperties index={sel.index} />;
  else
    body = (
      <Section title={t('props.edge')} testId="props-edge">
        <p className="muted">{t('props.edgeHint')}</p>
        <button type="button" className="danger" data-testid="props-delete" onClick={() => useEditor.getState().deleteSelection()}>
          {t('props.delete')}
        </button>
      </Section>
    );
  return (
    <aside className="props" aria-label={t('props.heading')} data-testid="properties">
      {body}
    </aside>
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
              <span>{t('props.nic', { index: j, ifname: guestIfname(j) })}</span>
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
      <div className="field-row">
        <NumberField path={[...p, 'virtualRouterId']} label={t('props.vrid')} />
        <NumberField path={[...p, 'advertInterval']} label={t('props.advert')} optional placeholder="1" />
      </div>
      <div className="field-row">
        <SelectField path={[...p, 'mode']} label={t('props.mode')} optional options={[{ value: 'multicast', label: 'multicast' }, { value: 'unicast', label: 'unicast' }]} />
        <SelectField path={[...p, 'track']} label={t('props.track')} optional options={[{ value: 'nginx', label: 'nginx' }, { value: 'none', label: 'none' }]} />
      </div>
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
