/**
 * Provisioning steps of issue 14: the zone router (nftables table, IPv4
 * forwarding, UFW's routed policy) and the hardening profile on every VM
 * (sysctl set, fail2ban for sshd that ignores the host). Each checks before
 * it changes; a re-run changes nothing. Registered by `provisioner.ts`.
 */
import type { RenderContext, RenderedFile } from '../configs/context';
import { FAIL2BAN_DROPIN_PATH, FAIL2BAN_JAIL_PATH, hardeningSysctls, renderHardeningFiles, SSHD_LOG_PATH, SSHD_LOG_UNIT, SYSCTL_UNIT, sysctlProcPath, type SysctlSetting } from '../configs/hardening';
import { isZoneRouter, renderRouterFiles, routerSysctlPlan, ZONES_NFT_PATH, ZONES_TABLE, ZONES_UNIT } from '../configs/nftables';
import type { Guest } from '../guest/guest';
import type { Hypervisor, LabRef } from '../hypervisor/types';
import type { GuestPool } from '../lab/guest-pool';
import type { ResolvedLab } from '../shared/blueprint/model';
import { zoneRouter } from '../shared/blueprint/zones';
import { list, msg, render, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import type { Step, StepContext } from './engine';
import { syncFiles, unmaskAndEnable } from './node-steps';
import { shellQuote } from '../configs/quote';
import { FILE_PROBE, parseFileProbe, parseUnitShow, unitShowScript, wantedFileLine, type UnitRow } from './service-probe';
import type { ProbeCommand, ReapplyProbes } from './reapply-probe';

type Result = 'changed' | 'unchanged';

const titled = (m: Message) => ({ title: render('en', m), titleMsg: m });

export const ROUTER_STEP = 'zones:router';
export const FORWARDING_STEP = 'zones:forwarding';
export const ZONES_VERIFY_STEP = 'zones:verify';

/** A sysctl key as the guest has it: its value, whether it can be written, and what happened when we tried. */
export interface SysctlState {
  key: string;
  want: string;
  /** The running value ('' when the key does not exist here). */
  value: string;
  exists: boolean;
  writable: boolean;
  /** Set by this run. */
  set: boolean;
  /** Why it could not be set (the kernel's words), when it was tried and failed. */
  error?: string;
}

const SYSCTL_SCRIPT = `write="$1"; shift
for kv; do
  k=\${kv%%=*}; v=\${kv#*=}; p=/proc/sys/$(printf %s "$k" | tr . /)
  if [ ! -e "$p" ]; then printf '%s|0|0|0||\\n' "$k"; continue; fi
  w=0; [ -w "$p" ] && w=1
  cur=$(cat "$p" 2>/dev/null | tr '\\t\\n' '  ' | sed 's/ *$//')
  if [ "$write" = 1 ] && [ "$cur" != "$v" ]; then
    err=$(sysctl -q -w "$k=$v" 2>&1 | tr '\\n|' '  ')
    now=$(cat "$p" 2>/dev/null | tr '\\t\\n' '  ' | sed 's/ *$//')
    if [ "$now" = "$v" ]; then printf '%s|1|%s|1|%s|\\n' "$k" "$w" "$now"; else printf '%s|1|%s|0|%s|%s\\n' "$k" "$w" "$now" "\${err:-unchanged}"; fi
  else printf '%s|1|%s|0|%s|\\n' "$k" "$w" "$cur"; fi
done`;

/** Read (and with `write`, set where it differs) the keys in the guest. */
export async function sysctlStates(g: Guest, settings: SysctlSetting[], write: boolean): Promise<SysctlState[]> {
  if (!settings.length) return [];
  for (const s of settings) sysctlProcPath(s.key);
  const r = await g.exec(['sh', '-c', SYSCTL_SCRIPT, 'sh', write ? '1' : '0', ...settings.map((s) => `${s.key}=${s.value}`)]);
  return parseSysctlRows(r.stdout, settings);
}

/** SYSCTL_SCRIPT's output: one state per setting, in order. */
export function parseSysctlRows(stdout: string, settings: SysctlSetting[]): SysctlState[] {
  const rows = stdout.trimEnd().split('\n');
  return settings.map((s, i) => {
    const [, exists = '0', writable = '0', set = '0', value = '', error = ''] = (rows[i] ?? '').split('|');
    return { key: s.key, want: s.value, value, exists: exists === '1', writable: writable === '1', set: set === '1', ...(error ? { error: error.trim() } : {}) };
  });
}

/**
 * What to say about a key beside "in effect", or undefined when it is in
 * effect as halab set it (a `net.*` key of a read-only guest is per network
 * namespace and set from the host, so it counts). Never claims halab set
 * what the host's kernel did.
 */
export function sysctlNoteMsg(st: SysctlState): Message | undefined {
  if (st.value === st.want) return st.writable || st.key.startsWith('net.') ? undefined : msg('z.log.sysctlAlready', { key: st.key, value: st.value });
  if (!st.exists) return msg('z.log.sysctlNoKey', { key: st.key });
  if (!st.writable) return msg('z.log.sysctlReadOnly', { key: st.key, value: st.value, want: st.want });
  return undefined;
}

/** {@link sysctlNoteMsg} in English. */
export function sysctlNote(st: SysctlState): string | undefined {
  const m = sysctlNoteMsg(st);
  return m && render('en', m);
}

/** Where the guest cannot write a `net.*` key, the hypervisor sets it from the host (the Linux lab). */
export interface HostSide {
  hv: Hypervisor;
  lab: LabRef;
}

/** Set from the host the `net.*` keys the guest could not; returns the states read again. */
async function netFromHost(g: Guest, host: HostSide | undefined, vm: string, settings: SysctlSetting[], states: SysctlState[], s: StepContext): Promise<SysctlState[]> {
  const readOnly = states.filter((x) => x.exists && !x.writable && x.key.startsWith('net.'));
  // All of them in the profile's order once one differs: `all.*` keys also change every interface's own.
  const need = readOnly.some((x) => x.value !== x.want) ? readOnly : [];
  if (!need.length || !host?.hv.setNetSysctls) return states;
  await host.hv.setNetSysctls(host.lab, vm, need.map((x) => ({ key: x.key, value: x.want })), { signal: s.signal, log: s.log });
  s.log(msg('z.log.netFromHost', { node: vm, settings: list(need.map((x) => `${x.key}=${x.want}`)) }));
  const again = await sysctlStates(g, settings, false);
  return again.map((x) => ({ ...x, set: need.some((n) => n.key === x.key && n.value !== n.want) && x.value === x.want }));
}

const HARDENING_UNITS = [SYSCTL_UNIT, SSHD_LOG_UNIT, 'fail2ban.service'];
/** Files an earlier baseline left that `hardening: none` removes (only when they carry our header). */
const HARDENING_OURS = [FAIL2BAN_JAIL_PATH, FAIL2BAN_DROPIN_PATH, `/etc/systemd/system/${SSHD_LOG_UNIT}`, `/etc/systemd/system/${SYSCTL_UNIT}`, '/etc/sysctl.d/60-halab-hardening.conf'];
const PART = '##halab-part##';

/**
 * The hardening step's whole check as one read-only command (the re-apply's
 * skip): with a profile, its files (FILE_PROBE), whether the sshd log file
 * exists, the sysctl keys (read, not written) and the three units in one
 * `systemctl show`; with none, the units and which of our files are left.
 */
export function hardeningProbe(ctx: RenderContext, vm: string): ProbeCommand {
  const files = renderHardeningFiles(ctx, vm);
  const units = unitShowScript(HARDENING_UNITS);
  if (!files.length) {
    const ours = HARDENING_OURS.map(shellQuote).join(' ');
    return { key: 'hardening', argv: ['sh', '-c', `${units}; echo '${PART}'; for f in ${ours}; do if [ -e "$f" ] && grep -q "Generated by HA Lab Studio" "$f"; then echo "$f"; fi; done`] };
  }
  const sysctls = hardeningSysctls(ctx, vm);
  for (const x of sysctls) sysctlProcPath(x.key);
  const keys = ['0', ...sysctls.map((x) => `${x.key}=${x.value}`)].map(shellQuote).join(' ');
  const script = `${FILE_PROBE}; echo '${PART}'; if [ -e ${shellQuote(SSHD_LOG_PATH)} ]; then echo yes; fi; echo '${PART}'; (set -- ${keys}; ${SYSCTL_SCRIPT}
); echo '${PART}'; ${units}`;
  return { key: 'hardening', argv: ['sh', '-c', script, 'sh', ...files.map((f) => f.path)] };
}

/** A unit `systemctl is-enabled --quiet` / `is-active --quiet` would call off (the `hardening: none` check); anything unsure counts as on. */
function unitOff(r: UnitRow | undefined): boolean {
  return !!r && ['', 'disabled', 'masked', 'masked-runtime', 'not-found'].includes(r.enabled) && ['inactive', 'failed', ''].includes(r.active);
}

/**
 * What the hardening step would change, from {@link hardeningProbe}'s
 * output; empty when it would change nothing, so the step is skipped. Any
 * doubt (output that does not line up, a key it would have to set from the
 * host) counts as a change: then the full step runs.
 */
export function hardeningDrift(stdout: string, want: { files: RenderedFile[]; sysctls: SysctlSetting[] }): string[] {
  const parts = stdout.split(`${PART}\n`);
  if (!want.files.length) {
    if (parts.length !== 2) return ['probe output did not line up'];
    const rows = parseUnitShow(parts[0]!, HARDENING_UNITS);
    const drift = HARDENING_UNITS.filter((u, i) => !unitOff(rows?.[i])).map((u) => `${u} on`);
    for (const f of parts[1]!.split('\n').filter(Boolean)) drift.push(`left ${f}`);
    return drift;
  }
  if (parts.length !== 4) return ['probe output did not line up'];
  const [filesOut = '', log = '', sysctlOut = '', unitOut = ''] = parts;
  const drift: string[] = [];
  const have = parseFileProbe(filesOut, want.files.map((f) => f.path));
  for (const [i, f] of want.files.entries()) if (have[i] !== wantedFileLine(f)) drift.push(`file ${f.path}`);
  if (log.trim() !== 'yes') drift.push(`${SSHD_LOG_PATH} missing`);
  const keys = sysctlOut.trimEnd().split('\n').map((l) => l.split('|')[0]);
  for (const [i, x] of parseSysctlRows(sysctlOut, want.sysctls).entries()) {
    if (keys[i] !== x.key) drift.push(`sysctl ${x.key} not read`);
    // In effect, or a key this guest cannot have or set that is not a network one (a note, no change).
    else if (x.value !== x.want && x.exists && (x.writable || x.key.startsWith('net.'))) drift.push(`sysctl ${x.key}=${x.value}`);
  }
  const units = parseUnitShow(unitOut, HARDENING_UNITS);
  for (const [i, u] of HARDENING_UNITS.entries()) {
    const r = units?.[i];
    if (!r || r.enabled !== 'enabled' || r.active !== 'active') drift.push(`${u} ${r ? `${r.enabled}/${r.active}` : 'not read'}`);
  }
  return drift;
}

/** The hardening profile of one VM (`hardening: none` switches off what an earlier baseline started). */
export async function hardeningStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext, host?: HostSide, probes?: ReapplyProbes): Promise<Result> {
  const files = renderHardeningFiles(ctx, vm);
  // A re-apply: the whole check in the one answer the SSH step already read; nothing to do when it finds nothing.
  const cached = probes?.take(vm, hardeningProbe(ctx, vm));
  if (cached && !hardeningDrift(cached.stdout, { files, sysctls: files.length ? hardeningSysctls(ctx, vm) : [] }).length) {
    // The same notes as the full step ("not applicable here, and why").
    const sysctlOut = cached.stdout.split(`${PART}\n`)[2] ?? '';
    for (const x of files.length ? parseSysctlRows(sysctlOut, hardeningSysctls(ctx, vm)) : []) {
      const note = sysctlNoteMsg(x);
      if (note) s.log(note);
    }
    return 'unchanged';
  }
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  if (!files.length) {
    const off = await g.exec(['sh', '-c', 'for u; do if systemctl is-enabled --quiet "$u" 2>/dev/null || systemctl is-active --quiet "$u"; then systemctl disable --now --quiet "$u" && echo "$u"; fi; done', 'sh', ...HARDENING_UNITS], { okCodes: [0, 1] });
    const removed = await g.exec(['sh', '-c', 'for f; do if [ -e "$f" ] && grep -q "Generated by HA Lab Studio" "$f"; then rm -f -- "$f"; echo "$f"; fi; done', 'sh', ...HARDENING_OURS]);
    if (removed.stdout.trim()) await g.exec(['systemctl', 'daemon-reload']);
    for (const u of off.stdout.split('\n').filter(Boolean)) s.log(msg('z.log.unitOff', { unit: u }));
    return off.stdout.trim() || removed.stdout.trim() ? 'changed' : 'unchanged';
  }
  const changed = await syncFiles(g, files, s.log);
  if (changed.some((p) => p.startsWith('/etc/systemd/system/'))) await g.exec(['systemctl', 'daemon-reload']);
  const made = await g.exec(['sh', '-c', `[ -e ${SSHD_LOG_PATH} ] || { install -m 0640 /dev/null ${SSHD_LOG_PATH} && echo made; }`]);
  const settings = hardeningSysctls(ctx, vm);
  const states = await netFromHost(g, host, vm, settings, await sysctlStates(g, settings, true), s);
  const set = states.filter((x) => x.set);
  if (set.length) s.log(msg('z.log.sysctlSet', { settings: list(set.map((x) => `${x.key}=${x.want}`)) }));
  for (const x of states) {
    const note = sysctlNoteMsg(x);
    if (note) s.log(note);
    else if (x.value !== x.want) throw new Error(`${vm}: ${x.key} could not be set to ${x.want} (it is ${x.value}${x.error ? `: ${x.error}` : ''}). Run "sysctl -w ${x.key}=${x.want}" on ${vm} to see why.`);
  }
  const restartFail2ban = changed.some((p) => p === FAIL2BAN_JAIL_PATH || p === FAIL2BAN_DROPIN_PATH);
  const unitState = await g.exec(['sh', '-c', 'for u; do printf "%s %s\\n" "$(systemctl is-enabled "$u" 2>/dev/null || true)" "$(systemctl is-active "$u" 2>/dev/null || true)"; done', 'sh', ...HARDENING_UNITS]);
  const rows = unitState.stdout.trimEnd().split('\n');
  const state = HARDENING_UNITS.map((unit, i) => ({ unit, enabled: (rows[i] ?? '').split(' ')[0], active: (rows[i] ?? '').split(' ')[1] }));
  // Then start or restart one by one.
  let acted = await unmaskAndEnable(g, state.filter((x) => x.enabled === 'masked').map((x) => x.unit), state.filter((x) => x.enabled !== 'enabled').map((x) => x.unit));
  for (const { unit, active } of state) {
    const restart = unit === 'fail2ban.service' ? restartFail2ban : changed.includes(`/etc/systemd/system/${unit}`);
    if (restart || active !== 'active') {
      await g.exec(['systemctl', 'restart', unit], { timeoutMs: 120_000 });
      s.log(msg(active === 'active' ? 'z.log.unitRestarted' : 'z.log.unitStarted', { unit }));
      acted = true;
    }
  }
  return changed.length || made.stdout.trim() || set.length || acted ? 'changed' : 'unchanged';
}

/**
 * The router's kernel settings (forwarding, strict reverse path, no
 * redirects; `routerSysctlPlan`): its sysctl.d file written, then the
 * running values brought to it — from the host where the provider can set a
 * VM's network namespace (the Linux lab), otherwise by `sysctl -p` of that
 * file inside the guest over SSH (VMware, Incus). Checked first; a re-run
 * changes nothing.
 */
export async function forwardingStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext, host?: HostSide): Promise<Result> {
  const plan = routerSysctlPlan(ctx, vm, { hostSide: !!host?.hv.setNetSysctls });
  if (!plan) return 'unchanged';
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const changed = await syncFiles(g, [plan.file], s.log);
  let states = await sysctlStates(g, plan.settings, false);
  const differ = () => states.filter((x) => x.value !== x.want);
  const before = differ().map((x) => x.key);
  if (before.length && plan.applyFrom === 'guest') {
    const r = await g.exec(plan.guestApply, { okCodes: [0, 1, 255] });
    states = (await sysctlStates(g, plan.settings, false)).map((x) => ({ ...x, set: before.includes(x.key) && x.value === x.want, ...(r.code !== 0 && x.value !== x.want ? { error: r.stderr.trim().split('\n').find((l) => l.includes(x.key)) ?? r.stderr.trim() } : {}) }));
    s.log(msg('z.log.appliedInGuest', { file: plan.file.path, node: vm, command: plan.guestApply.join(' ') }));
  } else if (before.length) {
    states = await netFromHost(g, host, vm, plan.settings, await sysctlStates(g, plan.settings, true), s);
  }
  const bad = differ();
  if (bad.length) {
    const how = plan.applyFrom === 'guest' ? `"${plan.guestApply.join(' ')}"` : `"sysctl -w ${bad[0]!.key}=${bad[0]!.want}"`;
    throw new MessageError(msg('z.err.routerSysctl', { node: vm, settings: bad.map((x) => `${x.key} = ${x.value || '?'} (${x.want}${x.error ? `; ${x.error}` : ''})`).join(', '), command: how }));
  }
  const set = states.filter((x) => before.includes(x.key));
  if (set.length) s.log(msg('z.log.routerSysctl', { settings: list(set.map((x) => `${x.key}=${x.want}`)) }));
  return changed.length || set.length ? 'changed' : 'unchanged';
}

/** The zone router: its files, UFW's routed policy open, the nftables table loaded (forwarding: {@link forwardingStep}). */
export async function routerStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const changed = await syncFiles(g, renderRouterFiles(ctx, vm), s.log);
  let acted = false;
  if (changed.some((p) => p.startsWith('/etc/systemd/system/'))) await g.exec(['systemctl', 'daemon-reload']);
  const status = await g.exec(['ufw', 'status', 'verbose'], { okCodes: [0, 1] });
  if (ctx.lab.lab.services.firewall.enabled && !/allow \(routed\)/.test(status.stdout)) {
    await g.exec(['ufw', 'default', 'allow', 'routed']);
    s.log(msg('z.log.ufwRouted'));
    acted = true;
  }
  await g.exec(['nft', '-c', '-f', ZONES_NFT_PATH]);
  const live = await g.exec(['nft', 'list', 'table', 'inet', ZONES_TABLE], { okCodes: [0, 1] });
  if (live.code !== 0 || changed.includes(ZONES_NFT_PATH)) {
    await g.exec(['nft', '-f', ZONES_NFT_PATH]);
    s.log(msg('z.log.nftLoaded', { table: ZONES_TABLE, file: ZONES_NFT_PATH }));
    acted = true;
  }
  const unit = await g.exec(['sh', '-c', `systemctl is-enabled ${ZONES_UNIT} 2>/dev/null; true`]);
  if (unit.stdout.trim() !== 'enabled') {
    await g.exec(['systemctl', 'enable', '--quiet', ZONES_UNIT]);
    acted = true;
  }
  return changed.length || acted ? 'changed' : 'unchanged';
}

/**
 * The steps of issue 14 for `up`, added before `lab:verify`: hardening on
 * every VM (after its firewall), the router (after its own firewall). Every
 * step that may connect across zones waits for the router: the other VMs'
 * services, and the lab-wide steps (database, backup copies, …) added so far.
 */
export function zoneSteps(pool: GuestPool, ctx: RenderContext, existing: Step[], host?: HostSide, probes?: ReapplyProbes): Step[] {
  const out: Step[] = [];
  for (const node of ctx.lab.nodes) {
    const vm = node.hostname;
    out.push({ id: `vm:${vm}:hardening`, ...titled(msg('z.step.hardening', { node: vm })), vm, deps: [`vm:${vm}:firewall`], run: (c) => hardeningStep(pool, ctx, vm, c, host, probes) });
  }
  const router = zoneRouter(ctx.lab.lab);
  if (router) {
    // After the hardening step: its file sets rp_filter for `all` too; the router's own file comes later and names every NIC.
    const fromHost = !!host?.hv.setNetSysctls;
    out.push({ id: FORWARDING_STEP, ...titled(msg(fromHost ? 'z.step.forwardingHost' : 'z.step.forwardingGuest', { node: router })), vm: router, deps: [`vm:${router}:firewall`, ...(out.some((x) => x.id === `vm:${router}:hardening`) ? [`vm:${router}:hardening`] : [])], run: (c) => forwardingStep(pool, ctx, router, c, host) });
    out.push({ id: ROUTER_STEP, ...titled(msg('z.step.router', { node: router })), vm: router, deps: [`vm:${router}:firewall`, FORWARDING_STEP], run: (c) => routerStep(pool, ctx, router, c) });
    for (const st of existing) {
      const vmStep = /^vm:([^:]+):(\w+)$/.exec(st.id);
      const crosses = vmStep ? vmStep[2] === 'services' && vmStep[1] !== router : !st.id.startsWith('net:');
      if (crosses && !st.deps.includes(ROUTER_STEP)) st.deps.push(ROUTER_STEP);
    }
  }
  return out;
}

/** Whether the lab has something for the zone verify step to check (zones, or the hardening baseline). */
export function hasZonesOrHardening(ctx: { lab: ResolvedLab }): boolean {
  return !!zoneRouter(ctx.lab.lab) || ctx.lab.lab.hardening === 'baseline';
}

/** How many steps {@link zoneSteps} and the zone verify add (for progress bars). */
export function zoneStepsCount(resolved: ResolvedLab, stage: 'vms' | 'all'): number {
  if (stage === 'vms') return 0;
  return resolved.nodes.length + (zoneRouter(resolved.lab) ? 2 : 0) + (hasZonesOrHardening({ lab: resolved }) ? 1 : 0);
}

export { isZoneRouter };
