/**
 * Network safety. Lab subnets are private ranges and traffic to them must
 * never leave this machine. Each lab subnet gets a high-metric `unreachable`
 * route, added before the bridge exists and kept while anything may still
 * send there: while the bridge is up its connected route (metric 0) wins;
 * once the bridge is gone a connection fails at once with EHOSTUNREACH
 * instead of following the default route out of the machine.
 *
 * A guard is shared by every lab using that subnet: holders are recorded in
 * /run/halab/guards, and the route goes only when its last lab is cleaned up
 * (`cleanupLab`). Removing a network or destroying VMs keeps it.
 *
 * Labs are offline: nothing is masqueraded, dnsmasq hands out no router, and
 * each lab bridge gets a policy rule that makes anything the host would
 * forward from it unreachable (guests reach each other over the bridge and
 * the host's own `.1`, nothing else).
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpOptions } from '../types';
import { HypervisorError } from '../types';
import type { Commands } from './commands';
import { cidrOverlaps, formatCidr, isPrivateSubnet, parseCidr, type Cidr } from './subnet';

/** Metric of the guard routes: far above any real route, so real routes always win. */
export const GUARD_METRIC = 4000;
/** Priority of the per-bridge "do not forward" policy rule. */
export const FORWARD_RULE_PREF = 4000;

/** Where guard holders are recorded (tmpfs: the routes vanish on reboot too). */
export function guardRegistryDir(): string {
  return process.env.HALAB_GUARD_DIR || '/run/halab/guards';
}

/** Parse and check a lab subnet: it must be a private (RFC 1918) range no larger than a /8. */
export function checkLabSubnet(subnet: string): Cidr {
  let c: Cidr;
  try {
    c = parseCidr(subnet);
  } catch (e) {
    throw new HypervisorError((e as Error).message, 'failed', 'Write the subnet like 192.168.10.0/24.');
  }
  if (!isPrivateSubnet(c)) {
    throw new HypervisorError(
      `The lab subnet ${subnet} is not a private address range, so lab traffic could leave this computer.`,
      'failed',
      'Use a private range: 10.x.x.x, 172.16–31.x.x or 192.168.x.x (for example 192.168.10.0/24).',
    );
  }
  return c;
}

interface RouteJson {
  type?: string;
  dst?: string;
  dev?: string;
  metric?: number;
}

async function routes(cmd: Commands, opts: OpOptions): Promise<RouteJson[]> {
  const res = await cmd.run(['ip', '-j', '-4', 'route', 'show', 'table', 'main'], { ...opts, quiet: true });
  return JSON.parse(res.stdout || '[]') as RouteJson[];
}

const routeCidr = (r: RouteJson): Cidr | undefined => {
  if (!r.dst || r.dst === 'default') return undefined;
  return parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
};

/** Is the guard route for this subnet in place? */
export async function guardPresent(cmd: Commands, c: Cidr, opts: OpOptions = {}): Promise<boolean> {
  const want = formatCidr(c);
  return (await routes(cmd, opts)).some((r) => r.type === 'unreachable' && r.dst === want && r.metric === GUARD_METRIC);
}

/**
 * Host routes (other than guards and the lab's own bridge) that overlap the
 * subnet: a lab there would hijack or shadow a real network of this computer.
 */
export async function conflictingRoutes(cmd: Commands, c: Cidr, ownBridge: string, opts: OpOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (const r of await routes(cmd, opts)) {
    const rc = routeCidr(r);
    if (!rc || !cidrOverlaps(rc, c)) continue;
    if (r.type === 'unreachable' && r.metric === GUARD_METRIC) continue;
    if (r.dev === ownBridge) continue;
    out.push(`${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
  }
  return out;
}

const holderDir = (c: Cidr): string => join(guardRegistryDir(), formatCidr(c).replace('/', '_'));

/** Record this lab as a holder of the subnet's guard and make sure the route exists. */
export async function addGuard(cmd: Commands, labId: string, c: Cidr, opts: OpOptions = {}): Promise<void> {
  await mkdir(holderDir(c), { recursive: true });
  await writeFile(join(holderDir(c), labId), `${new Date().toISOString()}\n`);
  if (await guardPresent(cmd, c, opts)) return;
  await cmd.run(['ip', 'route', 'add', 'unreachable', formatCidr(c), 'metric', String(GUARD_METRIC)], opts);
}

/** Subnets this lab holds guards for (from the registry). */
export async function guardsOfLab(labId: string): Promise<Cidr[]> {
  const out: Cidr[] = [];
  for (const d of await readdir(guardRegistryDir()).catch(() => [] as string[])) {
    const holders = await readdir(join(guardRegistryDir(), d)).catch(() => [] as string[]);
    if (holders.includes(labId)) out.push(parseCidr(d.replace('_', '/')));
  }
  return out;
}

/** Drop this lab's hold on the guard; the route goes only when no lab holds it any more. */
export async function releaseGuard(cmd: Commands, labId: string, c: Cidr, opts: OpOptions = {}): Promise<void> {
  const dir = holderDir(c);
  await rm(join(dir, labId), { force: true });
  const others = await readdir(dir).catch(() => [] as string[]);
  if (others.length > 0) return;
  await rm(dir, { recursive: true, force: true });
  while (await guardPresent(cmd, c, opts)) {
    await cmd.run(['ip', 'route', 'del', 'unreachable', formatCidr(c), 'metric', String(GUARD_METRIC)], opts);
  }
}

/** Bridges that have the "never forward" rule. */
export async function forwardBlockedBridges(cmd: Commands, opts: OpOptions = {}): Promise<string[]> {
  const res = await cmd.run(['ip', '-j', 'rule', 'show'], { ...opts, quiet: true });
  const rules = JSON.parse(res.stdout || '[]') as { priority?: number; iif?: string; action?: string }[];
  return rules.filter((r) => r.priority === FORWARD_RULE_PREF && r.action === 'unreachable' && r.iif).map((r) => r.iif as string);
}

/** Make everything the host would route onward from this bridge unreachable (idempotent). */
export async function blockForwarding(cmd: Commands, bridge: string, opts: OpOptions = {}): Promise<void> {
  if ((await forwardBlockedBridges(cmd, opts)).includes(bridge)) return;
  await cmd.run(['ip', 'rule', 'add', 'iif', bridge, 'unreachable', 'pref', String(FORWARD_RULE_PREF)], opts);
}

/** Remove the bridge's forwarding rule (no-op when absent). */
export async function unblockForwarding(cmd: Commands, bridge: string, opts: OpOptions = {}): Promise<void> {
  let n = 0;
  while ((await forwardBlockedBridges(cmd, opts)).includes(bridge) && n++ < 10) {
    await cmd.run(['ip', 'rule', 'del', 'iif', bridge, 'unreachable', 'pref', String(FORWARD_RULE_PREF)], opts);
  }
}
