/**
 * Rules that depend on where the lab runs, and name collisions that would
 * break every provider. A provider's own rules are errors when the blueprint
 * is validated for that provider and warnings otherwise (so a lab written for
 * one still says what the other would refuse). Browser-safe.
 */
import { formatIpv4, nthHost, parseCidr } from './ip';
import { quote, type Issue, type IssuePath } from './issues';
import { HOSTNAME_RE } from './rules-network';
import type { Lab } from './schema';

export const BLUEPRINT_PROVIDERS = ['vmware', 'linux'] as const;
export type BlueprintProvider = (typeof BLUEPRINT_PROVIDERS)[number];

interface Ctx {
  lab: Lab;
  issues: Issue[];
  provider?: BlueprintProvider;
}

const LABEL: Record<BlueprintProvider, string> = { vmware: 'VMware', linux: 'Linux lab' };

function byProvider(ctx: Ctx, target: BlueprintProvider, code: string, path: IssuePath, message: string, fix: string): void {
  const chosen = ctx.provider === target;
  ctx.issues.push({
    severity: chosen ? 'error' : 'warning',
    code,
    path,
    message: `${LABEL[target]}: ${message}${chosen ? '' : ` (this matters only when the lab runs on the ${LABEL[target]} provider)`}`,
    fix,
  });
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
      byProvider(ctx, 'vmware', 'vmware-network-name', [...at, 'name'], `network name ${quote(n.name)} is not a VMnet; VMware networks are named vmnet0 … vmnet255.`, `Rename it to a VMnet${suggestion !== undefined ? ` such as vmnet${suggestion}` : ''} (vmnet8 is VMware's NAT network, vmnet1 host-only, vmnet0 bridged) and change the NICs and VIPs that use it.`);
    } else if (num > 19) {
      ctx.issues.push({ severity: 'warning', code: 'vmware-windows-vmnet', path: [...at, 'name'], message: `VMware: ${n.name} exists only on Linux hosts; Windows hosts have vmnet0 … vmnet19.`, fix: 'Use vmnet2 … vmnet19 if the lab may run on Windows.' });
    }
    if (n.type === 'bridged') return;
    const parsed = parseCidr(n.subnet);
    if (!parsed.ok || parsed.cidr.prefix > 30) return;
    const host = formatIpv4(nthHost(parsed.cidr, 1));
    if (n.hostAddress !== undefined && n.hostAddress !== host) {
      byProvider(ctx, 'vmware', 'vmware-host-address', [...at, 'hostAddress'], `the host always has ${host} (.1) on ${n.name}, but hostAddress is ${quote(n.hostAddress)}.`, `Set hostAddress to ${host}, or remove it (the default is .1).`);
    }
    if (n.type === 'nat' && n.natGateway !== undefined) {
      const gw = formatIpv4(nthHost(parsed.cidr, 2));
      if (n.natGateway !== gw) byProvider(ctx, 'vmware', 'vmware-nat-gateway', [...at, 'natGateway'], `the NAT gateway on ${n.name} is always ${gw} (.2), but natGateway is ${quote(n.natGateway)}.`, `Set natGateway to ${gw}, or remove it (the default is .2).`);
    }
  });
}

function linuxRules(ctx: Ctx): void {
  const { lab } = ctx;
  lab.networks.forEach((n, i) => {
    const at = ['networks', i];
    if (!/^[A-Za-z0-9]/.test(n.name)) {
      const better = n.name.replace(/^[^A-Za-z0-9]+/, '') || `net${i + 1}`;
      byProvider(ctx, 'linux', 'linux-network-name', [...at, 'name'], `network name ${quote(n.name)} must begin with a letter or digit (it names the lab's bridge and folders).`, `Rename it to "${better}" and change the NICs and VIPs that use it.`);
    }
    if (n.type === 'bridged') {
      byProvider(ctx, 'linux', 'linux-bridged', [...at, 'type'], `${n.name} is bridged, which would put lab VMs on your real LAN; the Linux lab keeps every lab inside this computer.`, 'Use type nat, hostonly or custom.');
    }
  });
  if (HOSTNAME_RE.test(lab.metadata.name) && lab.metadata.name.length > LINUX_MAX_NAME) {
    byProvider(ctx, 'linux', 'linux-name-length', ['metadata', 'name'], `the lab name ${quote(lab.metadata.name)} is ${lab.metadata.name.length} characters; at most ${LINUX_MAX_NAME} fit in its namespace names.`, `Shorten it to ${LINUX_MAX_NAME} characters or fewer.`);
  }
  lab.nodes.forEach((node, i) => {
    if (HOSTNAME_RE.test(node.hostname) && node.hostname.length > LINUX_MAX_NAME) {
      byProvider(ctx, 'linux', 'linux-name-length', ['nodes', i, 'hostname'], `the hostname ${quote(node.hostname)} is ${node.hostname.length} characters; at most ${LINUX_MAX_NAME} fit in its namespace and machine names.`, `Shorten it to ${LINUX_MAX_NAME} characters or fewer.`);
    }
  });
}

/** Report names that are different as written but the same once made into identifiers. */
function collisions<T>(ctx: Ctx, items: readonly T[], nameOf: (t: T) => string, keyOf: (name: string) => string, path: (i: number) => IssuePath, code: string, what: (a: string, b: string, key: string) => string): void {
  const seen = new Map<string, { name: string; index: number }>();
  items.forEach((item, i) => {
    const name = nameOf(item);
    const key = keyOf(name);
    const first = seen.get(key);
    if (!first) seen.set(key, { name, index: i });
    else if (first.name !== name) ctx.issues.push({ severity: 'error', code, path: path(i), message: what(first.name, name, key), fix: `Rename one of them so the names differ in a letter or digit, not only in "-", "_" or case.` });
  });
}

export function checkProviderRules(ctx: Ctx): void {
  vmwareRules(ctx);
  linuxRules(ctx);
  collisions(ctx, ctx.lab.networks, (n) => n.name, (s) => s.toLowerCase().replace(/-/g, '_'), (i) => ['networks', i, 'name'], 'network-name-collision',
    (a, b) => `Networks ${quote(a)} and ${quote(b)} differ only in "-"/"_" or case, so they collide once made into identifiers (the lab graph, VMware's case-insensitive VMnet names).`);
  collisions(ctx, ctx.lab.services.vips, (v) => v.name, (s) => (s.replace(/[^A-Za-z0-9_]/g, '_') || '_').toUpperCase(), (i) => ['services', 'vips', i, 'name'], 'vip-name-collision',
    (a, b, key) => `VIP groups ${quote(a)} and ${quote(b)} both become the keepalived instance VI_${key}.`);
}
