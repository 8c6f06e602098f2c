/**
 * What a blueprint would build: VMs, VMnets, NICs, addresses, services and
 * resource totals. `halab plan` prints it; the editor's Plan view renders it.
 * Browser-safe.
 */
import type { ResolvedLab } from './model';

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
  for (const v of s.vips) services.push(`VIP ${v.address} (${v.name}) on ${v.network}, VRID ${v.virtualRouterId}, ${v.mode}, held by ${[...v.members].sort((a, b) => b.priority - a.priority).map((m) => `${m.node}(${m.priority})`).join(' > ')}`);
  if (s.loadBalancer) services.push(`nginx on ${s.loadBalancer.members.join(', ')} :${s.loadBalancer.listen.join(',')} → ${s.loadBalancer.upstream.members.join(', ')} :${s.loadBalancer.upstream.port ?? s.app?.port ?? '?'}`);
  if (s.app) services.push(`app (reservations) on ${s.app.members.join(', ')} :${s.app.port}`);
  if (s.database) services.push(`${s.database.engine} primary ${s.database.primary}${r.replicas.length ? ` → replicas ${r.replicas.map((x) => x.node).join(', ')}` : ''}, schema ${s.database.schema}`);
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
