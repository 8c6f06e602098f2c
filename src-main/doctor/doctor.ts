/**
 * `halab doctor` and the Doctor panel: everything a lab needs from this
 * computer, one line each (ok / warning / error), every non-ok line with
 * what to do. The report is `ok` only when every line is ok.
 *
 * VMware: vmrun found and its version; `vmrun -T ws list` works; each
 * template (the blueprint's, else all in Settings) exists, is powered off and
 * has the `halab-base` snapshot or can get one; unless `quick`, a throwaway
 * clone of it boots with open-vm-tools, cloud-init's VMware datasource and
 * SSH (see template-probe.ts); the right to change VMnets; the host's RAM
 * against the lab; the host's VMnets (vmnet8 in practice) against the
 * blueprint's subnets.
 *
 * Linux lab: root, the programs, overlayfs, the base image (cached or
 * buildable).
 */
import { access, constants, readdir, readFile, stat } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec/runner';
import { baseCacheDir } from '../hypervisor/linux/base-image';
import { which } from '../hypervisor/linux/machine';
import { debianArch, loadRecipe, recipeHash } from '../hypervisor/linux/recipe';
import type { NetworkSpec } from '../hypervisor/types';
import { findVmrun, vmwareNetworksPathFor, type VmrunLocation } from '../hypervisor/vmware/find-vmrun';
import { BASE_SNAPSHOT, findOvftool } from '../hypervisor/vmware/template-create';
import { VmrunClient } from '../hypervisor/vmware/vmrun-client';
import { VmrunError } from '../hypervisor/vmware/vmrun-errors';
import { detectElevation } from '../hypervisor/vmware/vmnet-linux';
import { vmnetClashes } from '../hypervisor/vmware/vmnet-settings';
import { VmxFile } from '../hypervisor/vmware/vmx-file';
import type { HostSettings } from '../lab/host-settings';
import { labHome } from '../lab/runtime';
import type { ResolvedLab } from '../shared/blueprint/model';
import { checkLine } from '../shared/i18n/check-line';
import { msg, render, type Message } from '../shared/i18n';
import type { CheckLine, DoctorReport } from '../shared/ipc/contract';
import { probeTemplate } from './template-probe';
import { incusChecks } from './incus-checks';

export interface DoctorOptions {
  /** Default: the provider the blueprint's lab was created with, else VMware when vmrun is found, else the Linux lab on a Linux host, else VMware. */
  provider?: 'vmware' | 'linux' | 'incus';
  /** The blueprint's lab: adds its templates, RAM and VMnet checks. */
  resolved?: ResolvedLab;
  /** Skip the throwaway-clone boot check. */
  quick?: boolean;
  settings: HostSettings;
  signal?: AbortSignal;
  /** "Now checking …" lines (the boot check takes minutes). */
  onProgress?: (line: string) => void;
  /** The same progress lines as catalog messages (the CLI renders them with --lang; without it, `onProgress` gets their English). */
  onProgressMsg?: (line: Message) => void;
  // Host facts, replaceable in tests.
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  uid?: number;
  hostMemoryMiB?: number;
  freeMemoryMiB?: number;
  /** Windows: are we an Administrator? */
  isAdmin?: () => Promise<boolean>;
  /** Linux VMnet elevation probe (tests inject a non-root user). */
  elevation?: Parameters<typeof detectElevation>[1];
  /** Knobs of the boot check (tests: short timeouts, a closed loopback SSH port). */
  probe?: { bootTimeoutMs?: number; sshWaitMs?: number; sshPort?: number; pollMs?: number };
  /** Linux lab: base image cache (default HALAB_CACHE_DIR or /var/cache/halab). */
  cacheDir?: string;
}

/** Run every check of the provider; never throws for a failed check. */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const provider = o.provider ?? (await defaultProvider(o));
  const lines = provider === 'incus' ? await incusChecks({ resolved: o.resolved }) : provider === 'vmware' ? await vmwareChecks(o) : await linuxChecks(o);
  return { provider, ok: lines.every((l) => l.level === 'ok'), lines };
}

/** The provider to check when none is given (the same order `halab up` uses). */
async function defaultProvider(o: DoctorOptions): Promise<'vmware' | 'linux' | 'incus'> {
  if (o.resolved) {
    const { state } = await labHome(o.resolved.name, o.settings).catch(() => ({ state: undefined }));
    if (state?.provider) return state.provider;
  }
  const platform = o.platform ?? process.platform;
  if (await findVmrun({ setting: o.settings.vmrunPath, env: o.env ?? process.env, platform })) return 'vmware';
  return platform === 'linux' ? 'linux' : 'vmware';
}

/** Exit code of `halab doctor`: 0 when every line is ok, 1 otherwise. */
export const doctorExitCode = (r: DoctorReport): number => (r.ok ? 0 : 1);

// ------------------------------------------------------------------ VMware

// From here on the lines come from the message catalog (doc.*); the rest of the file is still English only.

async function vmrunLines(o: DoctorOptions, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<{ lines: CheckLine[]; client?: VmrunClient; where?: VmrunLocation }> {
  const where = await findVmrun({ setting: o.settings.vmrunPath, env, platform });
  if (!where) {
    return { lines: [checkLine('vmrun', 'error', msg('doc.vmrunNotFound'), msg('doc.vmrunNotFound.detail'), msg(platform === 'linux' ? 'doc.installFixLinux' : 'doc.installFix'))] };
  }
  const client = new VmrunClient({ vmrunPath: where.path, hostType: where.hostType, platform });
  const v = await client.version({ quiet: true, signal: o.signal }).catch(() => undefined);
  if (!v) {
    return { lines: [checkLine('vmrun', 'error', msg('doc.vmrunSilent'), msg('doc.vmrunSilent.detail', { path: where.path, source: where.source }), msg('doc.vmrunSilent.fix'))] };
  }
  const lines = [checkLine('vmrun', 'ok', msg('doc.vmrunOk', { version: v.version }), msg('doc.vmrunOk.detail', { path: where.path, source: where.source, banner: v.banner }))];
  try {
    const running = await client.list({ quiet: true, signal: o.signal });
    lines.push(checkLine('vmrun-list', 'ok', msg('doc.listOk'), running.length === 1 ? msg('doc.listOkOne.detail') : msg('doc.listOk.detail', { count: running.length })));
    return { lines, client, where };
  } catch (e) {
    const stale = e instanceof VmrunError && e.kind === 'vix-not-installed';
    lines.push(
      stale
        ? checkLine('vmrun-list', 'error', msg('doc.vix'), msg('doc.vix.detail', { error: (e as Error).message }), msg('doc.vix.fix'))
        : checkLine('vmrun-list', 'error', msg('doc.listFails'), msg('doc.listFails.detail', { error: (e as Error).message }), msg('doc.listFails.fix')),
    );
    return { lines, where };
  }
}

/** The templates to check: the blueprint's OS names (with the VMs using them), else all in Settings. */
function templatesToCheck(o: DoctorOptions): { os: string; users: string[] }[] {
  if (o.resolved) {
    const by = new Map<string, string[]>();
    for (const n of o.resolved.nodes) by.set(n.template, [...(by.get(n.template) ?? []), n.hostname]);
    return [...by].map(([os, users]) => ({ os, users }));
  }
  return Object.keys(o.settings.templates).sort().map((os) => ({ os, users: [] }));
}

async function templateLines(o: DoctorOptions, client: VmrunClient | undefined, platform: NodeJS.Platform, etcDir: string, env: NodeJS.ProcessEnv, where: VmrunLocation | undefined): Promise<CheckLine[]> {
  const out: CheckLine[] = [];
  const wanted = templatesToCheck(o);
  // `halab template create` needs ovftool: say so where it is suggested and ovftool is missing.
  const ovftoolNote = async (): Promise<Message | string> => ((await findOvftool({ env, platform, ...(where ? { vmrun: where } : {}) })) ? '' : msg('doc.ovftoolNote'));
  if (wanted.length === 0) {
    out.push(checkLine('templates', 'warning', msg('doc.noTemplates'), msg('doc.noTemplates.detail'), msg('doc.noTemplates.fix', { note: await ovftoolNote() })));
    return out;
  }
  for (const { os, users } of wanted) {
    const id = `template:${os}`;
    const usedBy: Message | string = users.length ? msg('doc.usedBy', { vms: users.join(', ') }) : '';
    const vmx = o.settings.templates[os];
    if (!vmx) {
      out.push(checkLine(id, 'error', msg('doc.tplNone', { os }), msg('doc.tplNone.detail', { os, usedBy }), msg('doc.tplNone.fix', { os, note: await ovftoolNote() })));
      continue;
    }
    const st = await stat(vmx).catch(() => undefined);
    if (!st?.isFile()) {
      out.push(checkLine(id, 'error', msg('doc.tplMissing', { os }), msg('doc.tplMissing.detail', { vmx, usedBy }), msg('doc.tplMissing.fix', { os })));
      continue;
    }
    const file = await VmxFile.read(vmx).catch(() => undefined);
    if (!file) {
      out.push(checkLine(id, 'error', msg('doc.tplUnreadable', { os }), msg('doc.tplUnreadable.detail', { vmx }), msg('doc.tplUnreadable.fix')));
      continue;
    }
    if (file.get('encryption.keySafe') || file.get('encryption.data')) {
      out.push(checkLine(id, 'error', msg('doc.tplEncrypted', { os }), msg('doc.tplEncrypted.detail', { vmx }), msg('doc.tplEncrypted.fix')));
      continue;
    }
    if (!client) {
      out.push(checkLine(id, 'warning', msg('doc.tplUnchecked', { os }), msg('doc.tplUnchecked.detail', { vmx }), msg('doc.vmnetsUnchecked.fix')));
      continue;
    }
    const running = await client.isRunning(vmx, { quiet: true, signal: o.signal }).catch(() => false);
    const files = await readdir(join(vmx, '..')).catch(() => [] as string[]);
    const suspended = !running && files.some((f) => /\.vmss$/i.test(f) && !/-Snapshot\d+/i.test(f));
    if (running || suspended) {
      out.push(checkLine(id, 'error', msg(running ? 'doc.tplOn' : 'doc.tplSuspended', { os }), msg('doc.tplOn.detail', { vmx }), msg('doc.tplOn.fix')));
      continue;
    }
    let snaps: string[];
    try {
      snaps = await client.listSnapshots(vmx, { quiet: true, signal: o.signal });
    } catch (e) {
      out.push(checkLine(id, 'error', msg('doc.tplSnapshots', { os }), msg('doc.tplSnapshots.detail', { vmx, error: (e as Error).message }), msg('doc.tplSnapshots.fix')));
      continue;
    }
    const has = snaps.includes(BASE_SNAPSHOT);
    out.push(
      checkLine(id, 'ok', msg('doc.tplOk', { os }), msg(has ? 'doc.tplOkSnap.detail' : 'doc.tplOkNoSnap.detail', { vmx, usedBy, snapshot: BASE_SNAPSHOT })),
    );
    if (!o.quick) {
      const booting = msg('probe.log.start', { os });
      if (o.onProgressMsg) o.onProgressMsg(booting);
      else o.onProgress?.(render('en', booting));
      out.push(
        await probeTemplate({
          client,
          os,
          template: vmx,
          hasSnapshot: has,
          labsDir: o.settings.labsDir,
          sshUser: o.settings.sshUser,
          platform,
          etcDir,
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.onProgress ? { log: o.onProgress } : {}),
          ...(o.onProgressMsg ? { logMsg: o.onProgressMsg } : {}),
          ...(o.probe ?? {}),
        }),
      );
    }
  }
  return out;
}

async function defaultIsAdmin(): Promise<boolean> {
  return run(['net', 'session'], { timeoutMs: 10_000, quiet: true }).then(() => true, () => false);
}

async function vmnetRightsLine(o: DoctorOptions, platform: NodeJS.Platform, env: NodeJS.ProcessEnv, where: VmrunLocation | undefined, etcDir: string): Promise<CheckLine> {
  const id = 'vmnet-rights';
  if (platform === 'win32') {
    const admin = await (o.isAdmin ?? defaultIsAdmin)();
    return admin
      ? checkLine(id, 'ok', msg('doc.rightsAdmin'), msg('doc.rightsAdmin.detail'))
      : checkLine(id, 'ok', msg('doc.rightsUac'), msg('doc.rightsUac.detail'));
  }
  if (platform !== 'linux') {
    return checkLine(id, 'warning', msg('doc.rightsOs'), msg('doc.rightsOs.detail', { platform }), msg('doc.rightsOs.fix'));
  }
  const networking = join(etcDir, 'networking');
  const vmwareNetworks = where ? vmwareNetworksPathFor(where, env) : '/usr/bin/vmware-networks';
  const e = await detectElevation({ etcDir, vmwareNetworks }, { env, ...(o.uid !== undefined ? { uid: o.uid } : {}), ...(o.elevation ?? {}) });
  switch (e.kind) {
    case 'direct':
      return checkLine(id, 'ok', msg('doc.rightsDirect'), msg('doc.rightsDirect.detail', { file: networking }));
    case 'sudo':
      return checkLine(id, 'ok', msg('doc.rightsSudo'), msg('doc.rightsSudo.detail'));
    case 'pkexec':
      return checkLine(id, 'ok', msg('doc.rightsPkexec'), msg('doc.rightsPkexec.detail'));
    default:
      return checkLine(id, 'warning', msg('doc.rightsNone'), msg('doc.rightsNone.detail', { file: networking }), msg('doc.rightsNone.fix'));
  }
}

function ramLine(o: DoctorOptions, r: ResolvedLab): CheckLine {
  const need = r.nodes.reduce((a, n) => a + n.memoryMiB, 0);
  const host = o.hostMemoryMiB ?? Math.round(totalmem() / 1024 / 1024);
  const free = o.freeMemoryMiB ?? Math.round(freemem() / 1024 / 1024);
  const detail = msg('doc.ram.detail', { vms: r.nodes.length, need, host, free });
  if (need > host - 1024) {
    return checkLine('host-ram', 'error', msg('doc.ramShort'), msg('doc.ramShort.detail', { detail }), msg('doc.ramShort.fix', { max: Math.max(host - 2048, 0) }));
  }
  if (need > host - 2048 || need > free) {
    return checkLine('host-ram', 'warning', msg('doc.ramTight'), msg('doc.ramTight.detail', { detail }), msg('doc.ramTight.fix'));
  }
  return checkLine('host-ram', 'ok', msg('doc.ramOk'), detail);
}

function networkSpecsOf(r: ResolvedLab): NetworkSpec[] {
  return r.networks.map((n) => ({ name: n.name, type: n.type, subnet: n.subnet, hostAddress: n.hostAddress, ...(n.natGateway ? { natGateway: n.natGateway } : {}), ...(n.dhcp ? { dhcp: n.dhcp } : {}) }));
}

async function vmnetLines(o: DoctorOptions, r: ResolvedLab, client: VmrunClient | undefined, platform: NodeJS.Platform, etcDir: string): Promise<CheckLine[]> {
  const nets = networkSpecsOf(r).filter((n) => n.type !== 'bridged');
  if (nets.length === 0) return [];
  if (platform === 'win32' && !client) {
    return [checkLine('vmnet-subnets', 'warning', msg('doc.vmnetsUnchecked'), msg('doc.vmnetsUnchecked.detail'), msg('doc.vmnetsUnchecked.fix'))];
  }
  const lab = { id: r.name, dir: join(o.settings.labsDir, r.name) };
  let clashes;
  try {
    clashes = await vmnetClashes(nets, { platform, etcDir, lab, ...(client ? { listHostNetworks: () => client.listHostNetworks({ quiet: true }) } : {}) });
  } catch (e) {
    return [checkLine('vmnet-subnets', 'warning', msg('doc.vmnetsUnreadable'), msg('doc.vmnetsUnreadable.detail', { source: platform === 'win32' ? 'vmrun listHostNetworks' : join(etcDir, 'networking'), error: (e as Error).message }), platform === 'win32' ? msg('doc.vmnetsUnreadable.fixWin') : msg('doc.vmnetsUnreadable.fix', { dir: etcDir }))];
  }
  return nets.map((n) => {
    const id = `${n.name}-subnet`;
    const c = clashes.find((x) => x.vmnet === n.name);
    if (!c) return checkLine(id, 'ok', msg('doc.vmnetOk', { name: n.name }), msg('doc.vmnetOk.detail', { name: n.name, subnet: n.subnet }));
    // c.message comes from the VMnet manager, still English only.
    if (n.name === 'vmnet8') {
      return checkLine(id, 'warning', msg('doc.vmnet8Clash', { host: c.hostSubnet, wanted: c.blueprintSubnet }), msg('raw.english', { text: c.message }), msg('doc.vmnet8Clash.fix', { host: c.hostSubnet, wanted: c.blueprintSubnet }));
    }
    return checkLine(id, 'error', msg('doc.vmnetClash', { name: n.name, host: c.hostSubnet, wanted: c.blueprintSubnet }), msg('raw.english', { text: c.message }), msg('doc.vmnetClash.fix', { host: c.hostSubnet }));
  });
}

async function vmwareChecks(o: DoctorOptions): Promise<CheckLine[]> {
  const env = o.env ?? process.env;
  const platform = o.platform ?? process.platform;
  const etcDir = o.settings.vmwareEtcDir ?? '/etc/vmware';
  const { lines, client, where } = await vmrunLines(o, platform, env);
  lines.push(...(await templateLines(o, client, platform, etcDir, env, where)));
  lines.push(await vmnetRightsLine(o, platform, env, where, etcDir));
  if (o.resolved) {
    lines.push(ramLine(o, o.resolved));
    lines.push(...(await vmnetLines(o, o.resolved, client, platform, etcDir)));
  }
  return lines;
}

// ------------------------------------------------------------------ Linux lab

/** A program the Linux lab runs, and the Debian package that brings it. */
const LINUX_PROGRAMS: [program: string, pkg: string, what: Message][] = [
  ['systemd-nspawn', 'systemd-container', msg('doc.prog.nspawn')],
  ['debootstrap', 'debootstrap', msg('doc.prog.debootstrap')],
  ['ip', 'iproute2', msg('doc.prog.ip')],
  ['dnsmasq', 'dnsmasq-base', msg('doc.prog.dnsmasq')],
];

async function linuxChecks(o: DoctorOptions): Promise<CheckLine[]> {
  const platform = o.platform ?? process.platform;
  if (platform !== 'linux') {
    return [checkLine('linux-host', 'error', msg('doc.linuxOnly'), msg('doc.linuxOnly.detail', { platform }), msg('doc.linuxOnly.fix'))];
  }
  const lines: CheckLine[] = [];
  const uid = o.uid ?? process.getuid?.();
  lines.push(
    uid === 0
      ? checkLine('root', 'ok', msg('doc.root'), msg('doc.root.detail'))
      : checkLine('root', 'error', msg('doc.notRoot'), msg('doc.notRoot.detail'), msg('doc.notRoot.fix')),
  );
  const missing: string[] = [];
  for (const [program, pkg, what] of LINUX_PROGRAMS) {
    const path = await which(program);
    if (path) lines.push(checkLine(`program:${program}`, 'ok', msg('doc.progOk', { program }), msg('doc.progOk.detail', { path, what })));
    else {
      missing.push(program);
      lines.push(checkLine(`program:${program}`, 'error', msg('doc.progMissing', { program }), msg('doc.progMissing.detail', { program, what }), msg('doc.progMissing.fix', { pkg })));
    }
  }
  const fs = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  lines.push(
    /\boverlay\b/.test(fs)
      ? checkLine('overlayfs', 'ok', msg('doc.overlay'), msg('doc.overlay.detail'))
      : checkLine('overlayfs', 'error', msg('doc.noOverlay'), msg('doc.noOverlay.detail'), msg('doc.noOverlay.fix')),
  );
  lines.push(await baseImageLine(o, uid, missing));
  return lines;
}

async function baseImageLine(o: DoctorOptions, uid: number | undefined, missing: string[]): Promise<CheckLine> {
  const cache = o.cacheDir ?? baseCacheDir();
  let path: string;
  try {
    const recipe = await loadRecipe();
    path = join(cache, `base-${recipeHash(recipe.files, debianArch())}`);
  } catch (e) {
    return checkLine('base-image', 'error', msg('doc.recipeMissing'), msg('doc.recipeMissing.detail', { error: (e as Error).message }), msg('doc.recipeMissing.fix'));
  }
  const complete = await stat(join(path, 'etc', 'halab-base.json')).then(() => true, () => false);
  if (complete) return checkLine('base-image', 'ok', msg('doc.baseCached'), msg('raw.english', { text: path }));
  const canBuild = uid === 0 && !missing.includes('debootstrap') && (await access(cache, constants.W_OK).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'ENOENT'));
  if (canBuild) {
    return checkLine('base-image', 'ok', msg('doc.baseWillBuild'), msg('doc.baseWillBuild.detail', { path }));
  }
  const why = msg('doc.baseWhy', { root: uid !== 0 ? msg('doc.baseNotRoot') : '', debootstrap: missing.includes('debootstrap') ? msg('doc.baseNoDebootstrap') : '' });
  return checkLine('base-image', 'error', msg('doc.baseMissing'), msg('doc.baseMissing.detail', { path, why }), msg('doc.baseMissing.fix'));
}
