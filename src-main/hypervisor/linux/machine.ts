/**
 * The OS half of a VM: an overlay "linked clone" of the base image and the
 * systemd-nspawn process booting it. nspawn is started through
 * start-stop-daemon (run by the command runner), which detaches it into its
 * own session with its output in a log file and no pipes back to us, so it
 * outlives the CLI that started it; its PID and start time are recorded in
 * the lab folder and checked against /proc before any signal is sent.
 */
import { existsSync } from 'node:fs';
import { access, mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { OpOptions } from '../types';
import type { Commands } from './commands';
import { netnsPath } from './netns';
import { isAlive, mounts, procStat, signalTree, waitGone, type ProcRef } from './proc';
import { readJson, writeJson, type RunState } from './state';

/** Paths inside a VM folder. */
export function vmPaths(dir: string): { upper: string; work: string; merged: string; run: string; pid: string; log: string; snapshots: string; vm: string } {
  return {
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    merged: join(dir, 'merged'),
    run: join(dir, 'run.json'),
    pid: join(dir, 'nspawn.pid'),
    log: join(dir, 'nspawn.log'),
    snapshots: join(dir, 'snapshots'),
    vm: join(dir, 'vm.json'),
  };
}

/** Full path of a program found on PATH (plus the sbin folders), or undefined. */
export async function which(program: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, program);
    if (await access(p, 1).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** Is something mounted exactly at `path`? */
export async function isMounted(path: string): Promise<boolean> {
  return (await mounts()).some((m) => m.target === path);
}

/** Mount the overlay clone at merged/ unless it is mounted already. */
export async function mountOverlay(cmd: Commands, base: string, dir: string, opts: OpOptions = {}): Promise<void> {
  const p = vmPaths(dir);
  if (await isMounted(p.merged)) return;
  if (!existsSync(join(base, 'etc', 'os-release'))) {
    throw new Error(`The base image ${base} is missing or incomplete. Run \`npx tsx scripts/linux-lab/ensure-base-image.ts\` and create the VM again.`);
  }
  for (const d of [p.upper, p.work, p.merged]) await mkdir(d, { recursive: true });
  await cmd.run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${base},upperdir=${p.upper},workdir=${p.work}`, p.merged], opts);
}

/** Where systemd-nspawn keeps per-machine state on the host. */
export const NSPAWN_RUN_DIR = '/run/systemd/nspawn';

/**
 * Unmount the overlay and remove what a killed systemd-nspawn could not clean
 * up itself: its image lock file for merged/ and its propagation folder.
 * Call only when the VM's nspawn is gone.
 */
export async function releaseMachine(cmd: Commands, dir: string, machine: string, opts: OpOptions = {}): Promise<void> {
  const merged = vmPaths(dir).merged;
  const st = (await isMounted(merged)) ? await stat(merged).catch(() => undefined) : undefined;
  await unmountOverlay(cmd, dir, opts);
  if (st) await rm(join(NSPAWN_RUN_DIR, 'locks', `inode-${st.dev}:${st.ino}`), { force: true });
  await rmdir(join(NSPAWN_RUN_DIR, 'propagate', machine)).catch(() => undefined);
  await rm(join(dir, '.#merged.lck'), { force: true });
  await removeOwnCgroups(machine);
}

/** Remove the (empty, once nspawn is gone) cgroup trees {@link OWN_CGROUP} made for `machine`. */
async function removeOwnCgroups(machine: string): Promise<void> {
  const self = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  const cur = (re: RegExp) => (self.match(re)?.[1] ?? '/').replace(/\/$/, '');
  const trees = [join('/sys/fs/cgroup', cur(/^0::(.*)$/m)), join('/sys/fs/cgroup/unified', cur(/^0::(.*)$/m)), join('/sys/fs/cgroup/systemd', cur(/^\d+:name=systemd:(.*)$/m))];
  const removeTree = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await removeTree(join(d, e.name));
    await rmdir(d).catch(() => undefined);
  };
  for (const t of trees) if (existsSync(join(t, machine))) await removeTree(join(t, machine));
}

/** Unmount merged/ (retrying while a dying container still holds it, then lazily). */
export async function unmountOverlay(cmd: Commands, dir: string, opts: OpOptions = {}): Promise<void> {
  const merged = vmPaths(dir).merged;
  for (let i = 0; i < 20 && (await isMounted(merged)); i++) {
    if (await cmd.tryRun(['umount', merged], { ...opts, quiet: i > 0 })) continue;
    await new Promise((r) => setTimeout(r, 250));
  }
  while (await isMounted(merged)) await cmd.run(['umount', '-l', merged], opts);
}

/** argv of systemd-nspawn for one VM (after `--` of start-stop-daemon). */
export function nspawnArgs(machine: string, merged: string, netns: string): string[] {
  return [
    `--directory=${merged}`,
    `--machine=${machine}`,
    '--register=no',
    '--keep-unit',
    `--network-namespace-path=${netnsPath(netns)}`,
    '--capability=CAP_NET_ADMIN,CAP_NET_RAW',
    '--resolv-conf=off',
    '--link-journal=no',
    '--console=read-only',
    '--boot',
    '-q',
  ];
}

/** Does this argv belong to the systemd-nspawn of the VM whose root is `merged`? */
export const isNspawnOf =
  (merged: string) =>
  (argv: string[]): boolean =>
    /systemd-nspawn$/.test(argv[0] ?? '') && argv.includes(`--directory=${merged}`);

/** The VM's nspawn process if it is alive, with its /proc state (T = frozen). */
export async function runningMachine(dir: string): Promise<(ProcRef & { procState: string }) | undefined> {
  const p = vmPaths(dir);
  const run = await readJson<RunState>(p.run);
  if (!run) return undefined;
  const st = await isAlive(run, isNspawnOf(p.merged));
  return st ? { pid: run.pid, starttime: run.starttime, procState: st.state } : undefined;
}

/**
 * Runs before nspawn (same PID, then `exec`): moves it into a cgroup of its
 * own, named after the machine (`halab-…`) under its current one, in every hierarchy systemd
 * uses (name=systemd and unified; or the single cgroup2 tree). Without
 * this, with no host systemd to give each nspawn a scope, every guest's
 * systemd shared one `payload` cgroup tree: units of one VM stopped as
 * another VM's started, failing with 219/CGROUP (systemd-user-sessions,
 * user-runtime-dir@0, …). A previous boot's empty tree is removed first.
 * $1 machine name, then the nspawn argv.
 */
const OWN_CGROUP = [
  'm=$1; shift',
  'if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then set -- "/sys/fs/cgroup:0::" "$@"; else set -- "/sys/fs/cgroup/systemd:name=systemd" "/sys/fs/cgroup/unified:0::" "$@"; fi',
  'while [ "${1#/sys/fs/cgroup}" != "$1" ]; do',
  '  h=${1%%:*}; key=${1#*:}; shift',
  '  [ -d "$h" ] || continue',
  '  case $key in 0::) cur=$(sed -n "s/^0:://p" /proc/self/cgroup) ;; *) cur=$(sed -n "s/^[0-9]*:$key://p" /proc/self/cgroup) ;; esac',
  '  d="$h${cur%/}/$m"',
  '  [ -d "$d" ] && find "$d" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null',
  '  mkdir -p "$d" && echo $$ > "$d/cgroup.procs" || echo "halab: could not move into $d" >&2',
  'done',
  'exec "$@"',
].join('\n');

/** Boot the VM's OS in the background; resolves once nspawn runs (not when the guest has booted). */
export async function startMachine(cmd: Commands, machine: string, dir: string, netns: string, opts: OpOptions = {}): Promise<RunState> {
  const p = vmPaths(dir);
  const nspawn = await which('systemd-nspawn');
  if (!nspawn) throw new Error('systemd-nspawn is not installed. Run `sudo apt-get install systemd-container`.');
  await rm(p.pid, { force: true });
  await cmd.run(
    ['start-stop-daemon', '--start', '--background', '--make-pidfile', `--pidfile=${p.pid}`, `--output=${p.log}`, `--exec=${nspawn}`, '--startas=/bin/sh', '--', '-c', OWN_CGROUP, 'sh', machine, nspawn, ...nspawnArgs(machine, p.merged, netns)],
    { ...opts, timeoutMs: 20_000 },
  );
  let run: RunState | undefined;
  for (let i = 0; i < 50 && !run; i++) {
    const pid = Number((await readFile(p.pid, 'utf8').catch(() => '')).trim());
    const st = pid > 0 ? await procStat(pid) : undefined;
    if (st) run = { pid, starttime: st.starttime, startedAt: new Date().toISOString() };
    else await new Promise((r) => setTimeout(r, 100));
  }
  if (!run) throw new Error(`systemd-nspawn for ${machine} did not start. ${await logTail(dir)}`);
  await writeJson(p.run, run);
  // nspawn fails fast on a bad root, namespace or capability: give it a moment to show that.
  await new Promise((r) => setTimeout(r, 700));
  if (!(await isAlive(run, isNspawnOf(p.merged)))) {
    await rm(p.run, { force: true });
    throw new Error(`systemd-nspawn for ${machine} exited right after starting. ${await logTail(dir)}`);
  }
  return run;
}

/** Last lines of the VM's nspawn log. */
export async function logTail(dir: string, lines = 5): Promise<string> {
  const text = await readFile(vmPaths(dir).log, 'utf8').catch(() => '');
  const tail = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim().split('\n').slice(-lines).join(' | ');
  return tail ? `Its log says: ${tail}` : '';
}

/**
 * Stop the VM's OS. Hard: SIGKILL to nspawn and every process under it at
 * once (a pulled plug: keepalived gets no chance to resign). Soft: SIGTERM to
 * nspawn, which shuts the guest down cleanly; hard after `softTimeoutMs`.
 */
export async function stopMachine(dir: string, mode: 'soft' | 'hard', opts: OpOptions & { softTimeoutMs?: number } = {}): Promise<void> {
  const ref = await runningMachine(dir);
  if (!ref) return;
  if (mode === 'soft') {
    if (ref.procState === 'T') await signalTree(ref.pid, 'SIGCONT');
    process.kill(ref.pid, 'SIGTERM');
    if (await waitGone(ref, opts.softTimeoutMs ?? 60_000, opts.signal)) return;
    opts.log?.('The guest did not shut down in time; pulling the plug.');
  }
  await signalTree(ref.pid, 'SIGKILL');
  if (!(await waitGone(ref, 10_000))) throw new Error(`systemd-nspawn (PID ${ref.pid}) did not die after SIGKILL.`);
}

/**
 * Freeze (suspend) or thaw the VM's whole process tree. Returns once the
 * kernel shows nspawn stopped (or running again): signals are delivered
 * asynchronously, so the state read right after the kill may still be the old one.
 */
export async function freezeMachine(dir: string, frozen: boolean): Promise<boolean> {
  const ref = await runningMachine(dir);
  if (!ref) return false;
  await signalTree(ref.pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  for (let i = 0; i < 100; i++) {
    const st = await procStat(ref.pid);
    if (!st || (st.state === 'T') === frozen) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
