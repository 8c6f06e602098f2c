/**
 * Rules that depend on where the lab runs, and name collisions that would
 * break every provider. A provider's own rules are errors when the blueprint
 * is validated for that provider and warnings otherwise (so a lab written for
 * one still says what the other would refuse). Browser-safe.
 */
import { formatIpv4, nthHost, parseCidr } from './ip';
import { msg, type Message } from '../i18n';
import { issue, quote, type Issue, type IssuePath } from './issues';
import { HOSTNAME_RE } from './rules-network';
import type { Lab } from './schema';

export const BLUEPRINT_PROVIDERS = ['vmware', 'linux', 'incus'] as const;
export type BlueprintProvider = (typeof BLUEPRINT_PROVIDERS)[number];

interface Ctx {
  lab: Lab;
  issues: Issue[];
  provider?: BlueprintProvider;
}

const LABEL: Record<BlueprintProvider, Message> = { vmware: msg('provider.vmware'), linux: msg('provider.linux'), incus: msg('provider.incus') };

function byProvider(ctx: Ctx, target: BlueprintProvider, code: string, path: IssuePath, m: Message, fix: Message): void {
  const chosen = ctx.provider === target;
  ctx.issues.push(issue(chosen ? 'error' : 'warning', code, path, msg(chosen ? 'v.provider' : 'v.providerOther', { provider: LABEL[target], text: m }), fix));
}

/** The VMnet number of `vmnetN` (as VMware reads it: case-insensitive, 0–255), else undefined. */
export function vmnetNumber(name: string): number | undefined {
  const m = /^vmnet(\d{1,3})$/i.exec(name);
  const n = m ? Number(m[1]) : undefined;
  return n !== undefined && n <= 255 ? n : undefined;
}

/** The longest lab or VM name the Linux lab accepts (it names namespaces and machines after them). */
export const LINUX_MAX_NAME = 40;

function vmwareRules(ctx: Ctx): void {
  const used = new Set(ctx.lab.networks.map((n) => vmnetNumber(n.name)).filter((n) => n !== undefined));
  const free = [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].filter((n) => !used.has(n));
  ctx.lab.networks.forEach((n, i) => {
    const at = ['networks', i];
    const num = vmnetNumber(n.name);
    if (num === undefined) {
      const suggestion = free.shift();
      byProvider(ctx, 'vmware', 'vmware-network-name', [...at, 'name'], msg('v.vmwareNetworkName', { name: quote(n.name) }), suggestion !== undefined ? msg('v.vmwareNetworkName.fix', { suggestion: `vmnet${suggestion}` }) : msg('v.vmwareNetworkName.fixAny'));
    } else if (num > 19) {
      ctx.issues.push(issue('warning', 'vmware-windows-vmnet', [...at, 'name'], msg('v.vmwareWindowsVmnet', { name: n.name }), msg('v.vmwareWindowsVmnet.fix')));
    }
    if (n.type === 'bridged') return;
    const parsed = parseCidr(n.subnet);
    if (!parsed.ok || parsed.cidr.prefix > 30) return;
    const host = formatIpv4(nthHost(parsed.cidr, 1));
    if (n.hostAddress !== undefined && n.hostAddress !== host) {
      byProvider(ctx, 'vmware', 'vmware-host-address', [...at, 'hostAddress'], msg('v.vmwareHostAddress', { host, network: n.name, value: quote(n.hostAddress) }), msg('v.vmwareHostAddress.fix', { host }));
    }
    if (n.type === 'nat' && n.natGateway !== undefined) {
      const gw = formatIpv4(nthHost(parsed.cidr, 2));
      if (n.natGateway !== gw) byProvider(ctx, 'vmware', 'vmware-nat-gateway', [...at, 'natGateway'], msg('v.vmwareNatGateway', { network: n.name, gateway: gw, value: quote(n.natGateway) }), msg('v.vmwareNatGateway.fix', { gateway: gw }));
    }
  });
}

function linuxRules(ctx: Ctx): void {
  const { lab } = ctx;
  lab.networks.forEach((n, i) => {
    const at = ['networks', i];
    if (!/^[A-Za-z0-9]/.test(n.name)) {
      const better = n.name.replace(/^[^A-Za-z0-9]+/, '') || `net${i + 1}`;
      byProvider(ctx, 'linux', 'linux-network-name', [...at, 'name'], msg('v.linuxNetworkName', { name: quote(n.name) }), msg('v.linuxNetworkName.fix', { better }));
    }
    if (n.type === 'bridged') {
      byProvider(ctx, 'linux', 'linux-bridged', [...at, 'type'], msg('v.linuxBridged', { network: n.name }), msg('v.linuxBridged.fix'));
    }
  });
  if (HOSTNAME_RE.test(lab.metadata.name) && lab.metadata.name.length > LINUX_MAX_NAME) {
    byProvider(ctx, 'linux', 'linux-name-length', ['metadata', 'name'], msg('v.linuxLabNameLength', { name: quote(lab.metadata.name), length: lab.metadata.name.length, max: LINUX_MAX_NAME }), msg('v.linuxNameLength.fix', { max: LINUX_MAX_NAME }));
  }
  lab.nodes.forEach((node, i) => {
    if (HOSTNAME_RE.test(node.hostname) && node.hostname.length > LINUX_MAX_NAME) {
      byProvider(ctx, 'linux', 'linux-name-length', ['nodes', i, 'hostname'], msg('v.linuxHostnameLength', { name: quote(node.hostname), length: node.hostname.length, max: LINUX_MAX_NAME }), msg('v.linuxNameLength.fix', { max: LINUX_MAX_NAME }));
    }
  });
}

/** Report names that are different as written but the same once made into identifiers. */
function collisions<T>(ctx: Ctx, items: readonly T[], nameOf: (t: T) => string, keyOf: (name: string) => string, path: (i: number) => IssuePath, code: string, what: (a: string, b: string, key: string) => Message): void {
  const seen = new Map<string, { name: string; index: number }>();
  items.forEach((item, i) => {
    const name = nameOf(item);
    const key = keyOf(name);
    const first = seen.get(key);
    if (!first) seen.set(key, { name, index: i });
    else if (first.name !== name) ctx.issues.push(issue('error', code, path(i), what(first.name, name, key), msg('v.nameCollision.fix')));
  });
}

export function checkProviderRules(ctx: Ctx): void {
  vmwareRules(ctx);
  linuxRules(ctx);
  collisions(ctx, ctx.lab.networks, (n) => n.name, (s) => s.toLowerCase().replace(/-/g, '_'), (i) => ['networks', i, 'name'], 'network-name-collision',
    (a, b) => msg('v.networkNameCollision', { a: quote(a), b: quote(b) }));
  collisions(ctx, ctx.lab.services.vips, (v) => v.name, (s) => (s.replace(/[^A-Za-z0-9_]/g, '_') || '_').toUpperCase(), (i) => ['services', 'vips', i, 'name'], 'vip-name-collision',
    (a, b, key) => msg('v.vipNameCollision', { a: quote(a), b: quote(b), key }));
}
