/**
 * The plan, as `halab plan` computes it: VMs, the IP table (like the seed's
 * section 4.1), VMnets, VIPs, services and totals against the host's RAM.
 */
import { useMemo } from 'react';
import { computePlan } from '../../../../src-main/shared/blueprint/plan';
import { render } from '../../../../src-main/shared/i18n';
import { useT } from '../../i18n/useT';
import { labTitle } from '../../lib/lab-title';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { ZoneMatrixGrid } from '../zones/ZoneMatrixGrid';

const gib = (mib: number) => Math.round((mib / 1024) * 10) / 10;

export function PlanView() {
  const t = useT();
  const lang = useApp((s) => s.language);
  const resolved = useEditor((s) => s.validation.resolved);
  const host = useEditor((s) => s.hostMemoryMiB);
  const plan = useMemo(() => (resolved ? computePlan(resolved, host) : undefined), [resolved, host]);
  if (!plan) {
    return (
      <div className="plan plan-invalid" data-testid="plan">
        <p>{t('plan.invalid')}</p>
      </div>
    );
  }
  const used = plan.totals.memoryMiB;
  const pct = host ? Math.min(100, Math.round((used / host) * 100)) : 0;
  return (
    <div className="plan" data-testid="plan">
      <h2>{plan.title ? labTitle(t, plan.title) : plan.lab}</h2>
      <div className="plan-totals" data-testid="plan-totals">
        <div className="total">{t('plan.total.vms', { count: plan.totals.vms })}</div>
        <div className="total">{t('plan.total.vcpus', { count: plan.totals.vcpus })}</div>
        <div className="total">{t('plan.total.memory', { value: gib(used) })}</div>
        <div className="total">{t('plan.total.disk', { value: plan.totals.diskGiB })}</div>
        <div className="host-meter">
          <div className="host-meter-label">{host ? t('plan.hostMemory', { used: gib(used), host: gib(host) }) : t('plan.hostUnknown')}</div>
          {host !== undefined && (
            <div className={`meter${used > host ? ' over' : pct > 80 ? ' high' : ''}`}>
              <div style={{ width: `${pct}%` }} />
            </div>
          )}
          {host !== undefined && used > host && <p className="field-error">{t('plan.overHost')}</p>}
        </div>
      </div>
      <h3>{t('plan.ipTable')}</h3>
      <table data-testid="plan-ip-table">
        <thead>
          <tr>
            <th>{t('plan.col.host')}</th>
            <th>{t('plan.col.roles')}</th>
            <th>{t('plan.col.network')}</th>
            <th>{t('plan.col.ifname')}</th>
            <th>{t('plan.col.address')}</th>
            <th>{t('plan.col.mac')}</th>
            <th>{t('plan.col.vcpus')}</th>
            <th>{t('plan.col.memory')}</th>
            <th>{t('plan.col.disk')}</th>
            <th>{t('plan.col.template')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.vms.flatMap((vm) =>
            vm.nics.map((nic, j) => (
              <tr key={`${vm.hostname}-${j}`}>
                {j === 0 && (
                  <>
                    <td rowSpan={vm.nics.length}>
                      <b>{vm.hostname}</b>
                    </td>
                    <td rowSpan={vm.nics.length}>{vm.roles.map((r) => t(`role.${r}` as never)).join(', ')}</td>
                  </>
                )}
                <td>{nic.network}</td>
                <td className="mono">{nic.ifname}</td>
                <td className="mono">{nic.address}</td>
                <td className="mono muted">{nic.mac}</td>
                {j === 0 && (
                  <>
                    <td rowSpan={vm.nics.length}>{vm.vcpus}</td>
                    <td rowSpan={vm.nics.length}>{t('unit.gib', { value: gib(vm.memoryMiB) })}</td>
                    <td rowSpan={vm.nics.length}>{t('unit.gib', { value: vm.diskGiB })}</td>
                    <td rowSpan={vm.nics.length}>{vm.template}</td>
                  </>
                )}
              </tr>
            )),
          )}
          {plan.vips.map((v) => (
            <tr key={v.name} className="vip-row">
              <td>
                <b>{t('vip.label')} {v.name}</b>
              </td>
              <td>{v.members.map((m) => `${m.node} (${m.priority})`).join(', ')}</td>
              <td>{v.network}</td>
              <td />
              <td className="mono">{v.address}</td>
              <td className="mono muted">{t('vip.vrid', { value: v.virtualRouterId })}</td>
              <td colSpan={4} />
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('plan.networks')}</h3>
      <table data-testid="plan-networks">
        <thead>
          <tr>
            <th>{t('plan.col.network')}</th>
            <th>{t('plan.col.type')}</th>
            <th>{t('plan.col.subnet')}</th>
            <th>{t('plan.col.hostAddress')}</th>
            <th>{t('plan.col.gateway')}</th>
            <th>{t('plan.col.dhcp')}</th>
          </tr>
        </thead>
        <tbody>
          {plan.networks.map((n) => (
            <tr key={n.name}>
              <td>
                <b>{n.name}</b>
              </td>
              <td>{t(`net.${n.type}` as never)}</td>
              <td className="mono">{n.subnet}</td>
              <td className="mono">{n.hostAddress}</td>
              <td className="mono">{n.natGateway ?? '—'}</td>
              <td className="mono">{n.dhcp ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('plan.services')}</h3>
      <ul className="plan-services">
        {/* The plan's catalog messages in the UI's language. */}
        {plan.serviceMsgs.map((m) => render(lang, m)).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      {plan.zones && <ZoneMatrixGrid matrix={plan.zones} lang={lang} />}
      {plan.drills.length > 0 && (
        <>
          <h3>{t('props.drills')}</h3>
          <ul className="plan-services">
            {plan.drills.map((d) => (
              <li key={d}>{t(`drill.${d}` as never)}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
