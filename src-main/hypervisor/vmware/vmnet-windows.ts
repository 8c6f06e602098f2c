/**
 * VMnets on a Windows host through the undocumented `vnetlib64.exe -- …`
 * (needs Administrator). Its exit codes are unreliable, so every change is
 * verified independently afterwards with `vmrun listHostNetworks`.
 *
 * Elevation: only the vnetlib calls are elevated, never the app. When this
 * process is not an Administrator, all vnetlib commands of one change run in
 * ONE elevated PowerShell (`Start-Process powershell -Verb RunAs -Wait` with
 * the commands as an `-EncodedCommand`), so Windows shows one UAC prompt.
 * A declined prompt ends in a `needs-admin` error listing the commands to
 * run in an Administrator prompt.
 */
import { CommandError, run, type RunOptions, type RunResult } from '../../exec/runner.js';
import { HypervisorError } from '../types.js';
import type { HostNetwork } from './vmrun-parsers.js';

/** What a Windows VMnet should look like. */
export interface WindowsVnet {
  /** VMnet number (2–19 on Windows). */
  index: number;
  subnet: string;
  netmask: string;
  hostAddress: string;
  nat?: { gateway: string };
  dhcp: boolean;
}

export interface VnetlibOptions {
  vnetlibPath: string;
  /** Independent check: the host networks as vmrun sees them. */
  listHostNetworks: () => Promise<HostNetwork[]>;
  runner?: (argv: string[], opts?: RunOptions) => Promise<RunResult>;
  /** Are we elevated? Default: `net session` succeeds only for Administrators. */
  isAdmin?: () => Promise<boolean>;
  /** Ask for elevation (UAC) for the vnetlib calls when not an Administrator (default true). */
  elevate?: boolean;
  signal?: AbortSignal;
}

const psQuote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The commands as typed in an Administrator prompt. */
export function vnetlibCommandLines(vnetlibPath: string, cmds: string[][]): string[] {
  return cmds.map((c) => `"${vnetlibPath}" -- ${c.join(' ')}`);
}

/**
 * One elevated step for all `cmds`: the argv of a (non-elevated) PowerShell
 * that starts an elevated PowerShell running every vnetlib command and
 * waits for it. Exit 0 when the elevated one ran, 5 when UAC was declined.
 */
export function elevatedVnetlibArgv(vnetlibPath: string, cmds: string[][]): string[] {
  const inner = cmds.map((c) => `& ${psQuote(vnetlibPath)} -- ${c.map(psQuote).join(' ')}`).join('; ');
  const encoded = Buffer.from(inner, 'utf16le').toString('base64');
  const outer = `try { Start-Process -FilePath powershell.exe -Verb RunAs -Wait -WindowStyle Hidden -ArgumentList '-NoProfile','-NonInteractive','-EncodedCommand','${encoded}' -ErrorAction Stop; exit 0 } catch { exit 5 }`;
  return ['powershell.exe', '-NoProfile', '-NonInteractive', '-Command', outer];
}

const needsAdmin = (vnetlibPath: string, cmds: string[][]): HypervisorError =>
  new HypervisorError(
    'Creating or changing a VMware virtual network needs Administrator rights, and the Windows prompt (UAC) was declined or is not available.',
    'needs-admin',
    `Accept the Windows prompt when HA Lab Studio asks, or run these commands in a Command Prompt opened with "Run as administrator", then try again:\n  ${vnetlibCommandLines(vnetlibPath, cmds).join('\n  ')}`,
  );

/** The vnetlib command lines (after `--`) that create/configure one VMnet. */
export function vnetlibEnsureCommands(v: WindowsVnet, exists: boolean): string[][] {
  const n = `vmnet${v.index}`;
  const cmds: string[][] = [];
  if (!exists) cmds.push(['add', 'adapter', n], ['add', 'vnet', n]);
  cmds.push(['set', 'vnet', n, 'addr', v.subnet], ['set', 'vnet', n, 'mask', v.netmask], ['set', 'adapter', n, 'addr', v.hostAddress]);
  if (v.nat) cmds.push(['add', 'nat', n], ['set', 'nat', n, 'internalipaddr', v.nat.gateway]);
  else if (exists) cmds.push(['remove', 'nat', n]);
  if (v.dhcp) cmds.push(['add', 'dhcp', n]);
  else if (exists) cmds.push(['remove', 'dhcp', n]);
  cmds.push(['update', 'adapter', n]);
  if (v.nat) cmds.push(['update', 'nat', n]);
  if (v.dhcp) cmds.push(['update', 'dhcp', n]);
  return cmds;
}

/** The vnetlib command lines that remove one VMnet. */
export function vnetlibRemoveCommands(index: number): string[][] {
  const n = `vmnet${index}`;
  return [['remove', 'dhcp', n], ['remove', 'nat', n], ['remove', 'adapter', n], ['remove', 'vnet', n]];
}

async function defaultIsAdmin(runner: (argv: string[], opts?: RunOptions) => Promise<RunResult>): Promise<boolean> {
  try {
    await runner(['net', 'session'], { timeoutMs: 10_000, quiet: true });
    return true;
  } catch {
    return false;
  }
}

async function runAll(cmds: string[][], o: VnetlibOptions): Promise<void> {
  const runner = o.runner ?? run;
  if (!(await (o.isAdmin ?? (() => defaultIsAdmin(runner)))())) {
    if (o.elevate === false) throw needsAdmin(o.vnetlibPath, cmds);
    // One UAC prompt for the whole change; the result is verified by the caller.
    await runner(elevatedVnetlibArgv(o.vnetlibPath, cmds), { timeoutMs: 300_000, signal: o.signal }).catch((e: unknown) => {
      if (e instanceof CommandError && e.reason === 'exit') throw needsAdmin(o.vnetlibPath, cmds);
      throw e;
    });
    return;
  }
  for (const c of cmds) {
    // Exit codes mean nothing here (0, 1 and 12 are all seen on success); the result is verified afterwards.
    await runner([o.vnetlibPath, '--', ...c], { timeoutMs: 120_000, signal: o.signal, okExitCodes: [0, 1, 12, 255, 4294967295] });
  }
}

/** Create or update a VMnet, then check it really has the subnet and DHCP wanted. */
export async function ensureWindowsVnet(v: WindowsVnet, exists: boolean, o: VnetlibOptions): Promise<void> {
  await runAll(vnetlibEnsureCommands(v, exists), o);
  const seen = (await o.listHostNetworks()).find((h) => h.name === `vmnet${v.index}`);
  if (!seen || seen.subnet !== v.subnet || seen.mask !== v.netmask || seen.dhcp !== v.dhcp) {
    const got = seen ? `${seen.subnet}/${seen.mask}, DHCP ${seen.dhcp ? 'on' : 'off'}` : 'nothing';
    throw new HypervisorError(
      `vmnet${v.index} was not set up as asked (wanted ${v.subnet}/${v.netmask}, DHCP ${v.dhcp ? 'on' : 'off'}; VMware reports ${got}).`,
      'failed',
      `Open the Virtual Network Editor as Administrator and set vmnet${v.index} to subnet ${v.subnet}, mask ${v.netmask}, then try again.`,
    );
  }
}

/** Remove a VMnet the lab created, then check it is gone. */
export async function removeWindowsVnet(index: number, o: VnetlibOptions): Promise<void> {
  await runAll(vnetlibRemoveCommands(index), o);
  if ((await o.listHostNetworks()).some((h) => h.name === `vmnet${index}`)) {
    throw new HypervisorError(`vmnet${index} is still present after removing it.`, 'failed', `Remove vmnet${index} in the Virtual Network Editor.`);
  }
}
