/**
 * What the Linux lab provider keeps in the lab folder so a later process
 * (`halab status`, `halab down`) finds what an earlier one created:
 *   networks/<vmnet>/network.json, dnsmasq.{pid,leases,log}
 *   vms/<vm>/vm.json, run.json, nspawn.{pid,log}, upper/ work/ merged/ snapshots/
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LabRef, NetworkSpec, VmSpec } from '../types';
import type { ProcRef } from './proc';

/** Folder of one network's files. */
export const netDir = (lab: LabRef, network: string): string => join(lab.dir, 'networks', network);
/** Folder of one VM's files. */
export const vmDir = (lab: LabRef, vm: string): string => join(lab.dir, 'vms', vm);

/** networks/<vmnet>/network.json */
export interface NetworkState {
  spec: NetworkSpec;
  bridge: string;
  /** Canonical subnet text (host bits cleared). */
  subnet: string;
}

/** One NIC as wired on the host. */
export interface NicState {
  network: string;
  mac: string;
  bridge: string;
  hostVeth: string;
  guestNic: string;
}

/** vms/<vm>/vm.json */
export interface VmState {
  spec: VmSpec;
  netns: string;
  /** The base image (overlay lowerdir) this VM was cloned from. */
  base: string;
  nics: NicState[];
  createdAt: string;
}

/** vms/<vm>/run.json: the systemd-nspawn process of a running VM. */
export interface RunState extends ProcRef {
  startedAt: string;
}

/** Read a JSON file, or undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} is damaged (${(e as Error).message}); delete it and run the step again.`);
  }
}

/** Write JSON atomically (temp file + rename). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

/** Names of the sub-folders of a folder (none when it does not exist). */
export async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}
