/**
 * The deep template check of `halab doctor`: boot a throwaway linked clone
 * of the template with the same cloud-init guestinfo a lab VM gets, and see
 * what the guest does with it:
 *
 * - open-vm-tools: `vmrun checkToolsState` reaches `running`;
 * - cloud-init's VMware datasource: the guest publishes
 *   `guestinfo.local-ipv4` (read with `readVariable guestVar`);
 * - SSH: the lab user logs in with the key cloud-init was given.
 *
 * The clone lives in `<labs>/.doctor/probe-<random>/` and is powered off,
 * deleted with vmrun and its folder removed in EVERY case (failure, timeout,
 * cancel). SSH only goes to an address inside the subnet of the VMnet the
 * clone is on; anything else is reported, not contacted. Polling makes at
 * most one vmrun call per second.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { connectGuest, GuestError } from '../guest/guest';
import { ensureLabKey, HostKeyStore } from '../guest/lab-keys';
import { inCidr, intToIp, ipToInt } from '../hypervisor/vmware/ipv4';
import { cloudInitGuestinfo } from '../hypervisor/vmware/vm-create';
import { sleep, type VmrunClient } from '../hypervisor/vmware/vmrun-client';
import { readNetworking } from '../hypervisor/vmware/vmnet-linux';
import { newVmwareUuid, VmxFile } from '../hypervisor/vmware/vmx-file';
import type { CheckLine } from '../shared/ipc/contract';

export interface ProbeOptions {
  client: VmrunClient;
  os: string;
  /** The template's .vmx. */
  template: string;
  /** Does the template have the base snapshot (else a full clone is made)? */
  hasSnapshot: boolean;
  baseSnapshot?: string;
  labsDir: string;
  sshUser: string;
  platform: NodeJS.Platform;
  /** Linux: VMware's config folder (to learn the VMnet's subnet). */
  etcDir: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How long the guest may take until Tools run and cloud-init publishes its address (default 240 s). */
  bootTimeoutMs?: number;
  /** How long SSH is retried once the address is known (default 90 s). */
  sshWaitMs?: number;
  /** SSH port (default 22; tests use a closed loopback port). */
  sshPort?: number;
  /** Poll interval (default 1000 ms: at most one vmrun call per second). */
  pollMs?: number;
}

/** The VMnet a NIC of the .vmx is on (`nat` → 8, `hostonly` → 1, custom `vnet`). */
function nicVnet(vmx: VmxFile, i: number): number | undefined {
  const type = (vmx.get(`ethernet${i}.connectionType`) ?? 'bridged').toLowerCase();
  if (type === 'nat') return 8;
  if (type === 'hostonly') return 1;
  if (type === 'custom') {
    const m = /(\d+)$/.exec(vmx.get(`ethernet${i}.vnet`) ?? '');
    return m ? Number(m[1]) : undefined;
  }
  return undefined;
}

/** The subnet (CIDR) of VMnet `n` as VMware has it, or undefined. */
async function vnetCidr(n: number, o: ProbeOptions): Promise<string | undefined> {
  const bits = (mask: string) => ipToInt(mask).toString(2).replace(/0+$/, '').length;
  if (o.platform === 'win32') {
    const h = (await o.client.listHostNetworks({ quiet: true }).catch(() => [])).find((x) => x.name === `vmnet${n}`);
    return h?.subnet && h.mask ? `${h.subnet}/${bits(h.mask)}` : undefined;
  }
  const s = (await readNetworking(o.etcDir).catch(() => undefined))?.get(n);
  return s?.subnet && s.netmask ? `${s.subnet}/${bits(s.netmask)}` : undefined;
}

const line = (os: string, level: CheckLine['level'], title: string, detail: string, fix?: string): CheckLine => ({ id: `template-guest:${os}`, level, title, detail, ...(fix ? { fix } : {}) });

const TEMPLATE_FIX = (os: string) =>
  `Make the template again with "halab template create ${os}" (Ubuntu's cloud image has everything), or fix this template: boot it, then`;

/** Boot a throwaway clone of the template and report what its guest did. Never throws. */
export async function probeTemplate(o: ProbeOptions): Promise<CheckLine> {
  const base = o.baseSnapshot ?? 'halab-base';
  const dir = join(o.labsDir, '.doctor', `probe-${randomBytes(4).toString('hex')}`);
  const vmx = join(dir, 'halab-doctor-probe.vmx');
  const bootMs = o.bootTimeoutMs ?? 240_000;
  const poll = o.pollMs ?? 1000;
  let cloned = false;
  let result: CheckLine;
  try {
    await mkdir(dir, { recursive: true });
    const key = await ensureLabKey(dir, 'doctor-probe');
    o.log?.(`${o.os}: making a throwaway ${o.hasSnapshot ? 'linked' : 'full'} clone of ${o.template} in ${dir}`);
    cloned = true;
    if (o.hasSnapshot) await o.client.clone(o.template, vmx, 'linked', { snapshot: base, cloneName: 'halab doctor probe (safe to delete)', signal: o.signal });
    else await o.client.clone(o.template, vmx, 'full', { cloneName: 'halab doctor probe (safe to delete)', signal: o.signal });
    for (const f of await readdir(dir)) if (f.toLowerCase().endsWith('.lck')) await rm(join(dir, f), { recursive: true, force: true });

    const file = await VmxFile.read(vmx);
    const uuid = newVmwareUuid();
    file.set('uuid.bios', uuid);
    file.set('uuid.action', 'keep');
    file.set('msg.autoAnswer', 'TRUE');
    file.deleteMatching(/^checkpoint\.vmstate/);
    file.deleteMatching(/^guestinfo\./);
    for (const [k, v] of Object.entries(cloudInitGuestinfo({ name: 'halab-doctor-probe', sshPublicKey: key.publicKey }, uuid))) file.set(k, v);
    await file.write(vmx, { state: 'off' });
    const vnet = nicVnet(file, 0);

    o.log?.(`${o.os}: booting the clone (up to ${Math.round(bootMs / 1000)} s)`);
    await o.client.start(vmx, 'nogui', { signal: o.signal });
    const deadline = Date.now() + bootMs;
    let tools = 'unknown';
    let ip = '';
    while (Date.now() < deadline && !o.signal?.aborted) {
      if (tools !== 'running') tools = await o.client.checkToolsState(vmx, { quiet: true, signal: o.signal, retries: 0 }).catch(() => tools);
      else {
        ip = (await o.client.readVariable(vmx, 'guestVar', 'local-ipv4', { quiet: true, signal: o.signal, retries: 0 }).catch(() => '')).trim();
        if (ip) break;
      }
      await sleep(poll, o.signal);
    }
    if (o.signal?.aborted) {
      result = line(o.os, 'warning', `Template ${o.os}: guest check canceled`, 'The check was canceled before the clone had booted.', 'Run "halab doctor" again and let it finish (or use --quick to skip this check).');
    } else if (tools !== 'running') {
      result = line(
        o.os,
        'error',
        `Template ${o.os}: open-vm-tools did not start`,
        `A clone of ${o.template} booted, but VMware Tools never reported "running" within ${Math.round(bootMs / 1000)} s (last state: ${tools}). Without open-vm-tools, cloud-init's VMware datasource cannot read the lab's settings.`,
        `${TEMPLATE_FIX(o.os)} "sudo apt install open-vm-tools cloud-init openssh-server", "sudo cloud-init clean --logs --machine-id" and shut it down.`,
      );
    } else if (!ip) {
      result = line(
        o.os,
        'error',
        `Template ${o.os}: cloud-init's VMware datasource did not run`,
        `open-vm-tools runs in the clone, but the guest never published guestinfo.local-ipv4, so cloud-init ignored the guestinfo settings (hostname, SSH key) a lab VM is given.`,
        `${TEMPLATE_FIX(o.os)} remove /etc/cloud/cloud.cfg.d/99-installer.cfg and subiquity-disable-cloudinit-networking.cfg, add "datasource_list: [ VMware, None ]" in /etc/cloud/cloud.cfg.d/90-halab.cfg, run "sudo cloud-init clean --logs --machine-id" and shut it down.`,
      );
    } else {
      result = await sshCheck(o, ip, vnet, key.privateKey, dir);
    }
  } catch (e) {
    const msg = (e as Error).message;
    result = o.signal?.aborted
      ? line(o.os, 'warning', `Template ${o.os}: guest check canceled`, 'The check was canceled.', 'Run "halab doctor" again and let it finish (or use --quick to skip this check).')
      : line(o.os, 'error', `Template ${o.os}: the test clone could not be made or started`, `vmrun failed: ${msg}`, 'Make sure the template is powered off and not open in VMware Workstation, close any dialog Workstation shows, then run "halab doctor" again.');
  }
  const leftover = await cleanup(o, vmx, dir, cloned);
  if (leftover) {
    return { ...result, level: 'error', detail: `${result.detail} The throwaway clone could not be deleted: ${leftover}.`, fix: `${result.fix ? `${result.fix} ` : ''}Delete the VM "halab doctor probe (safe to delete)" in VMware Workstation (Manage → Delete from Disk), then the folder ${dir} if it is still there.` };
  }
  return result;
}

async function sshCheck(o: ProbeOptions, ip: string, vnet: number | undefined, privateKey: string, dir: string): Promise<CheckLine> {
  const cidr = vnet === undefined ? undefined : await vnetCidr(vnet, o);
  const hostSide = cidr ? [intToIp(ipToInt(cidr.split('/')[0]!) + 1), intToIp(ipToInt(cidr.split('/')[0]!) + 2)] : [];
  if (!cidr || !inCidr(ip, cidr) || hostSide.includes(ip)) {
    return line(
      o.os,
      'warning',
      `Template ${o.os}: Tools and cloud-init work; SSH not tried`,
      `The clone published ${ip}, which is not a guest address on ${vnet === undefined ? 'a VMware host network (its NIC is bridged)' : `vmnet${vnet}${cidr ? ` (${cidr})` : ''}`}, so no SSH connection was attempted.`,
      'Put the template\'s first NIC on NAT (vmnet8) in its VM settings, then run "halab doctor" again.',
    );
  }
  o.log?.(`${o.os}: trying SSH as ${o.sshUser} at ${ip}`);
  const waitMs = o.sshWaitMs ?? 90_000;
  try {
    const guest = await connectGuest({ name: 'halab-doctor-probe', host: ip, port: o.sshPort ?? 22, user: o.sshUser, privateKey, hostKeys: new HostKeyStore(dir), waitMs, signal: o.signal });
    try {
      const id = await guest.exec(['cloud-id'], { sudo: false, okCodes: [0, 1, 2, 3], timeoutMs: 20_000 }).catch(() => undefined);
      const cloud = id?.stdout.trim();
      return line(o.os, 'ok', `Template ${o.os} boots and is reachable`, `A throwaway clone ran open-vm-tools, cloud-init's VMware datasource published ${ip}${cloud ? ` (cloud-id: ${cloud})` : ''}, and SSH as ${o.sshUser} with a lab key works. The clone was deleted.`);
    } finally {
      guest.close();
    }
  } catch (e) {
    const ge = e instanceof GuestError ? e : undefined;
    if (ge?.code === 'canceled' || o.signal?.aborted) return line(o.os, 'warning', `Template ${o.os}: guest check canceled`, 'The check was canceled during SSH.', 'Run "halab doctor" again and let it finish (or use --quick).');
    if (ge?.code === 'auth') {
      return line(
        o.os,
        'error',
        `Template ${o.os}: SSH refused the lab key for ${o.sshUser}`,
        `open-vm-tools and cloud-init's VMware datasource work (the clone published ${ip}), but SSH as ${o.sshUser} refused the key cloud-init was given.`,
        o.sshUser === 'root'
          ? 'In the template allow root login with a key ("PermitRootLogin prohibit-password" in /etc/ssh/sshd_config), or set the SSH user in Settings to the image\'s default user (ubuntu on Ubuntu cloud images).'
          : `Set the SSH user in Settings to root or to the image's default user (ubuntu on Ubuntu cloud images); cloud-init installs the lab key for those.`,
      );
    }
    return line(
      o.os,
      'error',
      `Template ${o.os}: no SSH answer`,
      `open-vm-tools and cloud-init's VMware datasource work (the clone published ${ip}), but SSH to ${ip}:${o.sshPort ?? 22} did not answer within ${Math.round(waitMs / 1000)} s (${(e as Error).message}).`,
      `${TEMPLATE_FIX(o.os)} "sudo apt install openssh-server", "sudo systemctl enable ssh", "sudo cloud-init clean --logs --machine-id" and shut it down.`,
    );
  }
}

/** Power the clone off, delete it with vmrun, remove its folder. Returns what could not be cleaned, if anything. */
async function cleanup(o: ProbeOptions, vmx: string, dir: string, cloned: boolean): Promise<string | undefined> {
  const problems: string[] = [];
  if (cloned) {
    const files = await readdir(dir).catch(() => [] as string[]);
    if (files.includes('halab-doctor-probe.vmx')) {
      const running = await o.client.isRunning(vmx, { quiet: true }).catch(() => true);
      if (running) await o.client.stop(vmx, 'hard', { timeoutMs: 60_000 }).catch((e: unknown) => problems.push(`stop: ${(e as Error).message}`));
      await o.client.deleteVM(vmx, { timeoutMs: 120_000 }).catch((e: unknown) => problems.push(`deleteVM: ${(e as Error).message}`));
    }
  }
  // A VM VMware still has (deleteVM failed) keeps its files: removing them under it would leave a broken entry.
  if (problems.length === 0) await rm(dir, { recursive: true, force: true }).catch((e: unknown) => problems.push(`removing ${dir}: ${(e as Error).message}`));
  await rmdir(join(o.labsDir, '.doctor')).catch(() => undefined); // only when no other probe runs
  o.log?.(`${o.os}: throwaway clone ${problems.length ? 'NOT fully removed' : 'deleted'}`);
  return problems.length ? problems.join('; ') : undefined;
}
