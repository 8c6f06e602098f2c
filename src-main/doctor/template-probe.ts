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
import { msg, render, type Message } from '../shared/i18n';
import { checkLine } from '../shared/i18n/check-line';

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
  /** The same progress lines as catalog messages (without it, `log` gets their English). */
  logMsg?: (line: Message) => void;
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

/** The probe's check line, its words from the catalog (English in title/detail/fix, the messages beside them). */
const line = (os: string, level: CheckLine['level'], title: Message, detail: Message, fix?: Message): CheckLine => checkLine(`template-guest:${os}`, level, title, detail, fix);

const prefix = (os: string) => msg('probe.fixPrefix', { os });

/** A progress line, as a message when the caller takes them. */
const say = (o: ProbeOptions, m: Message) => (o.logMsg ? o.logMsg(m) : o.log?.(render('en', m)));

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
    say(o, msg('probe.log.cloning', { os: o.os, kind: msg(o.hasSnapshot ? 'hv.clone.linked' : 'hv.clone.full'), template: o.template, dir }));
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

    say(o, msg('probe.log.booting', { os: o.os, seconds: Math.round(bootMs / 1000) }));
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
      result = line(o.os, 'warning', msg('probe.canceled', { os: o.os }), msg('probe.canceledBoot.detail'), msg('probe.canceled.fix'));
    } else if (tools !== 'running') {
      result = line(
        o.os,
        'error',
        msg('probe.tools', { os: o.os }),
        msg('probe.tools.detail', { template: o.template, seconds: Math.round(bootMs / 1000), state: tools }),
        msg('probe.tools.fix', { prefix: prefix(o.os) }),
      );
    } else if (!ip) {
      result = line(o.os, 'error', msg('probe.datasource', { os: o.os }), msg('probe.datasource.detail'), msg('probe.datasource.fix', { prefix: prefix(o.os) }));
    } else {
      result = await sshCheck(o, ip, vnet, key.privateKey, dir);
    }
  } catch (e) {
    const error = (e as Error).message;
    result = o.signal?.aborted
      ? line(o.os, 'warning', msg('probe.canceled', { os: o.os }), msg('probe.canceled.detail'), msg('probe.canceled.fix'))
      : line(o.os, 'error', msg('probe.cloneFailed', { os: o.os }), msg('probe.cloneFailed.detail', { error }), msg('probe.cloneFailed.fix'));
  }
  const leftover = await cleanup(o, vmx, dir, cloned);
  if (leftover) {
    const detail = msg('probe.leftover.detail', { detail: result.detailMsg ?? result.detail, leftover });
    const fix = result.fixMsg ? msg('probe.leftoverAfter.fix', { fix: result.fixMsg, dir }) : msg('probe.leftover.fix', { dir });
    return { ...result, level: 'error', detail: render('en', detail), detailMsg: detail, fix: render('en', fix), fixMsg: fix };
  }
  return result;
}

async function sshCheck(o: ProbeOptions, ip: string, vnet: number | undefined, privateKey: string, dir: string): Promise<CheckLine> {
  const cidr = vnet === undefined ? undefined : await vnetCidr(vnet, o);
  const hostSide = cidr ? [intToIp(ipToInt(cidr.split('/')[0]!) + 1), intToIp(ipToInt(cidr.split('/')[0]!) + 2)] : [];
  if (!cidr || !inCidr(ip, cidr) || hostSide.includes(ip)) {
    const where = vnet === undefined ? msg('probe.where.bridged') : cidr ? msg('probe.where.vmnetCidr', { n: vnet, cidr }) : msg('probe.where.vmnet', { n: vnet });
    return line(o.os, 'warning', msg('probe.notTried', { os: o.os }), msg('probe.notTried.detail', { ip, where }), msg('probe.notTried.fix'));
  }
  say(o, msg('probe.log.ssh', { os: o.os, user: o.sshUser, ip }));
  const waitMs = o.sshWaitMs ?? 90_000;
  try {
    const guest = await connectGuest({ name: 'halab-doctor-probe', host: ip, port: o.sshPort ?? 22, user: o.sshUser, privateKey, hostKeys: new HostKeyStore(dir), waitMs, signal: o.signal });
    try {
      const id = await guest.exec(['cloud-id'], { sudo: false, okCodes: [0, 1, 2, 3], timeoutMs: 20_000 }).catch(() => undefined);
      const cloud = id?.stdout.trim();
      return line(o.os, 'ok', msg('probe.ok', { os: o.os }), cloud ? msg('probe.okCloud.detail', { ip, cloud, user: o.sshUser }) : msg('probe.ok.detail', { ip, user: o.sshUser }));
    } finally {
      guest.close();
    }
  } catch (e) {
    const ge = e instanceof GuestError ? e : undefined;
    if (ge?.code === 'canceled' || o.signal?.aborted) return line(o.os, 'warning', msg('probe.canceled', { os: o.os }), msg('probe.canceledSsh.detail'), msg('probe.canceledSsh.fix'));
    if (ge?.code === 'auth') {
      return line(o.os, 'error', msg('probe.auth', { os: o.os, user: o.sshUser }), msg('probe.auth.detail', { ip, user: o.sshUser }), msg(o.sshUser === 'root' ? 'probe.authRoot.fix' : 'probe.authUser.fix'));
    }
    return line(
      o.os,
      'error',
      msg('probe.noSsh', { os: o.os }),
      msg('probe.noSsh.detail', { ip, port: o.sshPort ?? 22, seconds: Math.round(waitMs / 1000), error: (e as Error).message }),
      msg('probe.noSsh.fix', { prefix: prefix(o.os) }),
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
  say(o, msg(problems.length ? 'probe.log.notRemoved' : 'probe.log.deleted', { os: o.os }));
  return problems.length ? problems.join('; ') : undefined;
}
