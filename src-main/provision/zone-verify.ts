/**
 * Verify of issue 14, the step after `lab:verify`: the zone matrix probed
 * from inside the guests (every allowed zone pair and port connects; a
 * sample of denied pairs, on ports something really listens on, is refused
 * by the router or times out, bounded), and the hardening profile (sysctl
 * keys in effect or not applicable with the reason, fail2ban's sshd jail
 * running and ignoring the host, sshd's settings). Reports only what ran.
 */
import type { RenderContext } from '../configs/context';
import { fail2banIgnore, hardeningSysctls, SSHD_EXPECTED } from '../configs/hardening';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { zoneAddressOf, zoneCells, zoneRouter, zonesOf, type Zone } from '../shared/blueprint/zones';
import type { StepContext } from './engine';
import { sysctlNote, sysctlStates } from './zone-steps';

/** How a TCP connection attempt from inside a guest ended. */
export type ProbeOutcome = 'connected' | 'refused' | 'prohibited' | 'timeout' | 'error';

export interface ZoneProbe {
  fromZone: string;
  toZone: string;
  client: string;
  target: string;
  address: string;
  port: number;
  expect: 'allow' | 'deny';
  outcome: ProbeOutcome;
  /** A listener started only for the probe (nothing of the lab listens on that port). */
  temporaryListener?: boolean;
  detail?: string;
}

/** Seconds a probe may take before it counts as timed out. */
export const PROBE_TIMEOUT_S = 3;

/** The probe script: one line `ADDR PORT OUTCOME detail` per address:port argument. */
const CLIENT_SCRIPT = `t="$1"; shift
for ap; do a=\${ap%:*}; p=\${ap#*:}
  err=$(timeout "$t" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$a" "$p" 2>&1); rc=$?
  err=$(printf %s "$err" | tr '\\n' ' ' | sed 's/.*: //')
  if [ $rc = 0 ]; then o=connected; elif [ $rc = 124 ]; then o=timeout
  else case "$err" in *refused*) o=refused;; *"No route"*|*prohibited*|*unreachable*) o=prohibited;; *) o=error;; esac; fi
  printf '%s %s %s %s\\n' "$a" "$p" "$o" "$err"
done`;

/** Parse the probe script's output. */
export function parseProbeLines(stdout: string): Map<string, { outcome: ProbeOutcome; detail: string }> {
  const out = new Map<string, { outcome: ProbeOutcome; detail: string }>();
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+) (connected|refused|prohibited|timeout|error) ?(.*)$/.exec(line.trim());
    if (m) out.set(`${m[1]}:${m[2]}`, { outcome: m[3] as ProbeOutcome, detail: m[4] ?? '' });
  }
  return out;
}

/** Listening TCP ports of a guest reachable on `address` (wildcard or that address), from `ss -Hltn`. */
export function listeningPorts(ssOutput: string, address: string): Set<number> {
  const ports = new Set<number>();
  for (const line of ssOutput.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const local = cols[3];
    if (!local) continue;
    const i = local.lastIndexOf(':');
    const host = local.slice(0, i).replace(/%.*$/, '');
    const port = Number(local.slice(i + 1));
    if (Number.isInteger(port) && ['*', '0.0.0.0', '[::]', address].includes(host)) ports.add(port);
  }
  return ports;
}

/** What the probes should be: every allowed TCP cell once, and per zone pair one denied port that something listens on. */
export function planProbes(ctx: RenderContext, listening: Map<string, Set<number>>): { probes: Omit<ZoneProbe, 'outcome'>[]; skipped: string[] } {
  const lab = ctx.lab.lab;
  const router = zoneRouter(lab);
  const zones = zonesOf(lab);
  const members = (z: Zone) => ctx.lab.nodes.map((n) => n.hostname).filter((h) => h !== router && zoneAddressOf(lab, h) !== undefined && ctx.lab.nodes.find((n) => n.hostname === h)!.nics.some((nic) => nic.network === z.network));
  const cells = zoneCells(lab);
  const probes: Omit<ZoneProbe, 'outcome'>[] = [];
  const skipped: string[] = [];
  for (const a of zones) for (const b of zones) {
    if (a.name === b.name) continue;
    const clients = members(a);
    const targets = members(b);
    const allowed = cells.filter((c) => c.from === a.name && c.to === b.name);
    if (!clients.length || !targets.length) {
      if (allowed.length) skipped.push(`${a.name} → ${b.name}: not probed (no VM in zone ${clients.length ? b.name : a.name})`);
      continue;
    }
    const client = clients[0]!;
    for (const c of allowed) {
      if (c.protocol !== 'tcp') {
        skipped.push(`${a.name} → ${b.name} ${c.port}/${c.protocol}: not probed (UDP has no handshake to observe)`);
        continue;
      }
      // Prefer a target that really serves the port.
      const target = targets.find((t) => listening.get(t)?.has(c.port)) ?? targets[0]!;
      probes.push({ fromZone: a.name, toZone: b.name, client, target, address: zoneAddressOf(lab, target)!, port: c.port, expect: 'allow', temporaryListener: !listening.get(target)?.has(c.port) });
    }
    // Denied sample: a port a target listens on that the policy does not allow from this zone.
    const allowedTcp = new Set(allowed.filter((c) => c.protocol === 'tcp').map((c) => c.port));
    let denied: { target: string; port: number } | undefined;
    for (const t of targets) {
      const port = [...(listening.get(t) ?? [])].sort((x, y) => x - y).find((p) => !allowedTcp.has(p));
      if (port !== undefined) {
        denied = { target: t, port };
        break;
      }
    }
    if (denied) probes.push({ fromZone: a.name, toZone: b.name, client, target: denied.target, address: zoneAddressOf(lab, denied.target)!, port: denied.port, expect: 'deny' });
    else skipped.push(`${a.name} → ${b.name}: no denied port sampled (nothing listens that the policy denies)`);
  }
  return { probes, skipped };
}

/** Whether a probe came out as the policy says. */
export function probePassed(p: ZoneProbe): boolean {
  return p.expect === 'allow' ? p.outcome === 'connected' : p.outcome === 'prohibited' || p.outcome === 'timeout';
}

const LISTENER = 'import socket,sys,time\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(16); s.settimeout(1); end=time.time()+int(sys.argv[2])\nwhile time.time()<end:\n  try:\n    c,_=s.accept(); c.close()\n  except OSError:\n    pass\n';

/** Probe the matrix from inside the guests. */
export async function probeZoneMatrix(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<{ probes: ZoneProbe[]; skipped: string[] }> {
  const lab = ctx.lab.lab;
  const router = zoneRouter(lab);
  const hosts = ctx.lab.nodes.map((n) => n.hostname).filter((h) => h !== router && zoneAddressOf(lab, h) !== undefined);
  const guests = new Map<string, Guest>();
  for (const h of hosts) guests.set(h, await pool.get(h, { signal: s.signal }));
  const listening = new Map<string, Set<number>>();
  for (const h of hosts) listening.set(h, listeningPorts((await guests.get(h)!.exec(['ss', '-Hltn'])).stdout, zoneAddressOf(lab, h)!));
  const { probes: planned, skipped } = planProbes(ctx, listening);
  // Temporary listeners where nothing of the lab serves an allowed port (they stop by themselves).
  const units: { host: string; unit: string }[] = [];
  const stamp = Date.now();
  for (const p of planned.filter((x) => x.temporaryListener)) {
    if (units.some((u) => u.host === p.target && u.unit.endsWith(`-${p.port}`))) continue;
    const unit = `halab-zone-probe-${stamp}-${p.port}`;
    await guests.get(p.target)!.exec(['systemd-run', `--unit=${unit}`, '--collect', '--quiet', '-p', 'RuntimeMaxSec=60', '/usr/bin/python3', '-c', LISTENER, String(p.port), '45']);
    units.push({ host: p.target, unit });
  }
  try {
    for (const u of units) {
      const port = Number(u.unit.split('-').pop());
      for (let i = 0; i < 30; i++) {
        if (listeningPorts((await guests.get(u.host)!.exec(['ss', '-Hltn'])).stdout, zoneAddressOf(lab, u.host)!).has(port)) break;
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
    const out: ZoneProbe[] = [];
    const byClient = new Map<string, Omit<ZoneProbe, 'outcome'>[]>();
    for (const p of planned) byClient.set(p.client, [...(byClient.get(p.client) ?? []), p]);
    for (const [client, list] of byClient) {
      const r = await guests.get(client)!.exec(['sh', '-c', CLIENT_SCRIPT, 'sh', String(PROBE_TIMEOUT_S), ...list.map((p) => `${p.address}:${p.port}`)], { timeoutMs: (PROBE_TIMEOUT_S + 2) * 1000 * list.length + 10_000 });
      const lines = parseProbeLines(r.stdout);
      for (const p of list) {
        const got = lines.get(`${p.address}:${p.port}`) ?? { outcome: 'error' as const, detail: 'no answer from the probe script' };
        out.push({ ...p, outcome: got.outcome, ...(got.detail ? { detail: got.detail } : {}) });
      }
    }
    return { probes: out, skipped };
  } finally {
    for (const u of units) await guests.get(u.host)!.exec(['systemctl', 'stop', u.unit], { okCodes: [0, 1, 5] }).catch(() => undefined);
  }
}

const OUTCOME_WORDS: Record<ProbeOutcome, string> = {
  connected: 'connected',
  refused: 'refused by the target (nothing listening)',
  prohibited: 'rejected by the router (admin prohibited)',
  timeout: `timed out after ${PROBE_TIMEOUT_S} s`,
  error: 'failed',
};

/** One line of the probe report. */
export function probeLine(p: ZoneProbe): string {
  return `${probePassed(p) ? 'ok  ' : 'FAIL'} ${p.fromZone} → ${p.toZone} ${p.port}/tcp ${p.expect === 'allow' ? 'allowed' : 'denied'}: ${p.client} → ${p.target} (${p.address}) ${OUTCOME_WORDS[p.outcome]}${p.temporaryListener ? ' (probe listener: no lab service on this port)' : ''}${p.outcome === 'error' && p.detail ? `: ${p.detail}` : ''}`;
}

/** The hardening of one VM as it runs: problems (errors) and notes (not applicable, with why). */
export async function hardeningReport(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<{ problems: string[]; notes: string[]; applied: number }> {
  const settings = hardeningSysctls(ctx, vm);
  if (!settings.length) return { problems: [], notes: [], applied: 0 };
  const g = await pool.get(vm, { signal });
  const problems: string[] = [];
  const notes: string[] = [];
  let applied = 0;
  for (const st of await sysctlStates(g, settings, false)) {
    const note = sysctlNote(st);
    if (note) notes.push(`${vm}: ${note}`);
    else if (st.value !== st.want) problems.push(`${vm}: ${st.key} is ${st.value}, the hardening profile wants ${st.want}; run "halab up" again`);
    else applied++;
  }
  // One fail2ban-client (a Python start each, the bulk of this check on 2 cores): `get sshd ignoreip` succeeds only while the sshd jail runs.
  const f2b = await g.exec(['sh', '-c', 'out=$(fail2ban-client get sshd ignoreip 2>&1); printf "%s\\n##\\n%s\\n##\\n" "$?" "$out"; sshd -T 2>&1'], { okCodes: [0, 1, 255] });
  const [code = '', ignore = '', sshd = ''] = f2b.stdout.split('##\n');
  if (code.trim() !== '0') problems.push(`${vm}: fail2ban's sshd jail is not running (${ignore.trim().split('\n')[0] || 'no answer'}); see "systemctl status fail2ban" and "journalctl -u fail2ban" on ${vm}`);
  else {
    // The host's addresses (fail2ban prints loopback in its own normalised form; it is not the host's lab address).
    const missing = fail2banIgnore(ctx).filter((a) => !a.startsWith('127.') && a !== '::1' && !ignore.split(/\s+/).some((w) => w.replace(/^[|`-]+/, '') === a));
    if (missing.length) problems.push(`${vm}: fail2ban would not ignore ${missing.join(', ')} (the host): it could ban the provisioner; run "halab up" again`);
  }
  const lines = new Map(sshd.split('\n').map((l) => l.trim().split(/\s+/, 2) as [string, string]));
  for (const [k, v] of SSHD_EXPECTED) if (lines.get(k) !== v) problems.push(`${vm}: sshd has ${k} ${lines.get(k) ?? '(unset)'}, the hardening wants ${v}`);
  return { problems, notes, applied };
}

/** The verify step of issue 14. */
export async function zoneVerifyStep(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<'unchanged'> {
  const problems: string[] = [];
  if (ctx.lab.lab.hardening === 'baseline') {
    const reports = await Promise.all(ctx.lab.nodes.map((n) => hardeningReport(pool, ctx, n.hostname, s.signal)));
    problems.push(...reports.flatMap((r) => r.problems));
    const applied = reports.reduce((a, r) => a + r.applied, 0);
    s.log(`hardening: ${applied} sysctl settings in effect on ${ctx.lab.nodes.length} VMs, fail2ban's sshd jail running and ignoring the host, sshd keys only`);
    for (const n of [...new Set(reports.flatMap((r) => r.notes))]) s.log(`hardening: ${n}`);
  } else s.log('hardening: none (the blueprint says so); sshd keys only as always');
  if (zoneRouter(ctx.lab.lab)) {
    const { probes, skipped } = await probeZoneMatrix(pool, ctx, s);
    for (const p of probes) s.log(probeLine(p));
    for (const k of skipped) s.log(k);
    const failed = probes.filter((p) => !probePassed(p));
    const router = zoneRouter(ctx.lab.lab);
    for (const p of failed) {
      problems.push(
        p.expect === 'allow'
          ? `${p.fromZone} → ${p.toZone} ${p.port}/tcp is allowed by the policy but ${p.client} could not connect to ${p.target} (${p.address}): ${OUTCOME_WORDS[p.outcome]}. Check "nft list table inet halab_zones" on ${router} and "ufw status" on ${p.target}.`
          : `${p.fromZone} → ${p.toZone} ${p.port}/tcp is denied by the policy but ${p.client} connected to ${p.target} (${p.address}). Check "nft list table inet halab_zones" on ${router}.`,
      );
    }
    const allowed = probes.filter((p) => p.expect === 'allow');
    s.log(`zone matrix: ${allowed.filter(probePassed).length}/${allowed.length} allowed connected, ${probes.length - allowed.length - failed.filter((p) => p.expect === 'deny').length}/${probes.length - allowed.length} denied refused`);
  }
  if (problems.length) throw new Error(`Zones and hardening are not as the blueprint says:\n- ${problems.join('\n- ')}`);
  return 'unchanged';
}
