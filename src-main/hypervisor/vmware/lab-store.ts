/**
 * What the VMware driver remembers inside the lab folder: one folder per VM
 * (`<lab.dir>/vms/<name>/<name>.vmx` plus `halab-vm.json`, written last, so
 * its presence means "created completely") and the list of VMnets this lab
 * created and applied, or reconfigured with the user's yes
 * (`<lab.dir>/vmware-networks.json`), the only ones it may change, remove or
 * restore.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabRef, NetworkSpec, VmSpec } from '../types.js';

/** Saved next to each VM. */
export interface VmRecord {
  spec: VmSpec;
  vmx: string;
  /** Template .vmx and the snapshot a linked clone depends on. */
  template: string;
  baseSnapshot?: string;
  createdAt: string;
}

/** How a VMnet looked before the lab reconfigured it: the exact networking-file lines (Linux) or VMware's values (Windows). */
export interface PreviousVmnet {
  linux?: { index: number; raw: string }[];
  windows?: { subnet: string; netmask: string; dhcp: boolean; nat: boolean };
}

export interface NetworkRecord {
  /** VMnets this lab created AND applied, by name, with the settings it gave them. */
  created: Record<string, NetworkSpec>;
  /** Existing VMnets (vmnet8) the lab changed with the user's yes, with what to restore. */
  reconfigured?: Record<string, { spec: NetworkSpec; previous: PreviousVmnet }>;
  /**
   * Changes started but not known to be applied (interrupted, or waiting for
   * the user to run the root command). Promoted to `created`/`reconfigured`
   * only when VMware shows exactly these settings.
   */
  pending?: Record<string, { spec: NetworkSpec; previous?: PreviousVmnet }>;
}

const SAFE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/** Throws unless `name` is safe as a folder and file name. */
export function assertVmName(name: string): void {
  if (!SAFE_NAME.test(name)) throw new Error(`"${name}" is not a valid VM name (letters, digits and dashes, up to 63).`);
}

export const vmDir = (lab: LabRef, name: string): string => join(lab.dir, 'vms', name);
export const vmxPathOf = (lab: LabRef, name: string): string => join(vmDir(lab, name), `${name}.vmx`);
/** Written last when a VM is created: its presence means "created completely". */
export const VM_RECORD_FILE = 'halab-vm.json';
const recordPath = (lab: LabRef, name: string): string => join(vmDir(lab, name), VM_RECORD_FILE);
const networksPath = (lab: LabRef): string => join(lab.dir, 'vmware-networks.json');

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export const readVmRecord = (lab: LabRef, name: string): Promise<VmRecord | undefined> => readJson<VmRecord>(recordPath(lab, name));
export const writeVmRecord = (lab: LabRef, name: string, rec: VmRecord): Promise<void> => writeJsonAtomic(recordPath(lab, name), rec);

/** Names of the VM folders in this lab (complete or not). */
export async function listVmFolders(lab: LabRef): Promise<string[]> {
  const entries = await readdir(join(lab.dir, 'vms'), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && SAFE_NAME.test(e.name)).map((e) => e.name).sort();
}

export async function readNetworkRecord(lab: LabRef): Promise<NetworkRecord> {
  return (await readJson<NetworkRecord>(networksPath(lab))) ?? { created: {} };
}

export async function writeNetworkRecord(lab: LabRef, rec: NetworkRecord): Promise<void> {
  await mkdir(lab.dir, { recursive: true });
  await writeJsonAtomic(networksPath(lab), rec);
}
