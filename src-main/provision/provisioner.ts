/**
 * `up`, `down` and `status` of a lab: the step graph for a blueprint on a
 * hypervisor, applied by the engine. Stage `vms` stops once every VM
 * answers SSH; stage `all` (the default) goes on to the working HA lab.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appRoot } from '../backend/blueprint-files';
import { APP_SOURCE_FILES } from '../configs/app';
import type { RenderContext, RenderedFile } from '../configs/context';
import { ensureLabKey, HostKeyStore } from '../guest/lab-keys';
import { HypervisorError, withMsg, type Hypervisor, type LabRef, type NetworkSpec, type OpOptions, type VmInfo } from '../hypervisor/types';
import { GuestPool } from '../lab/guest-pool';
import { journalPath, readLabState, writeLabState, type LabState } from '../lab/lab-home';
import { renderContext } from '../lab/render-context';
import type { ResolvedLab } from '../shared/blueprint/model';
import { msg, render, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import { applySteps, type ApplyResult, type Step, type StepEvent } from './engine';
import { backupCopyStep } from './backup-steps';
import { primaryStep, replicaStep } from './db-steps';
import { filesStep, firewallStep, packagesStep, systemStep } from './node-steps';
import { verifyStep } from './verify';
import { cacheSteps, cacheStepsCount } from './cache-steps';
import { grafanaSteps, grafanaStepsCount } from './grafana-steps';
import { pgSteps, pgStepsCount, pgVerifySteps } from './pg-steps';
import { networkSpecs, vmSpec } from './vm-specs';
import { hasZonesOrHardening, zoneSteps, zoneStepsCount, ZONES_VERIFY_STEP } from './zone-steps';
import { zoneVerifyStep } from './zone-verify';
import { combinedProbeScript, ReapplyProbes } from './reapply-probe';
import { invalidateOnChange, reapplyProbeCommands } from './reapply-commands';
import { estimateCosts } from './step-costs';
import { joinMessages } from '../shared/i18n/message-list';

export interface UpOptions {
  hv: Hypervisor;
  lab: LabRef;
  resolved: ResolvedLab;
  stage?: 'vms' | 'all';
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (e: StepEvent) => void;
  /** VMware: template name → .vmx path. */
  templates?: Record<string, string>;
  /** SSH user in the guests (default root). */
  sshUser?: string;
  blueprintFile?: string;
  /** The user said yes to changing the host's vmnet8 to the blueprint's NAT subnet (restored by `down`). */
  reconfigureVmnet8?: boolean;
  /** The caller has just checked `hv.checkUsable()` (the runtime does when it chooses the hypervisor). */
  usableChecked?: boolean;
}

async function appSources(): Promise<RenderedFile[]> {
  return Promise.all(APP_SOURCE_FILES.map(async (f) => ({ path: f.path, mode: f.mode, content: await readFile(join(appRoot(), f.source), 'utf8') })));
}

/** One network step: the hypervisor says whether it created or changed the VMnet. */
async function networkStep(hv: Hypervisor, lab: LabRef, net: NetworkSpec, c: OpOptions, reconfigureVmnet8: boolean | undefined): Promise<'changed' | 'unchanged'> {
  const opts: OpOptions & { reconfigureVmnet8?: boolean } = { signal: c.signal, log: c.log, ...(c.logMsg ? { logMsg: c.logMsg } : {}), reconfigureVmnet8 };
  const r: unknown = await hv.ensureNetwork(lab, net, opts);
  return r === 'changed' ? 'changed' : 'unchanged';
}

/** A step's title from the catalog: `titleMsg`, and its English text as `title` (journal, logs). */
export function titled(m: Message): { title: string; titleMsg: Message } {
  return { title: render('en', m), titleMsg: m };
}

/** Build the step graph. */
export function buildSteps(o: UpOptions, ctx: RenderContext, pool: GuestPool, sources: RenderedFile[], publicKey: string): Step[] {
  const { hv, lab, resolved } = o;
  const steps: Step[] = [];
  const add = (s: Step) => steps.push(s);
  // A re-apply reads every per-VM check in one command per VM (reapply-probe.ts), for VMs that were already running.
  const probes = new ReapplyProbes();
  const wasRunning = new Set<string>();
  for (const net of networkSpecs(resolved)) {
    add({ id: `net:${net.name}`, ...titled(msg('prov.step.network', { name: net.name, subnet: net.subnet })), deps: [], run: (c) => networkStep(hv, lab, net, c, o.reconfigureVmnet8) });
  }
  for (const node of resolved.nodes) {
    const vm = node.hostname;
    const spec = vmSpec(node, { provider: hv.kind, sshPublicKey: publicKey, templates: o.templates });
    add({
      id: `vm:${vm}:create`,
      ...titled(msg('prov.step.create', { vm })),
      vm,
      // Linux lab and Incus: an overlay and a few files, the work is the boot. VMware clones a disk: counted.
      light: hv.kind !== 'vmware',
      deps: [...new Set(node.nics.map((n) => `net:${n.network}`))],
      run: async (c) => {
        const existed = (await hv.state(lab, vm, c)) !== 'absent';
        await hv.createVm(lab, spec, c);
        return existed ? 'unchanged' : 'changed';
      },
    });
    add({
      id: `vm:${vm}:start`,
      ...titled(msg('prov.step.start', { vm })),
      vm,
      light: hv.kind !== 'vmware',
      deps: [`vm:${vm}:create`],
      run: async (c) => {
        if ((await hv.state(lab, vm, c)) === 'running') return (wasRunning.add(vm), 'unchanged');
        await hv.start(lab, vm, c);
        return 'changed';
      },
    });
    add({
      id: `vm:${vm}:ssh`,
      ...titled(msg('prov.step.ssh', { vm })),
      vm,
      // Waiting for the boot, then a login and one read-only probe.
      light: true,
      deps: [`vm:${vm}:start`],
      run: async (c) => {
        // A re-apply: every per-VM check as the new connection's first command (reapply-probe.ts).
        const cmds = o.stage !== 'vms' && wasRunning.has(vm) ? reapplyProbeCommands(ctx, vm, sources) : [];
        // A VM started by this run has no static address yet: its DHCP address first.
        const g = await pool.get(vm, { signal: c.signal, log: c.log, addressFirst: !wasRunning.has(vm), ...(cmds.length ? { firstCommand: ['sh', '-c', combinedProbeScript(cmds)] } : {}) });
        if (g.firstResult && cmds.length) probes.store(vm, cmds, g.firstResult.stdout);
        else if (cmds.length) await probes.prime(g, vm, cmds);
        return 'unchanged';
      },
    });
    if (o.stage === 'vms') continue;
    add({ id: `vm:${vm}:system`, ...titled(msg('prov.step.system', { vm })), vm, deps: [`vm:${vm}:ssh`], run: (c) => systemStep(pool, ctx, vm, c, probes) });
    add({ id: `vm:${vm}:packages`, ...titled(msg('prov.step.packages', { vm })), vm, deps: [`vm:${vm}:system`], run: (c) => packagesStep(pool, ctx, vm, c, hv.kind !== 'vmware', probes) });
    // The firewall comes before any service connects: connections opened before UFW starts
    // tracking them are later dropped as INVALID (replication then stalls silently).
    add({ id: `vm:${vm}:firewall`, ...titled(msg('prov.step.firewall', { vm })), vm, deps: [`vm:${vm}:packages`], run: (c) => firewallStep(pool, ctx, vm, c, probes) });
    add({ id: `vm:${vm}:services`, ...titled(msg('prov.step.services', { vm })), vm, deps: [`vm:${vm}:firewall`], run: (c) => filesStep(pool, ctx, vm, sources, c, probes) });
  }
  if (o.stage === 'vms') return steps;
  const db = resolved.lab.services.database;
  const roleSteps: string[] = [];
  if (db && db.engine !== 'postgresql') {
    add({ id: `db:${db.primary}:init`, ...titled(msg('prov.step.dbInit', { vm: db.primary })), vm: db.primary, deps: [`vm:${db.primary}:services`], run: (c) => primaryStep(pool, ctx, db.primary, c) });
    roleSteps.push(`db:${db.primary}:init`);
    for (const r of resolved.replicas) {
      add({ id: `db:${r.node}:replica`, ...titled(msg('prov.step.replica', { vm: r.node })), vm: r.node, deps: [`db:${db.primary}:init`, `vm:${r.node}:services`], run: (c) => replicaStep(pool, ctx, r.node, c) });
      roleSteps.push(`db:${r.node}:replica`);
    }
  }
  const backup = resolved.lab.services.backup;
  if (backup?.copyTo && backup.copyTo !== backup.runOn) {
    add({ id: 'backup:copy-access', ...titled(msg('prov.step.backupCopy', { from: backup.runOn, to: backup.copyTo })), deps: [`vm:${backup.runOn}:services`, `vm:${backup.copyTo}:services`], run: (c) => backupCopyStep(pool, ctx, c) });
    roleSteps.push('backup:copy-access');
  }
  for (const st of pgSteps(pool, ctx)) add(st);
  for (const st of cacheSteps(pool, ctx)) add(st);
  for (const st of grafanaSteps(pool, ctx, { provider: hv.kind, lab })) add(st);
  for (const st of zoneSteps(pool, ctx, steps, { hv, lab }, probes)) add(st);
  const before = steps.map((s) => s.id);
  add({ id: 'lab:verify', ...titled(msg('prov.step.verify')), deps: before, light: true, run: (c) => verifyStep(pool, ctx, c) });
  // Both only read the lab: the zone/hardening check runs beside the lab check, not after it.
  if (hasZonesOrHardening(ctx)) add({ id: ZONES_VERIFY_STEP, ...titled(msg('z.step.verify')), deps: before, light: true, run: (c) => zoneVerifyStep(pool, ctx, c) });
  for (const st of pgVerifySteps(pool, ctx)) add(st);
  invalidateOnChange(steps, probes);
  estimateCosts(steps);
  return steps;
}

/** How many steps `up` will run (for progress bars); `provider`: the hypervisor's kind (VMware adds Grafana's steps). */
export function buildStepsCount(resolved: ResolvedLab, stage: 'vms' | 'all', provider = 'vmware'): number {
  const perVm = stage === 'vms' ? 3 : 7; // create, start, ssh (+ system, packages, firewall, services)
  const db = resolved.lab.services.database;
  const copy = resolved.lab.services.backup?.copyTo ? 1 : 0;
  return resolved.networks.length + resolved.nodes.length * perVm + (stage === 'vms' ? 0 : 1 + copy + (db && db.engine !== 'postgresql' ? 1 + resolved.replicas.length : pgStepsCount({ lab: resolved }))) + zoneStepsCount(resolved, stage) + (stage === 'vms' ? 0 : cacheStepsCount(resolved) + grafanaStepsCount(resolved, provider));
}

/** The provider a lab still lives on when it is not `kind` (a lab that `down` emptied may come back on another one). */
export function otherProvider(state: LabState | undefined, kind: string): string | undefined {
  return state && !state.downAt && state.provider !== kind ? state.provider : undefined;
}

/** Bring a lab up (idempotent; resumes after a crash). */
export async function up(o: UpOptions): Promise<ApplyResult> {
  if (!o.usableChecked) {
    const usable = await o.hv.checkUsable();
    if (!usable.usable) throw new MessageError(msg('prov.err.unusable', { provider: o.hv.kind, reason: `${usable.reason}${usable.fix ? ` ${usable.fix}` : ''}` }));
  }
  // A clash with a VMnet of the host (vmnet8) is refused before anything runs, with the choice (the network step refuses too).
  // (When the host's VMnets cannot be read here, the network steps check again and say why.)
  const found = (await o.hv.vmnetClashes?.(networkSpecs(o.resolved), o.lab).catch(() => [])) ?? [];
  const clashes = found.filter((c) => !(c.vmnet === 'vmnet8' && o.reconfigureVmnet8));
  if (clashes.length > 0) {
    const error = new HypervisorError(clashes.map((c) => c.message).join('\n'), 'conflict');
    throw clashes.every((c) => c.msg) ? withMsg(error, joinMessages(clashes.map((c) => c.msg!), 'lines') as Message) : error;
  }
  const state = await readLabState(o.lab);
  const other = otherProvider(state, o.hv.kind);
  if (other) throw new MessageError(msg('prov.err.otherProvider', { lab: o.lab.id, provider: other }));
  await writeLabState(o.lab, { provider: o.hv.kind, created: state?.created ?? new Date().toISOString(), blueprint: o.blueprintFile ?? state?.blueprint });
  const key = await ensureLabKey(o.lab.dir, o.lab.id);
  const ctx = await renderContext(o.hv, o.lab, o.resolved);
  const pool = new GuestPool({ hv: o.hv, lab: o.lab, resolved: o.resolved, key, user: o.sshUser });
  try {
    const steps = buildSteps(o, ctx, pool, o.stage === 'vms' ? [] : await appSources(), key.publicKey);
    return await applySteps(steps, { concurrency: o.concurrency ?? 4, signal: o.signal, onEvent: o.onEvent, journalPath: journalPath(o.lab) });
  } finally {
    await pool.closeAll();
  }
}

/** Destroy every VM and network of the lab (what the blueprint names and what the provider still knows). */
export async function down(o: { hv: Hypervisor; lab: LabRef; resolved: ResolvedLab; signal?: AbortSignal; log?: (l: string) => void; logMsg?: (l: Message) => void }): Promise<void> {
  const names = new Set([...o.resolved.nodes.map((n) => n.hostname), ...(await o.hv.list(o.lab).catch(() => [])).map((v) => v.name)]);
  const opts: OpOptions = { signal: o.signal, log: o.log, ...(o.logMsg ? { logMsg: o.logMsg } : {}) };
  await Promise.all([...names].map((vm) => o.hv.destroyVm(o.lab, vm, opts)));
  // All at once: VMware applies them as one (elevated) step on a Linux host.
  const removed = await Promise.allSettled(o.resolved.networks.map((net) => o.hv.removeNetwork(o.lab, net.name, opts)));
  const failed = removed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // The safety routes stay: something (a watcher, a browser tab) may still send to the lab's subnets.
  await o.hv.cleanupLab?.(o.lab, { ...opts, keepGuards: true });
  const keys = new HostKeyStore(o.lab.dir);
  for (const vm of names) await keys.forget(vm);
  const state = await readLabState(o.lab);
  if (state) await writeLabState(o.lab, { ...state, downAt: new Date().toISOString() });
}

export interface LabStatus {
  lab: string;
  provider: string;
  vms: (VmInfo & { expected: boolean })[];
}

export async function status(o: { hv: Hypervisor; lab: LabRef; resolved: ResolvedLab }): Promise<LabStatus> {
  const known = await o.hv.list(o.lab);
  const vms = o.resolved.nodes.map((n) => known.find((k) => k.name === n.hostname) ?? { name: n.hostname, state: 'absent' as const, addresses: [] });
  const extra = known.filter((k) => !o.resolved.nodes.some((n) => n.hostname === k.name));
  return { lab: o.lab.id, provider: o.hv.kind, vms: [...vms.map((v) => ({ ...v, expected: true })), ...extra.map((v) => ({ ...v, expected: false }))] };
}
