/**
 * Locating VMware's command-line tools. Never from PATH (an old VMware VIX
 * install puts a stale vmrun there): an explicit setting, then HALAB_VMRUN,
 * then the Windows registry's InstallPath, then the fixed install paths.
 */
import { access, constants } from 'node:fs/promises';
import { join, win32 } from 'node:path';
import { run } from '../../exec/runner.js';

/** Where vmrun was found and which `-T` host type it needs. */
export interface VmrunLocation {
  path: string;
  hostType: 'ws' | 'fusion';
  source: 'setting' | 'env' | 'registry' | 'default';
  /** Workstation install folder, when known (Windows: also holds vnetlib64.exe). */
  installDir?: string;
}

/** Injectable host facts, so the search can be tested on any OS. */
export interface FindVmrunOptions {
  /** Path from the app settings (wins over everything). */
  setting?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Does a file exist and can it be run? */
  exists?: (path: string) => Promise<boolean>;
  /** Windows: read `InstallPath` of VMware Workstation from the registry. */
  readInstallPath?: () => Promise<string | undefined>;
}

export const WINDOWS_REG_KEY = 'HKLM\\SOFTWARE\\WOW6432Node\\VMware, Inc.\\VMware Workstation';
export const WINDOWS_DEFAULT_DIR = 'C:\\Program Files (x86)\\VMware\\VMware Workstation';
export const LINUX_VMRUN = '/usr/bin/vmrun';
export const FUSION_VMRUN = '/Applications/VMware Fusion.app/Contents/Library/vmrun';

const fileExists = async (path: string): Promise<boolean> => {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
};

/** Parse `reg query <key> /v <name>` output: the value of a REG_SZ / REG_EXPAND_SZ line. */
export function parseRegQueryValue(output: string, name: string): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s*(\S.*?)\s+REG_(?:EXPAND_)?SZ\s+(.*?)\s*$/.exec(line);
    if (m && m[1]?.toLowerCase() === name.toLowerCase()) return m[2];
  }
  return undefined;
}

/** Read one registry string through the command runner (`reg query`). Undefined when absent. */
export async function readRegistryString(key: string, name: string): Promise<string | undefined> {
  try {
    const r = await run(['reg', 'query', key, '/v', name], { timeoutMs: 10_000, quiet: true });
    return parseRegQueryValue(r.stdout, name);
  } catch {
    return undefined;
  }
}

const hostTypeFor = (platform: NodeJS.Platform, path: string): 'ws' | 'fusion' =>
  platform === 'darwin' || /VMware Fusion\.app/i.test(path) ? 'fusion' : 'ws';

/** Find vmrun, or undefined when VMware Workstation/Fusion is not installed. */
export async function findVmrun(opts: FindVmrunOptions = {}): Promise<VmrunLocation | undefined> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const exists = opts.exists ?? fileExists;
  if (opts.setting) return { path: opts.setting, hostType: hostTypeFor(platform, opts.setting), source: 'setting' };
  const fromEnv = env.HALAB_VMRUN;
  if (fromEnv) return { path: fromEnv, hostType: hostTypeFor(platform, fromEnv), source: 'env' };

  if (platform === 'win32') {
    const readInstallPath = opts.readInstallPath ?? (() => readRegistryString(WINDOWS_REG_KEY, 'InstallPath'));
    const installDir = await readInstallPath();
    if (installDir) {
      const candidate = win32.join(installDir, 'vmrun.exe');
      if (await exists(candidate)) return { path: candidate, hostType: 'ws', source: 'registry', installDir };
    }
    const fallback = win32.join(WINDOWS_DEFAULT_DIR, 'vmrun.exe');
    if (await exists(fallback)) return { path: fallback, hostType: 'ws', source: 'default', installDir: WINDOWS_DEFAULT_DIR };
    return undefined;
  }
  if (platform === 'darwin') {
    return (await exists(FUSION_VMRUN)) ? { path: FUSION_VMRUN, hostType: 'fusion', source: 'default' } : undefined;
  }
  for (const candidate of [LINUX_VMRUN, '/usr/local/bin/vmrun']) {
    if (await exists(candidate)) return { path: candidate, hostType: 'ws', source: 'default' };
  }
  return undefined;
}

/** The Windows VMnet tool next to vmrun (`vnetlib64.exe`). */
export function vnetlibPathFor(location: VmrunLocation): string {
  const dir = location.installDir ?? win32.dirname(location.path);
  return win32.join(dir, 'vnetlib64.exe');
}

/** The Linux VMnet tool (`vmware-networks`), next to vmrun when vmrun was overridden. */
export function vmwareNetworksPathFor(location: VmrunLocation, env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALAB_VMWARE_NETWORKS) return env.HALAB_VMWARE_NETWORKS;
  if (location.source === 'default') return '/usr/bin/vmware-networks';
  return join(location.path, '..', 'vmware-networks');
}
