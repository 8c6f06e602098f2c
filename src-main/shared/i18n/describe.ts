/**
 * Names things the way a student does: a blueprint path becomes "lb-master's
 * first NIC · Address" ("lb-master의 첫 번째 NIC · 주소") rather than
 * nodes[2].nics[0].address. Used by the validator's messages, the CLI and the
 * renderer (Problems panel). Pure and browser-safe.
 */
import { msg, render, type Lang, type Message, type MessageCode } from './index';

/** The parts of a blueprint the names come from (a Lab or the editor's draft). */
export interface NamedLab {
  nodes: readonly { hostname?: string }[];
  networks: readonly { name?: string }[];
  services?: { vips?: readonly { name?: string; members?: readonly { node?: string }[] }[] } | null;
}

type Path = readonly (string | number)[];

const FIELDS = new Set([
  'hostname', 'roles', 'vcpus', 'memoryMiB', 'diskGiB', 'template', 'description', 'nics', 'network', 'address', 'mac', 'name', 'type', 'subnet',
  'hostAddress', 'natGateway', 'dhcp', 'virtualRouterId', 'advertInterval', 'mode', 'track', 'trackScript', 'preempt', 'members', 'priority',
  'listen', 'port', 'engine', 'primary', 'replicas', 'replication', 'prometheus', 'alertmanager', 'loki', 'runOn', 'schedule', 'copyTo',
  'adminSources', 'node',
]);
const SERVICES = new Set(['loadBalancer', 'app', 'database', 'monitoring', 'backup', 'firewall']);

/** "first", "second", … (to the eighth), else "number 9". */
export function ordinal(index: number): Message {
  return index >= 0 && index < 8 ? { code: `ordinal.${index}` as MessageCode } : msg('ordinal.n', { n: index + 1 });
}

/** "lb-master's first NIC". */
export function nicName(host: string, index: number): Message {
  return msg('name.nic', { host, ordinal: ordinal(index) });
}

/** A field's name, or the key itself when the catalog has none. */
export function fieldName(f: string | number): Message | string {
  return typeof f === 'string' && FIELDS.has(f) ? { code: `field.${f}` as MessageCode } : String(f);
}

const fieldPart = (f: string | number | undefined): (Message | string)[] => (f === undefined ? [] : [fieldName(f)]);

/** A blueprint path as parts (each a Message or a plain name), most general first. */
export function pathParts(lab: NamedLab, path: Path): (Message | string)[] {
  const [head, a, b, c, e, ...rest] = path;
  const parts: (Message | string)[] = [];
  if (head === 'nodes' && typeof a === 'number') {
    const host: Message | string = lab.nodes[a]?.hostname || msg('name.vmN', { n: a + 1 });
    if (b === 'nics' && typeof c === 'number') parts.push(msg('name.nic', { host, ordinal: ordinal(c) }), ...fieldPart(e), ...rest.map(String));
    else parts.push(host, ...fieldPart(b), ...[c, e, ...rest].filter((x) => x !== undefined).map(String));
  } else if (head === 'networks' && typeof a === 'number') {
    parts.push(msg('name.network', { name: lab.networks[a]?.name || String(a + 1) }), ...fieldPart(b), ...[c, e, ...rest].filter((x) => x !== undefined).map(String));
  } else if (head === 'services' && a === 'vips' && typeof b === 'number') {
    const vip = lab.services?.vips?.[b];
    parts.push(msg('name.vip', { name: vip?.name ?? String(b + 1) }));
    if (c === 'members' && typeof e === 'number') parts.push(vip?.members?.[e]?.node ?? msg('name.memberN', { n: e + 1 }), ...fieldPart(rest[0]));
    else parts.push(...fieldPart(c), ...[e, ...rest].filter((x) => x !== undefined).map(String));
  } else if (head === 'services' && typeof a === 'string') {
    const tail = b === 'upstream' && (c === 'members' || c === undefined) ? [msg('field.upstreamMembers')] : [b, c].filter((x): x is string => typeof x === 'string').map(fieldName);
    parts.push(SERVICES.has(a) ? { code: `service.${a}` as MessageCode } : a, ...tail);
  } else if (head === 'metadata' || head === 'defaults' || head === 'drills') {
    parts.push(msg(head === 'metadata' ? 'field.metadata' : head === 'defaults' ? 'field.defaults' : 'field.drills'), ...fieldPart(a));
  } else if (path.length === 0) parts.push(msg('name.lab'));
  else parts.push(...path.map((p) => fieldName(p)));
  return parts;
}

/** A blueprint path in the student's words, in `lang`: "lb-master's second NIC · Address". */
export function describePath(lab: NamedLab, path: Path, lang: Lang): string {
  return pathParts(lab, path)
    .map((p) => (typeof p === 'string' ? p : render(lang, p)))
    .join(' · ');
}
