/**
 * What a blueprint would build: VMs, VMnets, NICs, addresses, services and
 * resource totals. `halab plan` prints it; the editor's Plan view renders it.
 * Browser-safe.
 */
import { list, msg, render, type Message } from '../i18n';
import { cacheLbPlanLine, cachePlanLines } from './rules-cache';
import { pgPlanLines } from './plan-postgres';
import { zoneMatrix, type ZoneMatrix } from './zones';
import { grafanaPort } from './monitoring';
import { objectivesStatedMsg } from '../drills/report-text';
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
  /** One line per configured service, in plain words (English). */
  services: string[];
  /** The same lines as catalog messages, for each front end to render in its own language. */
  serviceMsgs: Message[];
  drills: string[];
  /** The zone firewall's from × to matrix (issue 14), when the lab has zones. */
  zones?: ZoneMatrix;
  totals: { vms: number; vcpus: number; memoryMiB: number; diskGiB: number; hostMemoryMiB?: number };
}

export function computePlan(r: ResolvedLab, hostMemoryMiB?: number): LabPlan {
  const s = r.lab.services;
  const serviceMsgs: Message[] = [];
  for (const v of s.vips) serviceMsgs.push(msg('plan.vip', { address: v.address, name: v.name, network: v.network, vrid: v.virtualRouterId, mode: v.mode, members: [...v.members].sort((a, b) => b.priority - a.priority).map((m) => `${m.node}(${m.priority})`).join(' > '), timing: vipTiming(v) }));
  if (s.loadBalancer?.engine === 'haproxy') serviceMsgs.push(cacheLbPlanLine(s.loadBalancer));
  else if (s.loadBalancer) serviceMsgs.push(msg('plan.nginx', { members: list(s.loadBalancer.members), listen: s.loadBalancer.listen.join(','), upstream: list(s.loadBalancer.upstream.members), port: s.loadBalancer.upstream.port ?? s.app?.port ?? '?', retries: lbRetries(s.loadBalancer) }));
  if (s.app) serviceMsgs.push(msg('plan.app', { members: list(s.app.members), port: s.app.port }));
  serviceMsgs.push(...cachePlanLines(s.cache));
  if (s.monitoring) serviceMsgs.push(msg('mon.plan.grafana', { grafana: s.monitoring.prometheus, port: grafanaPort({ lab: r }), loki: s.monitoring.loki ?? s.monitoring.prometheus }));
  if (s.database?.engine === 'postgresql') serviceMsgs.push(...pgPlanLines(r));
  else if (s.database) {
    const rep = dbReplicationOf(s.database);
    const semi = rep.mode === 'semi-sync' ? msg('plan.dbSemi', { ms: rep.semiSyncTimeoutMs }) : '';
    serviceMsgs.push(msg('plan.db', { engine: s.database.engine, primary: s.database.primary, replicas: r.replicas.length ? msg('plan.dbReplicas', { replicas: list(r.replicas.map((x) => x.node)) }) : '', schema: s.database.schema, semi }));
  }
  if (s.monitoring) serviceMsgs.push(msg('plan.monitoring', { prometheus: s.monitoring.prometheus, alertmanager: s.monitoring.alertmanager ?? s.monitoring.prometheus, loki: s.monitoring.loki ? msg('plan.monitoringLoki', { node: s.monitoring.loki }) : '' }));
  if (s.backup) serviceMsgs.push(msg('plan.backup', { node: s.backup.runOn, schedule: s.backup.schedule, days: s.backup.retentionDays, dir: s.backup.targetDir, copy: s.backup.copyTo ? msg('plan.backupCopy', { node: s.backup.copyTo }) : '' }));
  serviceMsgs.push(s.firewall.enabled ? msg('plan.ufw', { sources: list(s.firewall.adminSources ?? r.networks.map((n) => n.hostAddress)) }) : msg('plan.ufwOff'));
  const zones = zoneMatrix(r.lab);
  if (zones) serviceMsgs.push(msg('z.plan.summary', { router: zones.router, zones: list(zones.zones.map((z) => z.name)), allowed: zones.cells.reduce((a, c) => a + c.allowed.length, 0) }));
  serviceMsgs.push(r.lab.hardening === 'baseline' ? msg('z.plan.hardening') : msg('z.plan.hardeningNone'));
  if (r.lab.objectives) serviceMsgs.push(objectivesStatedMsg(r.lab.objectives));
  const services = serviceMsgs.map((m) => render('en', m));
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
    serviceMsgs,
    drills: r.lab.drills,
    ...(zones ? { zones } : {}),
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
function vipTiming(v: PlanVip): Message | string {
  const parts: Message[] = [];
  const version = vrrpVersion(v);
  if (version === 3 || v.preempt !== undefined || v.trackScript !== undefined) {
    const backup = [...v.members].sort((a, b) => b.priority - a.priority)[1];
    parts.push(backup ? msg('plan.vrrpDown', { version, advert: v.advertInterval, ms: masterDownMs(version, v.advertInterval, backup.priority) }) : msg('plan.vrrp', { version, advert: v.advertInterval }));
    const p = preemptOf(v);
    parts.push(!p.preempt ? msg('plan.noPreempt') : p.delaySeconds > 0 ? msg('plan.preemptDelay', { delay: p.delaySeconds }) : msg('plan.preemptNow'));
    if (v.track !== 'none') {
      const t = trackScriptOf(v);
      parts.push(msg('plan.track', { interval: t.interval, fall: t.fall, rise: t.rise, weight: t.weight ? msg('plan.trackWeight', { weight: t.weight }) : '', onStop: t.onStop ? msg('plan.trackOnStop') : '' }));
    }
  }
  const [a, b, c] = parts;
  if (a && b && c) return msg('plan.parts3', { a, b, c });
  if (a && b) return msg('plan.parts2', { a, b });
  return a ? msg('plan.parts1', { a }) : '';
}

/** nginx retries in words; empty with the seed's defaults. */
function lbRetries(lb: NonNullable<ResolvedLab['lab']['services']['loadBalancer']>): Message | string {
  if (!lb.proxy) return '';
  const p = lbProxyOf(lb);
  return msg('plan.retries', {
    connect: p.connectTimeoutSeconds,
    on: p.nextUpstream.length ? p.nextUpstream.join(' ') : msg('plan.retriesNothing'),
    post: p.nonIdempotent ? msg('plan.retriesPost') : '',
    tries: p.tries || msg('plan.retriesAnyNumber'),
    within: p.nextUpstreamTimeoutSeconds || msg('plan.retriesUnlimited'),
  });
}
