/**
 * The kernel limits that decide how many containers this computer can run at
 * once. Every unprivileged container's root is the same host uid, so all of
 * them share one per-user quota of kernel keys (systemd gives every unit a
 * keyring) and of inotify instances. Debian's defaults (200 keys, 20000 key
 * bytes, 128 inotify instances) hold about eight of the lab's containers;
 * past that, units inside fail to start at random and `up` fails late with a
 * failed unit. `scripts/incus/setup.sh` raises them; `up` refuses to start a
 * container that would not fit, and `lab:preflight` says so before.
 */
import { readFile } from 'node:fs/promises';
import { msg, render } from '../../shared/i18n';
import { checkLine } from '../../shared/i18n/check-line';
import type { CheckLine } from '../../shared/ipc/contract';
import { HypervisorError, withMsg } from '../types';
import type { IncusClient } from './client';

/**
 * What one of the lab's containers takes at its peak (booting, then SSH and
 * service restarts while provisioning), measured with the lab image: 9
 * containers peaked at 212 keys and 130 inotify instances (about 24 and 15
 * each). A key is counted at 100 bytes, the kernel's default average.
 */
export const PER_CONTAINER = { keys: 25, keyBytes: 2500, inotify: 16 } as const;

export interface HostLimits {
  maxKeys: number;
  maxKeyBytes: number;
  inotifyInstances: number;
}

const SYSCTL: Record<keyof HostLimits, string> = {
  maxKeys: 'kernel/keys/maxkeys',
  maxKeyBytes: 'kernel/keys/maxbytes',
  inotifyInstances: 'fs/inotify/max_user_instances',
};

/** This computer's limits (from /proc/sys); undefined where one cannot be read. */
export async function readHostLimits(procSys = '/proc/sys'): Promise<HostLimits | undefined> {
  const out: Partial<HostLimits> = {};
  for (const [k, path] of Object.entries(SYSCTL) as [keyof HostLimits, string][]) {
    const v = Number((await readFile(`${procSys}/${path}`, 'utf8').catch(() => '')).trim());
    if (!Number.isFinite(v) || v <= 0) return undefined;
    out[k] = v;
  }
  return out as HostLimits;
}

/** How many containers the limits hold at once, and which limit is the tightest. */
export function containerRoom(l: HostLimits): { room: number; tightest: string } {
  const each = [
    { name: 'kernel.keys.maxkeys', room: Math.floor(l.maxKeys / PER_CONTAINER.keys) },
    { name: 'kernel.keys.maxbytes', room: Math.floor(l.maxKeyBytes / PER_CONTAINER.keyBytes) },
    { name: 'fs.inotify.max_user_instances', room: Math.floor(l.inotifyInstances / PER_CONTAINER.inotify) },
  ].sort((a, b) => a.room - b.room);
  return { room: each[0]!.room, tightest: each[0]!.name };
}

/** Containers running on the server, in every project. */
export async function runningContainers(c: IncusClient): Promise<number> {
  const all = await c.get<{ type?: string; status?: string }[]>('/1.0/instances', { query: { 'all-projects': 'true', recursion: '1' } });
  return all.filter((i) => (i.type ?? 'container') === 'container' && i.status === 'Running').length;
}

/** The preflight (and doctor) line: room for this lab's containers beside those running now; without a lab, the room left. */
export function hostLimitsLine(l: HostLimits, running: number, adds?: number): CheckLine {
  const { room, tightest } = containerRoom(l);
  const p = { room, running, adds: adds ?? 0, limit: tightest };
  if (adds === undefined) {
    return checkLine('host-limits', running >= room ? 'warning' : 'ok', msg('inc.pre.limitsRoom', p), msg('inc.pre.limits.detail', p), running >= room ? msg('inc.pre.limitsLow.fix') : undefined);
  }
  return running + adds > room
    ? checkLine('host-limits', 'error', msg('inc.pre.limitsLow', p), msg('inc.pre.limits.detail', p), msg('inc.pre.limitsLow.fix'))
    : checkLine('host-limits', 'ok', msg('inc.pre.limitsOk', p), msg('inc.pre.limits.detail', p));
}

/**
 * The host-limits line for `lab:preflight` and the doctor: only for containers on this
 * computer's daemon (a remote server, or VM instances, have no such shared quota here).
 */
export async function hostLimitsCheck(c: IncusClient, instanceType: 'container' | 'virtual-machine', adds?: number): Promise<CheckLine | undefined> {
  if (c.endpoint.kind !== 'unix' || instanceType !== 'container') return undefined;
  const limits = await readHostLimits();
  return limits && hostLimitsLine(limits, await runningContainers(c), adds);
}

/** Throws if the kernel limits cannot hold one more container beside those running. */
export function checkRoom(vm: string, l: HostLimits, running: number): void {
  const { room, tightest } = containerRoom(l);
  if (running + 1 <= room) return;
  const why = msg('inc.err.limits', { vm, room, running, limit: tightest });
  throw withMsg(new HypervisorError(render('en', why), 'bad-state', render('en', msg('inc.pre.limitsLow.fix'))), why);
}

/** Before a container is started on this computer's daemon: refused when the limits cannot hold it (a remote server is its own). */
export async function refuseOverLimits(c: IncusClient, vm: string): Promise<void> {
  if (c.endpoint.kind !== 'unix') return;
  const limits = await readHostLimits();
  if (limits) checkRoom(vm, limits, await runningContainers(c));
}
