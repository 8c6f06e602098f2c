/**
 * Verify of issue 14, the step after `lab:verify`: the zone matrix probed
 * from inside the guests (every allowed zone pair and port connects; a
 * sample of denied pairs, on ports something really listens on, is refused
 * by the router or times out, bounded; UDP cells with a temporary echo
 * listener answering a datagram, and per zone pair with UDP allowed one
 * denied UDP port with the same listener), and the hardening profile (sysctl
 * keys in effect or not applicable with the reason, fail2ban's sshd jail
 * running and ignoring the host, sshd's settings). Reports only what ran.
 */
import type { RenderContext } from '../configs/context';
import { fail2banIgnore, hardeningSysctls, SSHD_EXPECTED } from '../configs/hardening';
import type { Guest } from '../guest/guest';
import type { GuestPool } from '../lab/guest-pool';
import { zoneAddressOf, zoneCells, zoneRouter, zonesOf, type Zone } from '../shared/blueprint/zones';
import { msg, render, type Message } from '../shared/i18n';
import type { StepContext } from './engine';
import { sysctlNoteMsg, sysctlStates } from './zone-steps';

/** How a TCP connection attempt (or a UDP datagram and its echo) from inside a guest ended. */
export type ProbeOutcome = 'connected' | 'refused' | 'prohibited' | 'timeout' | 'error';

export interface ZoneProbe {
  fromZone: string;
  toZone: string;
  client: string;
  target: string;
  address: string;
  port: number;
  /** UDP: a datagram to a temporary echo listener, answered (`connected`) or not. */
  protocol: 'tcp' | 'udp';
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

/**
 * The UDP probe (python3, as the listener): per address:port one datagram,
 * the echo awaited on a connected socket so the router's ICMP reject
 * surfaces as an error (admin-prohibited → EHOSTUNREACH), same output lines.
 */
export const UDP_CLIENT_SCRIPT = `import errno,socket,sys
t=float(sys.argv[1])
for ap in sys.argv[2:]:
  a,p=ap.rsplit(':',1); s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(t)
  try:
    s.connect((a,int(p))); s.send(b'halab-zone-probe'); d=s.recv(64)
    o,e=('connected','') if d==b'halab-zone-probe' else ('error','unexpected answer')
  except socket.timeout: o,e='timeout',''
  except ConnectionRefusedError as x: o,e='refused',x.strerror
  except OSError as x: o,e=('prohibited' if x.errno in (errno.EHOSTUNREACH,errno.ENETUNREACH,errno.EACCES,errno.EPERM) else 'error'),str(x.strerror)
  finally: s.close()
  print(a,p,o,e)
`;

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

/** The first UDP port tried for a denied UDP sample (traceroute's, conventionally unused); the next free one when taken. */
export const UDP_DENIED_PROBE_PORT = 33434;

/**
 * What the probes should be: every allowed TCP cell once, and per zone pair
 * one denied port that something listens on; every allowed UDP cell once
 * with a temporary echo listener (on a target where no lab service holds the
 * port), and per zone pair with UDP allowed one denied UDP port with the same
 * listener. `listeningUdp`: UDP ports bound per VM (`ss -Hlun`).
 */
export function planProbes(ctx: RenderContext, listening: Map<string, Set<number>>, listeningUdp: Map<string, Set<number>> = new Map()): { probes: Omit<ZoneProbe, 'outcome'>[]; skipped: string[] } {
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
      if (c.protocol === 'udp') {
        // UDP has no handshake: only our own echo listener can answer, so the port must be free on the target.
        const target = targets.find((t) => !listeningUdp.get(t)?.has(c.port));
        if (target) probes.push({ fromZone: a.name, toZone: b.name, client, target, address: zoneAddressOf(lab, target)!, port: c.port, protocol: 'udp', expect: 'allow', temporaryListener: true });
        else skipped.push(`${a.name} → ${b.name} ${c.port}/udp: not probed (a lab service holds that UDP port on every VM of zone ${b.name}, and UDP has no handshake to observe without a listener of ours)`);
        continue;
      }
      // Prefer a target that really serves the port.
      const target = targets.find((t) => listening.get(t)?.has(c.port)) ?? targets[0]!;
      probes.push({ fromZone: a.name, toZone: b.name, client, target, address: zoneAddressOf(lab, target)!, port: c.port, protocol: 'tcp', expect: 'allow', temporaryListener: !listening.get(target)?.has(c.port) });
    }
    const allowedUdp = new Set(allowed.filter((c) => c.protocol === 'udp').map((c) => c.port));
    if (allowedUdp.size) {
      // Denied UDP sample: our echo listener on a port the policy does not allow, so only the router can stop the datagram.
      const target = targets[0]!;
      let port = UDP_DENIED_PROBE_PORT;
      while (allowedUdp.has(port) || listeningUdp.get(target)?.has(port)) port++;
      probes.push({ fromZone: a.name, toZone: b.name, client, target, address: zoneAddressOf(lab, target)!, port, protocol: 'udp', expect: 'deny', temporaryListener: true });
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
    if (denied) probes.push({ fromZone: a.name, toZone: b.name, client, target: denied.target, address: zoneAddressOf(lab, denied.target)!, port: denied.port, protocol: 'tcp', expect: 'deny' });
    else skipped.push(`${a.name} → ${b.name}: no denied port sampled (nothing listens that the policy denies)`);
  }
  return { probes, skipped };
}

/** Whether a probe came out as the policy says. */
export function probePassed(p: ZoneProbe): boolean {
  return p.expect === 'allow' ? p.outcome === 'connected' : p.outcome === 'prohibited' || p.outcome === 'timeout';
}

/** A temporary UDP echo listener: answers each datagram with itself, stops by itself. */
export const UDP_LISTENER = 'import socket,sys,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",int(sys.argv[1]))); s.settimeout(1); end=time.time()+int(sys.argv[2])\nwhile time.time()<end:\n  try:\n    d,a=s.recvfrom(64); s.sendto(d,a)\n  except OSError:\n    pass\n';

const LISTENER = 'import socket,sys,time\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(16); s.settimeout(1); end=time.time()+int(sys.argv[2])\nwhile time.time()<end:\n  try:\n    c,_=s.accept(); c.close()\n  except OSError:\n    pass\n';

/** Probe the matrix from inside the guests. */
export async function probeZoneMatrix(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<{ probes: ZoneProbe[]; skipped: string[] }> {
  const lab = ctx.lab.lab;
  const router = zoneRouter(lab);
  const hosts = ctx.lab.nodes.map((n) => n.hostname).filter((h) => h !== router && zoneAddressOf(lab, h) !== undefined);
  const guests = new Map<string, Guest>();
  for (const h of hosts) guests.set(h, await pool.get(h, { signal: s.signal }));
  const listening = new Map<string, Set<number>>();
  const listeningUdp = new Map<string, Set<number>>();
  const anyUdp = zoneCells(lab).some((c) => c.protocol === 'udp');
  for (const h of hosts) {
    listening.set(h, listeningPorts((await guests.get(h)!.exec(['ss', '-Hltn'])).stdout, zoneAddressOf(lab, h)!));
    if (anyUdp) listeningUdp.set(h, listeningPorts((await guests.get(h)!.exec(['ss', '-Hlun'])).stdout, zoneAddressOf(lab, h)!));
  }
  const { probes: planned, skipped } = planProbes(ctx, listening, listeningUdp);
  // Temporary listeners where nothing of the lab serves an allowed port, and UDP echo listeners (they stop by themselves).
  const units: { host: string; unit: string; port: number; protocol: 'tcp' | 'udp' }[] = [];
  const stamp = Date.now();
  for (const p of planned.filter((x) => x.temporaryListener)) {
    if (units.some((u) => u.host === p.target && u.port === p.port && u.protocol === p.protocol)) continue;
    const unit = `halab-zone-probe-${stamp}-${p.protocol}-${p.port}`;
    await guests.get(p.target)!.exec(['systemd-run', `--unit=${unit}`, '--collect', '--quiet', '-p', 'RuntimeMaxSec=60', '/usr/bin/python3', '-c', p.protocol === 'udp' ? UDP_LISTENER : LISTENER, String(p.port), '45']);
    units.push({ host: p.target, unit, port: p.port, protocol: p.protocol });
  }
  try {
    for (const u of units) {
      for (let i = 0; i < 30; i++) {
        if (listeningPorts((await guests.get(u.host)!.exec(['ss', u.protocol === 'udp' ? '-Hlun' : '-Hltn'])).stdout, zoneAddressOf(lab, u.host)!).has(u.port)) break;
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
    const out: ZoneProbe[] = [];
    const byClient = new Map<string, Omit<ZoneProbe, 'outcome'>[]>();
    for (const p of planned) byClient.set(`${p.client}\0${p.protocol}`, [...(byClient.get(`${p.client}\0${p.protocol}`) ?? []), p]);
    for (const list of byClient.values()) {
      const client = list[0]!.client;
      const targets = list.map((p) => `${p.address}:${p.port}`);
      const argv = list[0]!.protocol === 'udp' ? ['/usr/bin/python3', '-c', UDP_CLIENT_SCRIPT, String(PROBE_TIMEOUT_S), ...targets] : ['sh', '-c', CLIENT_SCRIPT, 'sh', String(PROBE_TIMEOUT_S), ...targets];
      const r = await guests.get(client)!.exec(argv, { timeoutMs: (PROBE_TIMEOUT_S + 2) * 1000 * list.length + 10_000 });
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

/** How a probe ended, in words (UDP: a datagram and its echo, not a connection). */
function outcomeWords(p: ZoneProbe): string {
  if (p.protocol === 'udp' && p.outcome === 'connected') return 'answered (UDP echo)';
  if (p.protocol === 'udp' && p.outcome === 'timeout') return `no answer within ${PROBE_TIMEOUT_S} s`;
  return OUTCOME_WORDS[p.outcome];
}

/** One line of the probe report. */
export function probeLine(p: ZoneProbe): string {
  const listener = p.protocol === 'udp' ? ' (UDP echo listener of the probe)' : ' (probe listener: no lab service on this port)';
  return `${probePassed(p) ? 'ok  ' : 'FAIL'} ${p.fromZone} → ${p.toZone} ${p.port}/${p.protocol} ${p.expect === 'allow' ? 'allowed' : 'denied'}: ${p.client} → ${p.target} (${p.address}) ${outcomeWords(p)}${p.temporaryListener ? listener : ''}${p.outcome === 'error' && p.detail ? `: ${p.detail}` : ''}`;
}

/** The hardening of one VM as it runs: problems (errors) and notes (not applicable, with why: catalog log lines). */
export async function hardeningReport(pool: GuestPool, ctx: RenderContext, vm: string, signal?: AbortSignal): Promise<{ problems: string[]; notes: Message[]; applied: number }> {
  const settings = hardeningSysctls(ctx, vm);
  if (!settings.length) return { problems: [], notes: [], applied: 0 };
  const g = await pool.get(vm, { signal });
  const problems: string[] = [];
  const notes: Message[] = [];
  let applied = 0;
  for (const st of await sysctlStates(g, settings, false)) {
    const note = sysctlNoteMsg(st);
    if (note) notes.push(msg('z.log.hardeningNote', { node: vm, note }));
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
    s.log(msg('z.log.hardening', { applied, vms: ctx.lab.nodes.length }));
    const seen = new Set<string>();
    for (const n of reports.flatMap((r) => r.notes)) {
      const key = render('en', n);
      if (!seen.has(key)) s.log(n);
      seen.add(key);
    }
  } else s.log(msg('z.log.hardeningNone'));
  if (zoneRouter(ctx.lab.lab)) {
    const { probes, skipped } = await probeZoneMatrix(pool, ctx, s);
    for (const p of probes) s.log(probeLine(p));
    for (const k of skipped) s.log(k);
    const failed = probes.filter((p) => !probePassed(p));
    const router = zoneRouter(ctx.lab.lab);
    for (const p of failed) {
      problems.push(
        p.expect === 'allow'
          ? `${p.fromZone} → ${p.toZone} ${p.port}/${p.protocol} is allowed by the policy but ${p.client} could not ${p.protocol === 'udp' ? 'get an echo from' : 'connect to'} ${p.target} (${p.address}): ${outcomeWords(p)}. Check "nft list table inet halab_zones" on ${router} and "ufw status" on ${p.target}.`
          : `${p.fromZone} → ${p.toZone} ${p.port}/${p.protocol} is denied by the policy but ${p.client} ${p.protocol === 'udp' ? 'got an echo from' : 'connected to'} ${p.target} (${p.address}). Check "nft list table inet halab_zones" on ${router}.`,
      );
    }
    const allowed = probes.filter((p) => p.expect === 'allow');
    s.log(msg('z.log.matrix', { allowedOk: allowed.filter(probePassed).length, allowed: allowed.length, deniedOk: probes.length - allowed.length - failed.filter((p) => p.expect === 'deny').length, denied: probes.length - allowed.length }));
  }
  if (problems.length) throw new Error(`Zones and hardening are not as the blueprint says:\n- ${problems.join('\n- ')}`);
  return 'unchanged';
}
