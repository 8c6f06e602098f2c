/**
 * VMnets on a Linux host: `/etc/vmware/networking` (`answer VNET_<n>_<KEY>
 * <value>` lines) edited in place, then applied with `vmware-networks
 * --migrate-network-settings` and a restart, keeping the DHCP lease files.
 * Needs root; the caller gets a `needs-admin` HypervisorError otherwise.
 */
import { access, constants, copyFile, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CommandError, run } from '../../exec/runner.js';
import { HypervisorError } from '../types.js';

type NetLine = { kind: 'answer'; vnet: number; key: string; value: string; raw: string } | { kind: 'other'; raw: string; vnet?: number };

const ANSWER = /^answer\s+VNET_(\d+)_([A-Z0-9_]+)\s+(.*?)\s*$/;
const PER_VNET = /^(?:add|remove)_(?:nat_portfwd|dhcp_mac_to_ip|bridge_mapping)\s+(\d+)\s/;

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

/** Read the networking file; an empty one when it does not exist yet. */
export async function readNetworking(etcDir: string): Promise<NetworkingFile> {
  const text = await readFile(networkingPath(etcDir), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return 'VERSION=1,0\n';
    throw e;
  });
  return NetworkingFile.parse(text);
}

const needsRoot = (what: string): HypervisorError =>
  new HypervisorError(
    `Changing VMware's virtual networks needs root rights (${what}).`,
    'needs-admin',
    'Run this step with sudo (for example `sudo halab up …`), or create the VMnet yourself in the Virtual Network Editor (vmware-netcfg).',
  );

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, text, { mode: 0o644 });
  await rename(tmp, path);
}

/**
 * Write the networking file and apply it: stop, migrate from a temp copy,
 * stop again, restore the DHCP leases the migration may reset, start.
 */
export async function applyNetworking(
  file: NetworkingFile,
  paths: LinuxVmnetPaths,
  opts: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<void> {
  const target = networkingPath(paths.etcDir);
  try {
    await access(dirname(target), constants.W_OK);
    await access(target, constants.W_OK).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  } catch {
    throw needsRoot(`${target} is not writable`);
  }
  const leases = new Map<string, string>();
  for (const n of file.vnets()) {
    if (!file.get(n)?.dhcp) continue;
    const p = linuxLeasePath(paths.etcDir, n);
    const text = await readFile(p, 'utf8').catch(() => undefined);
    if (text !== undefined) leases.set(p, text);
  }
  await writeAtomic(target, file.toString());
  const temp = join(paths.etcDir, `.networking.halab-${randomBytes(4).toString('hex')}`);
  await copyFile(target, temp);
  const tool = (args: string[]) =>
    run([paths.vmwareNetworks, ...args], { timeoutMs: 120_000, signal: opts.signal }).catch((e: unknown) => {
      if (e instanceof CommandError && /must be (run as )?root|as root|superuser|permission denied|not permitted|EACCES/i.test(`${e.stdout}\n${e.stderr}`)) {
        throw needsRoot('vmware-networks refused');
      }
      throw e;
    });
  try {
    await tool(['--stop']);
    await tool(['--migrate-network-settings', temp]);
    await tool(['--stop']);
  } finally {
    await unlink(temp).catch(() => undefined);
    for (const [p, text] of leases) await writeFile(p, text).catch(() => undefined);
  }
  await tool(['--start']);
  opts.log?.(`VMware networks reconfigured (${file.vnets().map((n) => `vmnet${n}`).join(', ')})`);
}
