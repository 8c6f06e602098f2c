/**
 * Names things the way a student does: a blueprint path becomes
 * "lb-master's first NIC · Address" rather than nodes[2].nics[0].address,
 * and a canvas line names its two ends. Pure; `t` is the UI's translate.
 */
import type { MessageKey, Params } from '../i18n';
import type { Draft, Path } from './draft';

type T = (key: MessageKey, params?: Params) => string;

const FIELD: Record<string, MessageKey> = {
  hostname: 'props.hostname',
  roles: 'props.roles',
  vcpus: 'props.vcpus',
  memoryMiB: 'props.memoryMiB',
  diskGiB: 'props.diskGiB',
  template: 'props.template',
  description: 'props.description',
  network: 'props.nicNetwork',
  address: 'props.address',
  mac: 'props.mac',
  name: 'props.name',
  type: 'props.type',
  subnet: 'props.subnet',
  hostAddress: 'props.hostAddress',
  natGateway: 'props.natGateway',
  virtualRouterId: 'props.vrid',
  members: 'props.members',
  priority: 'props.priority',
  advertInterval: 'props.advert',
  mode: 'props.mode',
  track: 'props.track',
  nics: 'props.nics',
  prometheus: 'props.prometheus',
  alertmanager: 'props.alertmanager',
  loki: 'props.loki',
  runOn: 'props.runOn',
  copyTo: 'props.copyTo',
  primary: 'props.primary',
  replicas: 'props.replicas',
  adminSources: 'props.adminSources',
  listen: 'props.listen',
  port: 'props.port',
  engine: 'props.engine',
  schedule: 'props.schedule',
};
const SERVICE: Record<string, MessageKey> = {
  loadBalancer: 'props.loadBalancer',
  app: 'props.app',
  database: 'props.database',
  monitoring: 'props.monitoring',
  backup: 'props.backup',
  firewall: 'props.firewall',
};

/** "first", "second", … (to the eighth), else "#n". */
export function ordinal(t: T, index: number): string {
  return index >= 0 && index < 8 ? t(`ordinal.${index}` as MessageKey) : `#${index + 1}`;
}

const field = (t: T, f: string | number | undefined): string[] => (f === undefined ? [] : [typeof f === 'string' && FIELD[f] ? t(FIELD[f] as MessageKey) : String(f)]);

/** A blueprint path in the student's words. */
export function describePath(d: Draft, path: Path, t: T): string {
  const [head, a, b, c, e, ...rest] = path;
  const parts: string[] = [];
  if (head === 'nodes' && typeof a === 'number') {
    const host = d.nodes[a]?.hostname || t('path.vmN', { n: a + 1 });
    if (b === 'nics' && typeof c === 'number') parts.push(t('path.nic', { host, ordinal: ordinal(t, c) }), ...field(t, e));
    else parts.push(host, ...field(t, b));
  } else if (head === 'networks' && typeof a === 'number') {
    parts.push(t('path.network', { name: d.networks[a]?.name || t('path.vmN', { n: a + 1 }) }), ...field(t, b));
  } else if (head === 'services' && a === 'vips' && typeof b === 'number') {
    parts.push(t('path.vip', { name: d.services?.vips?.[b]?.name ?? String(b + 1) }));
    if (c === 'members' && typeof e === 'number') parts.push(d.services?.vips?.[b]?.members[e]?.node ?? t('path.memberN', { n: e + 1 }), ...field(t, rest[0]));
    else parts.push(...field(t, c));
  } else if (head === 'services' && typeof a === 'string') {
    const rest2 = b === 'upstream' && (c === 'members' || c === undefined) ? [t('props.upstreamMembers')] : [b, c].filter((x) => typeof x === 'string').flatMap((x) => field(t, x));
    parts.push(SERVICE[a] ? t(SERVICE[a] as MessageKey) : a, ...rest2);
  } else if (head === 'metadata' || head === 'defaults' || head === 'drills') {
    parts.push(t(head === 'metadata' ? 'props.metadata' : head === 'defaults' ? 'props.defaults' : 'props.drills'), ...field(t, a));
  } else if (path.length === 0) parts.push(t('path.lab'));
  else parts.push(...path.map((p) => field(t, p)).flat());
  return parts.join(' · ');
}

/** What a canvas line is, and its two ends by name. */
export interface EdgeEnds {
  kind: 'nic' | 'upstream' | 'replication' | 'vip';
  from: string;
  to: string;
}

/** The ends of a derived edge (ids as in flow-model: nic:<vm>:<nic>, up:<lb>:<app>, repl:<replica>, vipm:<vip>:<member>). */
export function describeEdge(d: Draft, id: string): EdgeEnds | undefined {
  const [kind, x, y] = id.split(':');
  if (kind === 'nic') {
    const n = d.nodes[Number(x)];
    const nic = n?.nics[Number(y)];
    return n && nic ? { kind: 'nic', from: n.hostname, to: nic.network } : undefined;
  }
  if (kind === 'up' && x && y) return { kind: 'upstream', from: x, to: y };
  if (kind === 'repl' && x) return { kind: 'replication', from: d.services?.database?.primary ?? '', to: x };
  if (kind === 'vipm') {
    const v = d.services?.vips?.[Number(x)];
    const m = v?.members[Number(y)];
    return v && m ? { kind: 'vip', from: `VIP ${v.name}`, to: m.node } : undefined;
  }
  return undefined;
}
