/**
 * VMnets on a Linux host: `/etc/vmware/networking` (`answer VNET_<n>_<KEY>
 * <value>` lines) prepared here as the invoking user, then applied in ONE
 * step that needs root: install the file, `vmware-networks --stop`,
 * `--migrate-network-settings`, `--stop`, restore the DHCP lease files the
 * migration resets, `--start`. That step is a small sh script written to the
 * lab folder and run through the command runner: directly when we are root
 * (or the folder is writable, as with a test override of the folder),
 * else with `sudo -n` (cached or password-less sudo) or `pkexec` (a desktop
 * session's password dialog). When neither is possible it fails with the
 * exact command for the user to run; nothing else (VMs, lab folder, keys)
 * is ever done as root.
 */
import { access, chmod, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CommandError, run, type RunOptions, type RunResult } from '../../exec/runner.js';
import { HypervisorError, opLog, withMsg } from '../types.js';
import { msg, render, type Message } from '../../shared/i18n';

type NetLine = { kind: 'answer'; vnet: number; key: string; value: string; raw: string } | { kind: 'other'; raw: string; vnet?: number };

const ANSWER = /^answer\s+VNET_(\d+)_([A-Z0-9_]+)\s+(.*?)\s*$/;
const PER_VNET = /^(?:add|remove)_(?:nat_portfwd|dhcp_mac_to_ip|bridge_mapping)\s+(\d+)\s/;

/** One raw line of the networking file and where it stood. */
export interface VnetLine {
  index: number;
  raw: string;
}

/** Settings of one VMnet in the networking file. */
export interface VnetSettings {
  subnet: string;
  netmask: string;
  dhcp: boolean;
  nat: boolean;
  /** Host virtual adapter (the host's `.1` on this network). */
  virtualAdapter: boolean;
}

/** An editable /etc/vmware/networking. Lines of other VMnets are kept byte for byte. */
export class NetworkingFile {
  private constructor(private lines: NetLine[], private readonly finalEol: boolean) {}

  static parse(text: string): NetworkingFile {
    const finalEol = text.endsWith('\n') || text.length === 0;
    const body = text.replace(/\n$/, '');
    const lines = (body ? body.split('\n') : []).map((raw): NetLine => {
      const a = ANSWER.exec(raw.trim());
      if (a) return { kind: 'answer', vnet: Number(a[1]), key: a[2] ?? '', value: a[3] ?? '', raw };
      const p = PER_VNET.exec(raw.trim());
      return p ? { kind: 'other', raw, vnet: Number(p[1]) } : { kind: 'other', raw };
    });
    if (!lines.some((l) => l.kind === 'other' && /^VERSION=/.test(l.raw))) lines.unshift({ kind: 'other', raw: 'VERSION=1,0' });
    return new NetworkingFile(lines, finalEol);
  }

  /** VMnet numbers that have at least one `answer` line. */
  vnets(): number[] {
    return [...new Set(this.lines.flatMap((l) => (l.kind === 'answer' ? [l.vnet] : [])))].sort((a, b) => a - b);
  }

  /** Raw answers of one VMnet (`{ HOSTONLY_SUBNET: '10.0.0.0', … }`), or undefined when absent. */
  answers(vnet: number): Record<string, string> | undefined {
    const mine = this.lines.filter((l): l is Extract<NetLine, { kind: 'answer' }> => l.kind === 'answer' && l.vnet === vnet);
    return mine.length ? Object.fromEntries(mine.map((l) => [l.key, l.value])) : undefined;
  }

  /** Parsed settings of one VMnet, or undefined when absent. */
  get(vnet: number): VnetSettings | undefined {
    const a = this.answers(vnet);
    if (!a) return undefined;
    return {
      subnet: a.HOSTONLY_SUBNET ?? '',
      netmask: a.HOSTONLY_NETMASK ?? '',
      dhcp: a.DHCP === 'yes',
      nat: a.NAT === 'yes',
      virtualAdapter: a.VIRTUAL_ADAPTER === 'yes',
    };
  }

  /** Upsert one VMnet's settings; its other answers (display name, hashes) stay. */
  set(vnet: number, s: VnetSettings): this {
    const want: Record<string, string> = {
      DHCP: s.dhcp ? 'yes' : 'no',
      HOSTONLY_NETMASK: s.netmask,
      HOSTONLY_SUBNET: s.subnet,
      NAT: s.nat ? 'yes' : 'no',
      VIRTUAL_ADAPTER: s.virtualAdapter ? 'yes' : 'no',
    };
    const changedAddressing = this.get(vnet)?.subnet !== s.subnet || this.get(vnet)?.dhcp !== s.dhcp;
    for (const [key, value] of Object.entries(want)) {
      const line = this.lines.find((l) => l.kind === 'answer' && l.vnet === vnet && l.key === key);
      if (line && line.kind === 'answer') {
        if (line.value !== value) Object.assign(line, { value, raw: `answer VNET_${vnet}_${key} ${value}` });
      } else {
        this.insertAfterVnet(vnet, { kind: 'answer', vnet, key, value, raw: `answer VNET_${vnet}_${key} ${value}` });
      }
    }
    // VMware regenerates the DHCP config hash; a stale one would keep the old dhcpd.conf.
    if (changedAddressing) this.lines = this.lines.filter((l) => !(l.kind === 'answer' && l.vnet === vnet && l.key === 'DHCP_CFG_HASH'));
    return this;
  }

  /** Remove every line of one VMnet (answers, port forwards, DHCP reservations). */
  remove(vnet: number): this {
    this.lines = this.lines.filter((l) => l.vnet !== vnet);
    return this;
  }

  private insertAfterVnet(vnet: number, line: NetLine): void {
    let at = -1;
    this.lines.forEach((l, i) => {
      if (l.kind === 'answer' && l.vnet === vnet) at = i;
    });
    if (at < 0) this.lines.push(line);
    else this.lines.splice(at + 1, 0, line);
  }

  /** Every line of one VMnet with its position (answers, port forwards, reservations), to restore later. */
  vnetLines(vnet: number): VnetLine[] {
    return this.lines.flatMap((l, index) => (l.vnet === vnet ? [{ index, raw: l.raw }] : []));
  }

  /**
   * Put back lines recorded by `vnetLines`: the VMnet's current lines go,
   * the recorded ones return to their old positions, so a file nobody else
   * touched meanwhile is restored byte for byte.
   */
  restoreVnet(vnet: number, previous: VnetLine[]): this {
    this.remove(vnet);
    for (const p of [...previous].sort((a, b) => a.index - b.index)) {
      const parsed = NetworkingFile.parse(`${p.raw}\n`).lines.find((l) => l.raw === p.raw) ?? { kind: 'other' as const, raw: p.raw, vnet };
      this.lines.splice(Math.min(p.index, this.lines.length), 0, parsed);
    }
    return this;
  }

  toString(): string {
    const text = this.lines.map((l) => l.raw).join('\n');
    return this.finalEol ? `${text}\n` : text;
  }
}

/** Where the Linux VMnet files and tool are. */
export interface LinuxVmnetPaths {
  /** `/etc/vmware` */
  etcDir: string;
  /** `/usr/bin/vmware-networks` */
  vmwareNetworks: string;
}

/** `/etc/vmware/networking` for a given etc dir. */
export const networkingPath = (etcDir: string): string => join(etcDir, 'networking');

/** `/etc/vmware/vmnetN/dhcpd/dhcpd.leases`. */
export const linuxLeasePath = (etcDir: string, vnet: number): string => join(etcDir, `vmnet${vnet}`, 'dhcpd', 'dhcpd.leases');

/** The networking file's text, or undefined when it does not exist. */
export async function readNetworkingText(etcDir: string): Promise<string | undefined> {
  return readFile(networkingPath(etcDir), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
}

/** Read the networking file; an empty one when it does not exist yet. */
export async function readNetworking(etcDir: string): Promise<NetworkingFile> {
  return NetworkingFile.parse((await readNetworkingText(etcDir)) ?? 'VERSION=1,0\n');
}

type Runner = (argv: string[], opts?: RunOptions) => Promise<RunResult>;

/** How the one root step is run: as we are, or behind `sudo -n` / `pkexec`; `none` when no way works. */
export type Elevation = { kind: 'direct' } | { kind: 'sudo' | 'pkexec'; prefix: string[] } | { kind: 'none' };

export interface ElevationProbe {
  env?: NodeJS.ProcessEnv;
  /** Effective user id (default: this process'). */
  uid?: number;
  runner?: Runner;
  /** Can this process write the path (default: fs access W_OK)? */
  canWrite?: (path: string) => Promise<boolean>;
  /** Find a program on PATH (default: a search of env.PATH). */
  which?: (name: string) => Promise<string | undefined>;
}

const writable = async (path: string): Promise<boolean> =>
  access(path, constants.W_OK).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && path.endsWith('networking'),
  );

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(delimiter).filter(Boolean)) {
    const p = join(dir, name);
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/**
 * Decide how the VMnet step gets root: directly when this process is root
 * or may write the folder; `sudo -n` when sudo works without a prompt;
 * `pkexec` in a desktop session (it shows its own password dialog).
 */
export async function detectElevation(paths: LinuxVmnetPaths, o: ElevationProbe = {}): Promise<Elevation> {
  const env = o.env ?? process.env;
  const uid = o.uid ?? process.getuid?.();
  const canWrite = o.canWrite ?? writable;
  if (uid === 0) return { kind: 'direct' };
  if ((await canWrite(paths.etcDir)) && (await canWrite(networkingPath(paths.etcDir)))) return { kind: 'direct' };
  const runner = o.runner ?? run;
  const which = o.which ?? ((name: string) => onPath(name, env));
  const sudo = await which('sudo');
  if (sudo) {
    const ok = await runner([sudo, '-n', 'true'], { timeoutMs: 10_000, quiet: true }).then(() => true, () => false);
    if (ok) return { kind: 'sudo', prefix: [sudo, '-n'] };
  }
  const pkexec = await which('pkexec');
  if (pkexec && (env.DISPLAY || env.WAYLAND_DISPLAY)) return { kind: 'pkexec', prefix: [pkexec] };
  return { kind: 'none' };
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The root step as a script: only fixed commands, every path quoted. On a
 * failed migration the old networking file is put back and the networks
 * started again, so a failure changes nothing.
 */
export function applyScript(prepared: string, paths: LinuxVmnetPaths, leaseFiles: string[], base = ''): string {
  return `#!/bin/sh
# HA Lab Studio: apply the prepared VMware network settings (needs root).
set -u
set -- ${[prepared, base, paths.etcDir, paths.vmwareNetworks, ...leaseFiles].map(shQuote).join(' ')}
prepared=$1; base=$2; etc=$3; vn=$4; shift 4
# Prepared from the networking file as it was then: if it changed since (another lab, the editor), do nothing.
if [ -n "$base" ]; then
  cmp -s "$base" "$etc/networking" || { echo "halab: $etc/networking changed since this step was prepared; nothing was changed" >&2; exit 5; }
elif [ -e "$etc/networking" ]; then
  echo "halab: $etc/networking appeared since this step was prepared; nothing was changed" >&2; exit 5
fi
"$vn" --stop || exit $?
for l in "$@"; do if [ -f "$l" ]; then cp -p "$l" "$l.halab-keep"; fi; done
had_old=0
if [ -f "$etc/networking" ]; then cp -p "$etc/networking" "$etc/.networking.halab-old" && had_old=1; fi
tmp="$etc/.networking.halab-$$"
cp "$prepared" "$tmp" && chmod 644 "$tmp" && cp -p "$tmp" "$etc/.networking.halab-new" && mv -f "$etc/.networking.halab-new" "$etc/networking" || exit 1
if ! "$vn" --migrate-network-settings "$tmp"; then
  if [ "$had_old" = 1 ]; then mv -f "$etc/.networking.halab-old" "$etc/networking"; else rm -f "$etc/networking"; fi
  rm -f "$tmp"
  for l in "$@"; do if [ -f "$l.halab-keep" ]; then mv -f "$l.halab-keep" "$l"; fi; done
  "$vn" --start
  exit 3
fi
"$vn" --stop
rm -f "$tmp" "$etc/.networking.halab-old"
for l in "$@"; do if [ -f "$l.halab-keep" ]; then mv -f "$l.halab-keep" "$l"; fi; done
"$vn" --start || exit 4
`;
}

export interface ApplyOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** The same lines as catalog messages (see `OpOptions.logMsg`). */
  logMsg?: (line: Message) => void;
  /** Folder for the prepared file and the script (the lab folder; default a temp folder). */
  stageDir?: string;
  /** How to get root (default: `detectElevation`). */
  elevation?: Elevation;
  /** The networking file's text the change was prepared from (null: there was none; default: read it now). */
  base?: string | null;
  probe?: ElevationProbe;
  runner?: Runner;
}

const ROOT_REFUSAL = /must be (run as )?root|as root|superuser|permission denied|not permitted|EACCES/i;

function needsRoot(command: string, why: Message): HypervisorError {
  return withMsg(
    new HypervisorError(
      `Changing VMware's virtual networks needs root rights once (${render('en', why)}). Nothing was changed.`,
      'needs-admin',
      `Run this one command in a terminal, then start the lab again (your VMs and lab files stay yours; only this network step runs as root):\n  ${command}`,
    ),
    msg('hv.err.needsRoot', { why, command }),
  );
}

/**
 * Apply the networking file in one root step (see the module doc). Throws a
 * `needs-admin` HypervisorError whose fix is the exact command to run. The
 * script exits 3 when the migration failed (old file put back) and 4 when
 * the settings are in but the network service did not start.
 */
export async function applyNetworking(file: NetworkingFile, paths: LinuxVmnetPaths, opts: ApplyOptions = {}): Promise<void> {
  const stage = opts.stageDir ?? join(tmpdir(), `halab-vmnets-${process.pid}`);
  await mkdir(stage, { recursive: true, mode: 0o700 });
  const prepared = join(stage, 'networking.prepared');
  const script = join(stage, 'apply-vmnets.sh');
  const leases = file.vnets().filter((n) => file.get(n)?.dhcp).map((n) => linuxLeasePath(paths.etcDir, n));
  await writeFile(prepared, file.toString(), { mode: 0o644 });
  const baseText = opts.base !== undefined ? opts.base : await readNetworkingText(paths.etcDir);
  const base = join(stage, 'networking.base');
  if (baseText !== null && baseText !== undefined) await writeFile(base, baseText, { mode: 0o644 });
  else await rm(base, { force: true });
  await writeFile(script, applyScript(prepared, paths, leases, baseText === null || baseText === undefined ? '' : base), { mode: 0o700 });
  await chmod(prepared, 0o644);
  const printed = `sudo /bin/sh ${shQuote(script)}`;
  const elevation = opts.elevation ?? (await detectElevation(paths, opts.probe));
  if (elevation.kind === 'none') throw needsRoot(printed, msg('hv.why.noElevation'));
  const prefix = elevation.kind === 'direct' ? [] : elevation.prefix;
  if (elevation.kind !== 'direct') opLog(opts, msg('hv.log.applyAsRoot', { tool: elevation.kind }));
  try {
    await (opts.runner ?? run)([...prefix, '/bin/sh', script], { timeoutMs: 300_000, signal: opts.signal });
  } catch (e) {
    if (e instanceof CommandError && e.reason === 'exit') {
      const said = `${e.stdout}\n${e.stderr}`;
      // pkexec: 126 = dialog dismissed / not authorized, 127 = no agent; sudo: its own "sudo: …" complaint.
      if (elevation.kind !== 'direct' && (e.exitCode === 126 || e.exitCode === 127 || /^sudo:|password is required|not authorized|dismissed/im.test(e.stderr))) {
        throw needsRoot(printed, msg('hv.why.refused', { tool: elevation.kind }));
      }
      if (ROOT_REFUSAL.test(said)) throw needsRoot(printed, msg('hv.why.vmwareNetworks'));
      const said3 = e.tail(3) || `exit code ${e.exitCode}`;
      if (e.exitCode === 5) {
        throw withMsg(
          new HypervisorError(
            `${networkingPath(paths.etcDir)} changed since this network step was prepared (another lab or the Virtual Network Editor), so nothing was changed.`,
            'conflict',
            'Start the lab again: the step is prepared anew from the current settings.',
          ),
          msg('hv.err.networkingChanged', { file: networkingPath(paths.etcDir) }),
        );
      }
      if (e.exitCode === 4) {
        throw withMsg(
          new HypervisorError(
            `The new VMware network settings were written, but the VMware network service did not start again. It said: ${said3}`,
            'failed',
            'Run "sudo vmware-networks --start" (or restart VMware Workstation), then start the lab again.',
          ),
          msg('hv.err.serviceNotStarted', { said: said3 }),
        );
      }
      throw withMsg(
        new HypervisorError(
          `vmware-networks could not apply the new network settings; ${e.exitCode === 3 ? 'the previous ones were put back' : 'nothing was changed'}. It said: ${said3}`,
          'failed',
          `Check the VMware network service (sudo vmware-networks --status), or set the VMnet up in the Virtual Network Editor (vmware-netcfg). The prepared settings are in ${prepared}.`,
        ),
        msg(e.exitCode === 3 ? 'hv.err.applyRestored' : 'hv.err.applyNothing', { said: said3, prepared }),
      );
    }
    throw e;
  }
  opLog(opts, msg('hv.log.vmnetsReconfigured', { list: file.vnets().map((n) => `vmnet${n}`).join(', ') }));
}
