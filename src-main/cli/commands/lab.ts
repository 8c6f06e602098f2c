/** `halab up | down | status FILE`: provision, destroy and inspect a lab. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDataDir } from '../../backend/settings-store';
import { chooseHypervisor } from '../../hypervisor/factory';
import type { Hypervisor, ProviderKind } from '../../hypervisor/types';
import { labRef, readLabState } from '../../provision/lab-home';
import { buildStepsCount, down, status, up } from '../../provision/provisioner';
import { EXIT, style, table, UsageError } from '../output';
import { progressPrinter } from '../progress';
import { loadAndValidate, reportIssues } from './blueprint';

interface VmwareSettings {
  vmrunPath?: string;
  templates?: Record<string, string>;
  sshUser?: string;
}

/** VMware settings from the settings file and HALAB_TEMPLATE_<NAME> variables. */
async function vmwareSettings(): Promise<VmwareSettings> {
  let s: VmwareSettings = {};
  try {
    s = (JSON.parse(await readFile(join(defaultDataDir(), 'settings.json'), 'utf8')) as { vmware?: VmwareSettings }).vmware ?? {};
  } catch {
    // No settings file: environment only.
  }
  const templates = { ...(s.templates ?? {}) };
  for (const [k, v] of Object.entries(process.env)) {
    const m = /^HALAB_TEMPLATE_(.+)$/.exec(k);
    if (m && v) templates[m[1]!.toLowerCase().replace(/_/g, '-').replace(/-(\d+)-(\d+)$/, '-$1.$2')] = v;
  }
  return { ...s, templates, sshUser: process.env.HALAB_SSH_USER ?? s.sshUser };
}

function providerFlag(v: string | undefined): ProviderKind | undefined {
  if (v === undefined) return undefined;
  if (v !== 'linux' && v !== 'vmware') throw new UsageError(`--provider must be vmware or linux, not "${v}".`);
  return v;
}

async function loadLab(file: string | undefined) {
  const l = await loadAndValidate(file);
  const code = reportIssues(l);
  if (!l.result.resolved) return { code, l };
  return { code, l, resolved: l.result.resolved, lab: labRef(l.result.resolved.name) };
}

async function pickHypervisor(flag: string | undefined, labId: string, s: VmwareSettings): Promise<Hypervisor> {
  const state = await readLabState(labRef(labId));
  return chooseHypervisor(providerFlag(flag) ?? state?.provider, { vmrunPath: s.vmrunPath });
}

/** The lab of a blueprint and the hypervisor it runs on, or the exit code when the blueprint is invalid or the lab is not up. */
export async function labHypervisor(file: string | undefined, provider: string | undefined): Promise<{ hv: Hypervisor; lab: ReturnType<typeof labRef>; resolved: NonNullable<Awaited<ReturnType<typeof loadLab>>['resolved']> } | { code: number }> {
  const { code, resolved, lab } = await loadLab(file);
  if (!resolved || !lab) return { code };
  if (!(await readLabState(lab)) && !provider) {
    process.stderr.write(`The lab "${lab.id}" is not up on this computer. Run "halab up ${file}" first.\n`);
    return { code: EXIT.failed };
  }
  return { hv: await pickHypervisor(provider, lab.id, await vmwareSettings()), lab, resolved };
}

export async function upCommand(file: string | undefined, flags: { provider?: string; stage?: string; concurrency?: string; verbose?: boolean; json?: boolean }, signal: AbortSignal): Promise<number> {
  const stage = flags.stage ?? 'all';
  if (stage !== 'vms' && stage !== 'all') throw new UsageError(`--stage must be vms or all, not "${stage}".`);
  const concurrency = flags.concurrency === undefined ? 4 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new UsageError(`--concurrency must be a whole number from 1 to 32, not "${flags.concurrency}".`);
  providerFlag(flags.provider);
  const { code, resolved, lab } = await loadLab(file);
  if (!resolved || !lab) return code;
  const s = await vmwareSettings();
  const hv = await pickHypervisor(flags.provider, lab.id, s);
  const total = buildStepsCount(resolved, stage);
  if (!flags.json) process.stderr.write(`Bringing up ${lab.id} on ${hv.kind} (${resolved.nodes.length} VMs, ${stage === 'vms' ? 'VMs only' : 'full lab'}), state in ${lab.dir}\n`);
  const result = await up({ hv, lab, resolved, stage, concurrency, signal, onEvent: progressPrinter(total, flags), templates: s.templates, sshUser: s.sshUser, blueprintFile: file });
  const summary = `${result.changed.length} changed, ${result.unchanged.length} unchanged, ${result.failed.length} failed, ${result.skipped.length} skipped in ${(result.ms / 1000).toFixed(1)} s`;
  if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
  else if (result.canceled) process.stderr.write(`Canceled: ${summary}. Run the same command again to finish.\n`);
  else if (result.ok) process.stderr.write(`${style.green('Lab is up', process.stderr)}: ${summary}.\n`);
  else process.stderr.write(`${style.red('Lab is not complete')}: ${summary}. Fix the first failure above and run the same command again; finished steps are kept.\n`);
  return result.ok ? EXIT.ok : EXIT.failed;
}

export async function downCommand(file: string | undefined, flags: { provider?: string }, signal: AbortSignal): Promise<number> {
  const { code, resolved, lab } = await loadLab(file);
  if (!resolved || !lab) return code;
  const state = await readLabState(lab);
  if (!state && !flags.provider) {
    process.stderr.write(`Nothing to do: the lab "${lab.id}" has not been brought up on this computer (no ${lab.dir}).\n`);
    return EXIT.ok;
  }
  const hv = await pickHypervisor(flags.provider, lab.id, await vmwareSettings());
  process.stderr.write(`Destroying ${lab.id} on ${hv.kind}…\n`);
  await down({ hv, lab, resolved, signal, log: (l) => process.stderr.write(`  ${l}\n`) });
  process.stderr.write(`Lab ${lab.id} destroyed: its VMs, networks and their files are gone (keys and secrets stay in ${lab.dir}).\n`);
  return EXIT.ok;
}

export async function statusCommand(file: string | undefined, flags: { provider?: string; json?: boolean }): Promise<number> {
  const { code, resolved, lab } = await loadLab(file);
  if (!resolved || !lab) return code;
  const state = await readLabState(lab);
  if (!state && !flags.provider) {
    if (flags.json) process.stdout.write(`${JSON.stringify({ lab: lab.id, provider: null, vms: resolved.nodes.map((n) => ({ name: n.hostname, state: 'absent', addresses: [], expected: true })) }, null, 2)}\n`);
    else process.stdout.write(`Lab ${lab.id} is not up on this computer.\n`);
    return EXIT.ok;
  }
  const hv = await pickHypervisor(flags.provider, lab.id, await vmwareSettings());
  const st = await status({ hv, lab, resolved });
  if (flags.json) process.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
  else process.stdout.write(`Lab ${st.lab} on ${st.provider}\n${table(['VM', 'STATE', 'ADDRESSES', ''], st.vms.map((v) => [v.name, v.state, v.addresses.join(', ') || '-', v.expected ? '' : '(not in the blueprint)']))}\n`);
  return EXIT.ok;
}
