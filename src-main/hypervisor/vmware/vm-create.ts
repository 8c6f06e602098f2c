/**
 * Creating one lab VM: a linked clone of the template's base snapshot (taken
 * once, under a lock, never on a running template), then the clone's .vmx
 * made the VM of the spec (CPUs, memory, name, NICs with static MACs, a fresh
 * BIOS UUID, `msg.autoAnswer`) and checked for identity clashes with the
 * lab's other VMs. The record file is written last: a folder without it is
 * a half-made VM and is cleaned up and made again.
 */
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HypervisorError, opLog, withMsg, type LabRef, type OpOptions, type VmSpec } from '../types.js';
import { listVmFolders, readVmRecord, vmDir, vmxPathOf, writeVmRecord, type VmRecord } from './lab-store.js';
import type { VmrunClient } from './vmrun-client.js';
import { VmrunError } from './vmrun-errors.js';
import { isVmwareStaticMac, newVmwareUuid, nicMacs, removeNicsFrom, VmxFile, wireNic } from './vmx-file.js';
import { msg } from '../../shared/i18n';

export interface CreateCloneArgs {
  client: VmrunClient;
  lab: LabRef;
  spec: VmSpec;
  platform: NodeJS.Platform;
  baseSnapshot: string;
  opts: OpOptions;
}

/** The parts of a spec that decide whether an existing VM "is" this spec. */
function sameSpec(a: VmSpec, b: VmSpec): boolean {
  const pick = (s: VmSpec) => JSON.stringify([s.template, s.clone, s.vcpus, s.memoryMiB, s.nics.map((n) => [n.network, n.mac.toLowerCase()])]);
  return pick(a) === pick(b);
}

function validate(spec: VmSpec): void {
  if (!Number.isInteger(spec.vcpus) || spec.vcpus < 1) throw new HypervisorError(`${spec.name}: vCPUs must be a whole number ≥ 1.`, 'failed');
  if (!Number.isFinite(spec.memoryMiB) || spec.memoryMiB < 4) throw new HypervisorError(`${spec.name}: memory must be at least 4 MiB.`, 'failed');
  if (spec.nics.length > 10) throw new HypervisorError(`${spec.name}: VMware allows at most 10 NICs.`, 'failed');
  const macs = spec.nics.map((n) => n.mac.toLowerCase());
  for (const mac of macs) {
    if (!isVmwareStaticMac(mac)) {
      throw new HypervisorError(`${spec.name}: MAC ${mac} is outside VMware's static range 00:50:56:00:00:00–00:50:56:3F:FF:FF.`, 'failed', 'Let the blueprint allocate MACs.');
    }
  }
  if (new Set(macs).size !== macs.length) throw new HypervisorError(`${spec.name}: two NICs share a MAC.`, 'conflict', 'Give each NIC its own MAC.');
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Take the template's base snapshot if it is missing (once, even with parallel creates). */
async function ensureBaseSnapshot(a: CreateCloneArgs): Promise<void> {
  const tpl = a.spec.template;
  await a.client.locks.run(`template:${tpl}`, async () => {
    if ((await a.client.listSnapshots(tpl)).includes(a.baseSnapshot)) return;
    if (await a.client.isRunning(tpl)) {
      throw new HypervisorError(
        `The template ${tpl} is powered on; linked clones need it off and never booted again.`,
        'bad-state',
        'Shut the template down in VMware Workstation, then try again.',
      );
    }
    opLog(a.opts, msg('hv.log.baseSnapshot', { name: a.baseSnapshot }));
    await a.client.snapshot(tpl, a.baseSnapshot);
  });
}

/** uuid.bios values and MACs of the lab's other VMs (and the template). */
async function identitiesInUse(lab: LabRef, except: string, template: string): Promise<{ uuids: Set<string>; macs: Map<string, string> }> {
  const uuids = new Set<string>();
  const macs = new Map<string, string>();
  const files = [{ who: 'the template', path: template }];
  for (const name of await listVmFolders(lab)) if (name !== except) files.push({ who: name, path: vmxPathOf(lab, name) });
  for (const f of files) {
    const vmx = await VmxFile.read(f.path).catch(() => undefined);
    if (!vmx) continue;
    const uuid = vmx.get('uuid.bios');
    if (uuid) uuids.add(uuid.toLowerCase());
    for (const mac of nicMacs(vmx).values()) macs.set(mac, f.who);
  }
  return { uuids, macs };
}

/** Create the VM of `spec` (idempotent; see module doc). */
export async function createClone(a: CreateCloneArgs): Promise<void> {
  const { client, lab, spec } = a;
  validate(spec);
  const vmx = vmxPathOf(lab, spec.name);
  const dir = vmDir(lab, spec.name);
  const record = await readVmRecord(lab, spec.name);
  if (record) {
    if (sameSpec(record.spec, spec)) return;
    throw withMsg(
      new HypervisorError(
        `${spec.name} already exists with other settings (template, CPUs, memory or NICs).`,
        'conflict',
        `Destroy ${spec.name} (halab down) to re-create it with the new settings.`,
      ),
      msg('hv.err.otherSettingsFix', { vm: spec.name }),
    );
  }
  if (!(await exists(spec.template))) {
    throw withMsg(new HypervisorError(`The template ${spec.template} does not exist.`, 'not-found', 'Set the template .vmx path in the blueprint or in Settings.'), msg('hv.templateMissing', { path: spec.template }));
  }
  if (await exists(dir)) {
    opLog(a.opts, msg('hv.log.removingHalf', { vm: spec.name }));
    if (await exists(vmx)) await client.deleteVM(vmx).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }

  await client.locks.run(`lab:${lab.dir}`, async () => {
    const inUse = await identitiesInUse(lab, spec.name, spec.template);
    for (const nic of spec.nics) {
      const owner = inUse.macs.get(nic.mac.toLowerCase());
      if (owner) throw new HypervisorError(`${spec.name}: MAC ${nic.mac} is already used by ${owner}.`, 'conflict', 'Give every NIC in the lab its own MAC.');
    }
  });

  await mkdir(dir, { recursive: true });
  let baseSnapshot: string | undefined;
  const cloneName = `${lab.id}-${spec.name}`;
  if (spec.clone === 'linked') {
    await ensureBaseSnapshot(a);
    baseSnapshot = a.baseSnapshot;
    try {
      await client.clone(spec.template, vmx, 'linked', { snapshot: baseSnapshot, cloneName, ...signalOf(a.opts) });
    } catch (e) {
      if (!(e instanceof VmrunError && e.kind === 'invalid-parameter')) throw e;
      opLog(a.opts, msg('hv.log.fullClone', { vm: spec.name }));
      baseSnapshot = undefined;
      await rm(dir, { recursive: true, force: true });
      await client.clone(spec.template, vmx, 'full', { cloneName, ...signalOf(a.opts) });
    }
  } else {
    await client.clone(spec.template, vmx, 'full', { cloneName, ...signalOf(a.opts) });
  }

  for (const f of await readdir(dir)) if (f.toLowerCase().endsWith('.lck')) await rm(join(dir, f), { recursive: true, force: true });

  await client.locks.run(`lab:${lab.dir}`, async () => {
    const file = await VmxFile.read(vmx);
    const memory = Math.ceil(spec.memoryMiB / 4) * 4;
    if (memory !== spec.memoryMiB) opLog(a.opts, msg('hv.log.memoryRounded', { vm: spec.name, mib: memory }));
    file.set('displayName', cloneName);
    file.set('numvcpus', String(spec.vcpus));
    file.set('cpuid.coresPerSocket', String(spec.vcpus));
    file.set('memsize', String(memory));
    file.set('msg.autoAnswer', 'TRUE');
    file.deleteMatching(/^checkpoint\.vmstate/);
    const devices = spec.nics.map((_, i) => file.get(`ethernet${i}.virtualDev`) ?? file.get('ethernet0.virtualDev'));
    removeNicsFrom(file, 0);
    spec.nics.forEach((nic, i) => {
      const virtualDev = devices[i];
      wireNic(file, i, { vnet: nic.network, mac: nic.mac, ...(virtualDev ? { virtualDev } : {}) }, a.platform);
    });

    const inUse = await identitiesInUse(lab, spec.name, spec.template);
    let uuid = newVmwareUuid();
    while (inUse.uuids.has(uuid)) uuid = newVmwareUuid();
    file.set('uuid.bios', uuid);
    file.set('uuid.location', newVmwareUuid());
    file.set('uuid.action', 'keep');
    for (const [k, v] of Object.entries(cloudInitGuestinfo(spec, uuid))) file.set(k, v);
    await file.write(vmx, { state: 'off' });

    const check = await VmxFile.read(vmx);
    const clash = [...nicMacs(check).values()].find((m) => inUse.macs.has(m));
    if (inUse.uuids.has((check.get('uuid.bios') ?? '').toLowerCase()) || clash) {
      throw new HypervisorError(`${spec.name}: after cloning it shares ${clash ? `MAC ${clash}` : 'its BIOS UUID'} with another VM of the lab.`, 'conflict', `Destroy ${spec.name} and create it again.`);
    }
    const rec: VmRecord = { spec, vmx, template: spec.template, createdAt: new Date().toISOString(), ...(baseSnapshot ? { baseSnapshot } : {}) };
    await writeVmRecord(lab, spec.name, rec);
  });
  opLog(a.opts, msg('hv.log.created', { vm: spec.name, clone: msg(spec.clone === 'full' ? 'hv.clone.full' : 'hv.clone.linked'), vcpus: spec.vcpus, mib: spec.memoryMiB, nics: spec.nics.length }));
}

/**
 * First-boot settings through cloud-init's VMware datasource (guestinfo):
 * a fresh instance id (so the clone counts as a new machine: new machine-id,
 * new SSH host keys), the hostname, and the lab's SSH key for root and the
 * default user. Needs open-vm-tools and cloud-init in the template; without
 * them these keys are ignored and the template must already accept the key.
 * Deliberately no `network:` key: the first boot takes DHCP, and the lab's
 * static addresses come from one source, the netplan the provisioner writes
 * over SSH (see guest-address.ts for why).
 */
export function cloudInitGuestinfo(spec: { name: string; sshPublicKey?: string }, instanceId: string): Record<string, string> {
  const b64 = (t: string) => Buffer.from(t, 'utf8').toString('base64');
  const meta = `instance-id: halab-${instanceId.replace(/[^0-9a-f]/gi, '').slice(0, 32)}\nlocal-hostname: ${spec.name}\n`;
  const out: Record<string, string> = { 'guestinfo.metadata': b64(meta), 'guestinfo.metadata.encoding': 'base64' };
  if (spec.sshPublicKey) {
    const user = ['#cloud-config', 'disable_root: false', 'ssh_pwauth: false', 'ssh_authorized_keys:', `  - ${JSON.stringify(spec.sshPublicKey)}`, ''].join('\n');
    out['guestinfo.userdata'] = b64(user);
    out['guestinfo.userdata.encoding'] = 'base64';
  }
  return out;
}

const signalOf = (o: OpOptions): { signal?: AbortSignal } => (o.signal ? { signal: o.signal } : {});
