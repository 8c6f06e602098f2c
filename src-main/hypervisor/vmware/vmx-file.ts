/**
 * A .vmx reader/writer that changes only what it is told to: the encoding
 * line, a `#!` first line, comments, unknown keys, their order and the line
 * endings survive a round trip. Keys are matched case-insensitively and
 * upserted in place. Writes are atomic (temp file + rename) and refused
 * while the VM is running or suspended, because Workstation rewrites the file
 * at power-off and would silently drop the edit.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, writeFile, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { HypervisorError, type PowerState } from '../types.js';

type Line = { kind: 'entry'; key: string; value: string; raw?: string } | { kind: 'other'; raw: string };

const ENTRY = /^\s*([^=#\s][^=]*?)\s*=\s*"(.*)"\s*$/;
const ENTRY_UNQUOTED = /^\s*([^=#\s][^=]*?)\s*=\s*(.*?)\s*$/;

/** VMware escapes `"`, `|`, `#` and control characters as `|XX` hex. */
function decodeValue(v: string): string {
  return v.replace(/\|([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function encodeValue(v: string): string {
  return v.replace(/[|"#\x00-\x1f]/g, (c) => `|${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Node encoding for a .vmx `.encoding` value; latin1 keeps every byte of legacy files intact. */
function nodeEncoding(declared: string | undefined): BufferEncoding {
  return !declared || /^utf-?8$/i.test(declared) ? 'utf8' : 'latin1';
}

/** An in-memory .vmx file. */
export class VmxFile {
  private constructor(
    private readonly lines: Line[],
    private readonly eol: string,
    private readonly finalEol: boolean,
  ) {}

  /** Parse .vmx text (already decoded). */
  static parse(text: string): VmxFile {
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const finalEol = text.endsWith('\n');
    const body = finalEol ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
    const lines: Line[] = body.length === 0 ? [] : body.split(/\r?\n/).map((raw, i): Line => {
      if ((i === 0 && raw.startsWith('#!')) || /^\s*(#|$)/.test(raw)) return { kind: 'other', raw };
      const m = ENTRY.exec(raw) ?? ENTRY_UNQUOTED.exec(raw);
      if (!m?.[1]) return { kind: 'other', raw };
      return { kind: 'entry', key: m[1], value: decodeValue(m[2] ?? ''), raw };
    });
    return new VmxFile(lines, eol, finalEol || lines.length === 0);
  }

  /** Read and decode a .vmx file, honouring its `.encoding` line. */
  static async read(path: string): Promise<VmxFile> {
    const bytes = await readFile(path);
    const declared = /^\s*\.encoding\s*=\s*"([^"]*)"/im.exec(bytes.toString('latin1'))?.[1];
    return VmxFile.parse(bytes.toString(nodeEncoding(declared)));
  }

  private find(key: string): Extract<Line, { kind: 'entry' }> | undefined {
    const k = key.toLowerCase();
    return this.lines.find((l): l is Extract<Line, { kind: 'entry' }> => l.kind === 'entry' && l.key.toLowerCase() === k);
  }

  /** Value of a key (case-insensitive), or undefined. */
  get(key: string): string | undefined {
    return this.find(key)?.value;
  }

  has(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** Set a key in place (keeping its spelling and position), or append it. */
  set(key: string, value: string): this {
    const line = this.find(key);
    if (line) {
      if (line.value !== value) {
        line.value = value;
        delete line.raw;
      }
    } else {
      this.lines.push({ kind: 'entry', key, value });
    }
    return this;
  }

  /** Remove a key (every spelling of it). */
  delete(key: string): this {
    const k = key.toLowerCase();
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l?.kind === 'entry' && l.key.toLowerCase() === k) this.lines.splice(i, 1);
    }
    return this;
  }

  /** Remove every key matching `pattern` (tested against the lower-cased key). */
  deleteMatching(pattern: RegExp): this {
    for (const key of this.keys()) if (pattern.test(key.toLowerCase())) this.delete(key);
    return this;
  }

  /** Keys in file order, as spelled in the file. */
  keys(): string[] {
    return this.lines.flatMap((l) => (l.kind === 'entry' ? [l.key] : []));
  }

  /** The declared `.encoding`, if any. */
  get encoding(): string | undefined {
    return this.get('.encoding');
  }

  toString(): string {
    const text = this.lines
      .map((l) => (l.kind === 'other' ? l.raw : (l.raw ?? `${l.key} = "${encodeValue(l.value)}"`)))
      .join(this.eol);
    return this.finalEol ? text + this.eol : text;
  }

  /**
   * Write atomically to `path`. `state` is the VM's power state when the
   * caller knows it; otherwise a `.lck` folder next to the file (Workstation
   * holds one while the VM is open) is taken as "in use".
   */
  async write(path: string, opts: { state?: PowerState } = {}): Promise<void> {
    await assertEditable(path, opts.state);
    const bytes = Buffer.from(this.toString(), nodeEncoding(this.encoding));
    const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
    const mode = await stat(path).then((s) => s.mode & 0o777, () => 0o644);
    try {
      await writeFile(tmp, bytes, { mode });
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

/** Throws a `bad-state` HypervisorError when the VM's .vmx must not be edited now. */
export async function assertEditable(vmxPath: string, state?: PowerState): Promise<void> {
  const name = basename(vmxPath);
  if (state === 'running' || state === 'suspended') {
    throw new HypervisorError(
      `Cannot change ${name} while the VM is ${state}: VMware would overwrite the change.`,
      'bad-state',
      'Power the VM off (not suspend) and try again.',
    );
  }
  if (state === undefined) {
    const entries = await readdir(dirname(vmxPath)).catch(() => [] as string[]);
    const lock = entries.find((e) => e.toLowerCase() === `${name.toLowerCase()}.lck`);
    if (lock) {
      throw new HypervisorError(
        `Cannot change ${name}: it is in use (a ${lock} lock folder exists).`,
        'bad-state',
        'Power the VM off and close its tab in VMware Workstation, then try again.',
      );
    }
  }
}

/** A NIC's wiring: a custom VMnet and a static MAC. */
export interface NicWiring {
  /** `vmnet2` */
  vnet: string;
  mac: string;
  /** Keep the template's device type when absent (default e1000 if the template has none). */
  virtualDev?: string;
  connected?: boolean;
}

/** Static MACs must be inside 00:50:56:00:00:00–00:50:56:3F:FF:FF. */
export function isVmwareStaticMac(mac: string): boolean {
  const m = /^00:50:56:([0-9a-f]{2}):[0-9a-f]{2}:[0-9a-f]{2}$/i.exec(mac);
  return !!m && parseInt(m[1] ?? 'ff', 16) <= 0x3f;
}

/** How this host's Workstation spells a custom VMnet in `ethernetN.vnet`. */
export function vnetValue(vnet: string, platform: NodeJS.Platform = process.platform): string {
  const n = /(\d+)$/.exec(vnet)?.[1] ?? vnet;
  return platform === 'win32' ? `VMnet${n}` : `/dev/vmnet${n}`;
}

/** Wire NIC `index` to a custom VMnet with a static MAC. */
export function wireNic(vmx: VmxFile, index: number, nic: NicWiring, platform: NodeJS.Platform = process.platform): void {
  if (!isVmwareStaticMac(nic.mac)) {
    throw new HypervisorError(
      `MAC ${nic.mac} is outside VMware's static range 00:50:56:00:00:00–00:50:56:3F:FF:FF.`,
      'failed',
      'Let the blueprint allocate the MAC, or pick one whose 4th byte is 00–3F.',
    );
  }
  const p = `ethernet${index}`;
  vmx.set(`${p}.present`, 'TRUE');
  vmx.set(`${p}.connectionType`, 'custom');
  vmx.set(`${p}.vnet`, vnetValue(nic.vnet, platform));
  vmx.set(`${p}.virtualDev`, nic.virtualDev ?? vmx.get(`${p}.virtualDev`) ?? vmx.get('ethernet0.virtualDev') ?? 'e1000');
  vmx.set(`${p}.addressType`, 'static');
  vmx.set(`${p}.address`, nic.mac.toLowerCase());
  vmx.set(`${p}.startConnected`, nic.connected === false ? 'FALSE' : 'TRUE');
  vmx.delete(`${p}.generatedAddress`).delete(`${p}.generatedAddressOffset`);
}

/** Remove NICs `from` and above (a template may have more than the spec wants). */
export function removeNicsFrom(vmx: VmxFile, from: number): void {
  for (const key of vmx.keys()) {
    const m = /^ethernet(\d+)\./i.exec(key);
    if (m && Number(m[1]) >= from) vmx.delete(key);
  }
}

/** Every NIC's MAC (static or generated), lower case, by index. */
export function nicMacs(vmx: VmxFile): Map<number, string> {
  const out = new Map<number, string>();
  for (const key of vmx.keys()) {
    const m = /^ethernet(\d+)\.present$/i.exec(key);
    if (!m || vmx.get(key)?.toUpperCase() !== 'TRUE') continue;
    const i = Number(m[1]);
    const mac = vmx.get(`ethernet${i}.address`) ?? vmx.get(`ethernet${i}.generatedAddress`);
    if (mac) out.set(i, mac.toLowerCase());
  }
  return out;
}

/** A fresh `uuid.bios` in VMware's form: `56 4d 12 … 9a-3c 0b … 11`. */
export function newVmwareUuid(): string {
  const hex = [...randomBytes(16)].map((b) => b.toString(16).padStart(2, '0'));
  return `${hex.slice(0, 8).join(' ')}-${hex.slice(8).join(' ')}`;
}
