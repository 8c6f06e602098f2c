/**
 * Canvas node components: VM cards, network bus bars and VIP pills. Each is
 * memoised; the flow model hands them new data only when they changed.
 */
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { parseCidr } from '../../../../src-main/shared/blueprint/ip';
import { resolveNetwork } from '../../../../src-main/shared/blueprint/model';
import type { Network } from '../../../../src-main/shared/blueprint/schema';
import { useT } from '../../i18n/useT';
import { VIP_WIDTH, VM_WIDTH, vipHeight } from '../../lib/auto-layout';
import type { NetNodeData, VipNodeData, VmNodeData } from '../../lib/flow-model';
import { Icon } from './Icons';

const SIDES = [
  ['t', Position.Top],
  ['b', Position.Bottom],
  ['l', Position.Left],
  ['r', Position.Right],
] as const;

function Handles({ owner }: { owner: string }) {
  return (
    <>
      {SIDES.map(([id, pos]) => (
        <Handle key={id} id={id} type="source" position={pos} className={`handle handle-${id}`} data-testid={`handle-${owner}-${id}`} />
      ))}
    </>
  );
}

const gib = (mib: number) => (mib % 1024 === 0 ? String(mib / 1024) : (mib / 1024).toFixed(1));

/** A virtual machine. */
export const VmNode = memo(function VmNode({ data, selected }: NodeProps<Node<VmNodeData, 'vm'>>) {
  const t = useT();
  const n = data.node;
  const vcpus = n.vcpus ?? data.defaults.vcpus ?? 1;
  const mem = n.memoryMiB ?? data.defaults.memoryMiB ?? 1024;
  return (
    <div className={`vm-node role-${data.role}${selected ? ' selected' : ''}${data.errors ? ' has-errors' : ''}`} style={{ width: VM_WIDTH }} data-testid={`vm-${n.hostname}`}>
      <Handles owner={`vm-${n.hostname}`} />
      <div className="vm-head">
        <span className="vm-icon">
          <Icon name={data.role} />
        </span>
        <span className="vm-name" title={n.hostname}>
          {n.hostname || '—'}
        </span>
        {data.errors + data.warnings > 0 && (
          <span className={`badge ${data.errors ? 'badge-error' : 'badge-warning'}`} title={t('node.issues', { count: data.errors + data.warnings })}>
            {data.errors + data.warnings}
          </span>
        )}
      </div>
      <div className="vm-roles">
        {n.roles.map((r) => (
          <span key={r} className={`chip chip-${r}`}>
            {t(`role.${r}`)}
          </span>
        ))}
      </div>
      <div className="vm-size">
        {t('node.vcpu', { count: vcpus })} · {t('unit.gib', { value: gib(mem) })}
      </div>
      <ul className="vm-nics">
        {n.nics.length === 0 && <li className="vm-nonic">{t('node.noNics')}</li>}
        {n.nics.map((nic, j) => (
          <li key={j} className={data.badNics.includes(j) ? 'bad' : undefined}>
            <span className="nic-net">{nic.network}</span>
            <span className="nic-addr">{nic.address}</span>
          </li>
        ))}
      </ul>
    </div>
  );
});

function short(ip: string | undefined, subnet: string): string {
  if (!ip) return '—';
  const c = parseCidr(subnet);
  return c.ok && c.cidr.prefix >= 24 ? `.${ip.split('.').pop()}` : ip;
}

/** A network drawn as a bus bar that stretches under the VMs wired to it. */
export const NetNode = memo(function NetNode({ data, selected }: NodeProps<Node<NetNodeData, 'net'>>) {
  const t = useT();
  const net = data.net;
  const r = resolveNetwork(net as Network);
  return (
    <div className={`net-node net-${net.type}${selected ? ' selected' : ''}${data.errors ? ' has-errors' : ''}`} style={{ width: data.width }} data-testid={`net-${net.name}`}>
      <Handle id="t" type="source" position={Position.Top} className="bus-handle" data-testid={`handle-net-${net.name}-t`} />
      <div className="net-title">
        <Icon name={net.type} size={16} />
        <b>{net.name}</b>
        <span className="net-type">{t(`net.${net.type}`)}</span>
        <span className="net-subnet">{net.subnet}</span>
        {data.errors > 0 && <span className="badge badge-error">{data.errors}</span>}
      </div>
      {r && (
        <div className="net-meta">
          <span>{t('net.meta.host', { value: short(r.hostAddress, net.subnet) })}</span>
          {r.natGateway && <span>{t('net.meta.gw', { value: short(r.natGateway, net.subnet) })}</span>}
          <span>{t('net.meta.dhcp', { value: r.dhcp ? `${short(r.dhcp.start, net.subnet)}–${short(r.dhcp.end, net.subnet)}` : '—' })}</span>
        </div>
      )}
      <Handle id="b" type="source" position={Position.Bottom} className="bus-handle" data-testid={`handle-net-${net.name}-b`} />
    </div>
  );
});

/** A keepalived VIP group. */
export const VipNode = memo(function VipNode({ data, selected }: NodeProps<Node<VipNodeData, 'vip'>>) {
  const t = useT();
  const v = data.vip;
  return (
    <div className={`vip-node${selected ? ' selected' : ''}${data.errors ? ' has-errors' : ''}`} style={{ width: VIP_WIDTH, minHeight: vipHeight(v.members.length) }} data-testid={`vip-${v.name}`}>
      <Handles owner={`vip-${v.name}`} />
      <Icon name="vip" size={20} />
      <div>
        <div className="vip-name">
          {t('vip.label')} <b>{v.name}</b>
          {data.errors > 0 && <span className="badge badge-error">{data.errors}</span>}
        </div>
        <div className="vip-addr">{v.address || '—'}</div>
        <div className="vip-meta">
          {v.network} · {t('vip.vrid', { value: v.virtualRouterId })}
        </div>
        {v.members.length > 0 && (
          <ul className="vip-members">
            {[...v.members].sort((a, b) => b.priority - a.priority).map((m) => (
              <li key={m.node}>
                <span>{m.node}</span>
                <span>{m.priority}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
});
