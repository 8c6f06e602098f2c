/**
 * What a blueprint would build: VMs, VMnets, NICs, addresses, services and
 * resource totals. `halab plan` prints it; the editor's Plan view renders it.
 * Browser-safe.
 */
import { dbReplicationOf, lbProxyOf, masterDownMs, preemptOf, trackScriptOf, vrrpVersion, type ResolvedLab } from './model';

export interface PlanVm {
  hostname: string;
  roles: string[];
  template: string;
  clone: 'linked' | 'full';
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  nics: { network: string; address: string; mac: string; ifname: string }[];
}

export interface PlanNetwork {
  name: string;
  type: string;
  subnet: string;
  hostAddress: string;
  natGateway?: string;
  dhcp?: string;
}

export interface LabPlan {
  lab: string;
  title?: string;
  vms: PlanVm[];
  networks: PlanNetwork[];
  vips: { name: string; address: string; network: string; virtualRouterId: number; members: { node: string; priority: number }[] }[];
  /** One line per configured service, in plain words. */
  services: string[];
  drills: string[];
  totals: { vms: number; vcpus: number; memoryMiB: number; diskGiB: number; hostMemoryMiB?: number };
}

export function computePlan(r: ResolvedLab, hostMemoryMiB?: number): LabPlan {
  const s = r.lab.services;
  const services: string[] = [];
  for (const v of s.vips) services.push(`VIP ${v.address} (${v.name}) on ${v.network}, VRID ${v.virtualRouterId}, ${v.mode}, held by ${[...v.members].sort((a, b) => b.priority - a.priority).map((m) => `${m.node}(${m.priority})`).join(' > ')}${vipTiming(v)}`);
  if (s.loadBalancer) services.push(`nginx on ${s.loadBalancer.members.join(', ')} :${s.loadBalancer.listen.join(',')} → ${s.loadBalancer.upstream.members.join(', ')} :${s.loadBalancer.upstream.port ?? s.app?.port ?? '?'}${lbRetries(s.loadBalancer)}`);
  if (s.app) services.push(`app (reservations) on ${s.app.members.join(', ')} :${s.app.port}`);
  if (s.database) {
    const rep = dbReplicationOf(s.database);
    const semi = rep.mode === 'semi-sync' ? `, semi-sync replication (a commit waits AFTER_SYNC for a replica; after ${rep.semiSyncTimeoutMs} ms without one the primary falls back to async)` : '';
    services.push(`${s.database.engine} primary ${s.database.primary}${r.replicas.length ? ` → replicas ${r.replicas.map((x) => x.node).join(', ')}` : ''}, schema ${s.database.schema}${semi}`);
  }
  if (s.monitoring) services.push(`Prometheus on ${s.monitoring.prometheus}, Alertmanager on ${s.monitoring.alertmanager ?? s.monitoring.prometheus}; node_exporter on every VM; no Loki${s.monitoring.loki ? ` (monitoring.loki ${s.monitoring.loki} is ignored)` : ''}: Debian 12 packages neither Loki nor promtail and lab VMs have no internet, so logs stay in each VM's journal`);
  if (s.backup) services.push(`backup on ${s.backup.runOn} at ${s.backup.schedule}, keep ${s.backup.retentionDays} days in ${s.backup.targetDir}${s.backup.copyTo ? `, copy to ${s.backup.copyTo}` : ''}`);
  services.push(s.firewall.enabled ? `UFW on every VM; SSH only from ${(s.firewall.adminSources ?? r.networks.map((n) => n.hostAddress)).join(', ')}` : 'UFW disabled');
  const vms: PlanVm[] = r.nodes.map((n) => ({
    hostname: n.hostname,
    roles: n.roles,
    template: n.template,
    clone: n.clone,
    vcpus: n.vcpus,
    memoryMiB: n.memoryMiB,
    diskGiB: n.diskGiB,
    nics: n.nics.map(({ network, address, mac, ifname }) => ({ network, address, mac, ifname })),
  }));
  return {
    lab: r.name,
    title: r.lab.metadata.title,
    vms,
    networks: r.networks.map((n) => ({ name: n.name, type: n.type, subnet: n.subnet, hostAddress: n.hostAddress, natGateway: n.natGateway, dhcp: n.dhcp ? `${n.dhcp.start}–${n.dhcp.end}` : undefined })),
    vips: s.vips.map((v) => ({ name: v.name, address: v.address, network: v.network, virtualRouterId: v.virtualRouterId, members: v.members })),
    services,
    drills: r.lab.drills,
    totals: {
      vms: vms.length,
      vcpus: vms.reduce((a, v) => a + v.vcpus, 0),
      memoryMiB: vms.reduce((a, v) => a + v.memoryMiB, 0),
      diskGiB: vms.reduce((a, v) => a + v.diskGiB, 0),
      hostMemoryMiB,
    },
  };
}

type PlanVip = ResolvedLab['lab']['services']['vips'][number];

/** The failover options of a VIP group, in words; empty with the seed's defaults (VRRPv2, preempt, default check). */
function vipTiming(v: PlanVip): string {
  const parts: string[] = [];
  const version = vrrpVersion(v);
  if (version === 3 || v.preempt !== undefined || v.trackScript !== undefined) {
    const backup = [...v.members].sort((a, b) => b.priority - a.priority)[1];
    parts.push(`VRRPv${version}, adverts every ${v.advertInterval} s${backup ? `, master-down interval ${masterDownMs(version, v.advertInterval, backup.priority)} ms` : ''}`);
    const p = preemptOf(v);
    parts.push(!p.preempt ? 'no preemption (the VIP stays where it is after a failover)' : p.delaySeconds > 0 ? `takes the VIP back ${p.delaySeconds} s after recovering` : 'takes the VIP back at once');
    if (v.track === 'nginx') {
      const t = trackScriptOf(v);
      parts.push(`nginx checked every ${t.interval} s, ${t.fall} failure(s) to give up, ${t.rise} success(es) to come back${t.weight ? `, weight ${t.weight}` : ''}${t.onStop ? ', an nginx stop moves the VIP at once' : ''}`);
    }
  }
  return parts.length ? `; ${parts.join('; ')}` : '';
}

/** nginx retries in words; empty with the seed's defaults. */
function lbRetries(lb: NonNullable<ResolvedLab['lab']['services']['loadBalancer']>): string {
  if (!lb.proxy) return '';
  const p = lbProxyOf(lb);
  return `; connect timeout ${p.connectTimeoutSeconds} s, retries on ${p.nextUpstream.length ? p.nextUpstream.join(' ') : 'nothing'}${p.nonIdempotent ? ' (POST too)' : ''}, at most ${p.tries || 'any number of'} server(s) within ${p.nextUpstreamTimeoutSeconds || 'unlimited'} s`;
}
