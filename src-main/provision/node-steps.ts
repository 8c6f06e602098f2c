/**
 * What provisioning does inside one VM: base system (netplan, hostname,
 * hosts, sshd), role packages, role files and services, firewall. Each
 * checks before it changes and says whether it changed anything.
 */
import { renderSystemFiles, NETPLAN_PATH } from '../configs/system';
import { mergeBeforeRules, missingVrrpRules, renderUfw, ufwRuleDrift } from '../configs/ufw';
import { FIREWALL_STAMP_PATH, firewallPlanHash, firewallStamp, firewallStampCommand, parseFirewallStamp } from '../configs/firewall-stamp';
import { obsoletePaths, renderNodeFiles, unitsFor, unwantedUnits } from '../configs/node-files';
import type { RenderContext, RenderedFile } from '../configs/context';
import type { Guest } from '../guest/guest';
import { ensureLabDir } from './backup-steps';
import type { StepContext } from './engine';
import type { GuestPool } from '../lab/guest-pool';
import { replicaStatus, sql } from '../lab/sql';
import { HAPROXY_CONF_PATH, lbEngine } from '../configs/haproxy';
import { redisNodes, sentinelNodes } from '../configs/redis';
import { msg, list, type Message } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import { joinMessages } from '../shared/i18n/message-list';
import { FILE_PROBE, LEGACY_UNIT_PROBE, parseFileProbe, parseLegacyUnitRows, parseServiceProbe, parseUnitShow, serviceProbeScript, unitShowScript, unitsToMask, wantedFileLine, wantedUnitActions, type UnitRow } from './service-probe';
import { probeExec, type ProbeCommand, type ReapplyProbes } from './reapply-probe';
import { shellQuote } from '../configs/quote';

type Result = 'changed' | 'unchanged';

/** Upload the files whose content, mode or owner differ (one round trip to compare, service-probe.ts). Returns the changed paths. */
export async function syncFiles(g: Guest, files: RenderedFile[], log: (l: string | Message) => void): Promise<string[]> {
  if (!files.length) return [];
  const probe = await g.exec(['sh', '-c', FILE_PROBE, 'sh', ...files.map((f) => f.path)]);
  return writeChangedFiles(g, files, parseFileProbe(probe.stdout, files.map((f) => f.path)), log);
}

/** Write the files whose probe line (see service-probe.ts) differs from what they should be. */
async function writeChangedFiles(g: Guest, files: RenderedFile[], have: string[], log: (l: string | Message) => void): Promise<string[]> {
  const changed: string[] = [];
  for (const [i, f] of files.entries()) {
    if (have[i] === wantedFileLine(f)) continue;
    await g.writeFile(f.path, f.content, { mode: f.mode, owner: f.owner });
    log(msg('prov.log.wrote', { path: f.path }));
    changed.push(f.path);
  }
  return changed;
}

const PART = '##halab-part##';

/**
 * The base system's whole check as one read-only command: the system files'
 * hash/mode/owner (FILE_PROBE over "$@"), which obsolete files exist, the
 * hostname and the IPv4 addresses.
 */
export function systemProbe(ctx: RenderContext, vm: string): ProbeCommand {
  const obsolete = obsoletePaths(ctx, vm).map(shellQuote).join(' ');
  const script = `${FILE_PROBE}; echo '${PART}'; for f in ${obsolete}; do if [ -e "$f" ]; then echo "$f"; fi; done; echo '${PART}'; hostname; echo '${PART}'; ip -4 -o addr show`;
  return { key: 'system', argv: ['sh', '-c', script, 'sh', ...renderSystemFiles(ctx, vm).map((f) => f.path)] };
}

/** {@link systemProbe}'s output, read: one probe line per file (see service-probe.ts), the obsolete files present, the hostname, `ip -4 -o addr show`. Undefined when it does not line up. */
export interface SystemProbe {
  files: string[];
  obsolete: string[];
  hostname: string;
  live: string;
}

export function parseSystemProbe(stdout: string, paths: string[]): SystemProbe | undefined {
  const parts = stdout.split(`${PART}\n`);
  if (parts.length !== 4) return undefined;
  const [filesOut = '', obsolete = '', hostname = '', live = ''] = parts;
  return { files: parseFileProbe(filesOut, paths), obsolete: obsolete.split('\n').filter(Boolean), hostname: hostname.trim(), live };
}

/** What the base system step would change; empty when it would change nothing (the re-apply's skip). */
export function systemDrift(p: SystemProbe, want: { files: RenderedFile[]; hostname: string; addresses: string[] }): string[] {
  const drift: string[] = [];
  for (const [i, f] of want.files.entries()) if (p.files[i] !== wantedFileLine(f)) drift.push(`file ${f.path}`);
  for (const f of p.obsolete) drift.push(`obsolete ${f}`);
  if (p.hostname !== want.hostname) drift.push(`hostname ${p.hostname}`);
  for (const a of want.addresses) if (!p.live.includes(` ${a}/`)) drift.push(`address ${a} missing`);
  if (/\bdynamic\b/.test(p.live)) drift.push('a DHCP address left');
  return drift;
}

/**
 * Base system: files, hostname, netplan (the static address; reconnects
 * after). One probe reads everything it checks (on a re-apply, the answer
 * the SSH step already read); when it finds nothing to do, nothing else is sent.
 */
export async function systemStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext, probes?: ReapplyProbes): Promise<Result> {
  let g = await pool.get(vm, { signal: s.signal, log: s.log });
  const files = renderSystemFiles(ctx, vm);
  const node = ctx.lab.nodes.find((n) => n.hostname === vm)!;
  const p = parseSystemProbe((await probeExec(g, vm, systemProbe(ctx, vm), probes)).stdout, files.map((f) => f.path));
  if (p && !systemDrift(p, { files, hostname: vm, addresses: node.nics.map((n) => n.address) }).length) return 'unchanged';
  const changed = p ? await writeChangedFiles(g, files, p.files, s.log) : await syncFiles(g, files, s.log);
  const removed = p && !p.obsolete.length ? { stdout: '' } : await g.exec(['sh', '-c', 'for f; do if [ -e "$f" ]; then rm -f -- "$f"; echo "$f"; fi; done', 'sh', ...obsoletePaths(ctx, vm)]);
  const hostnameNow = p?.hostname ?? (await g.exec(['hostname'])).stdout.trim();
  if (hostnameNow !== vm) {
    await g.exec(['hostname', vm]);
    s.log(msg('prov.log.hostname', { vm }));
  }
  // Files can be in place while the addresses are not (a run killed between upload and apply).
  const live = p?.live ?? (await g.exec(['ip', '-4', '-o', 'addr', 'show'])).stdout;
  const addressesMissing = node.nics.some((n) => !live.includes(` ${n.address}/`));
  const dhcpLeft = /\bdynamic\b/.test(live);
  const netplanChanged = changed.includes(NETPLAN_PATH) || removed.stdout.includes('/etc/netplan/') || addressesMissing || dhcpLeft;
  if (netplanChanged) {
    await g.exec(['netplan', 'generate']);
    const target = pool.staticAddress(vm);
    // `netplan apply` needs udev, which containers (the Linux lab) lack: then reload networkd directly.
    const ifnames = node.nics.map((n) => n.ifname);
    const apply = `netplan apply 2>/dev/null || { networkctl reload && networkctl reconfigure ${ifnames.join(' ')}; }`;
    if (g.host === target) {
      await g.exec(['sh', '-c', apply]);
    } else {
      // Applying drops this session (its address goes away): run it from systemd a second
      // after we leave, then reconnect on the static address.
      await g.exec(['systemd-run', `--unit=halab-netplan-${Date.now()}`, '--on-active=1', '--timer-property=AccuracySec=100ms', 'sh', '-c', apply]);
      await pool.drop(vm);
      g = await pool.get(vm, { signal: s.signal, log: s.log, waitMs: 60_000, staticOnly: true });
    }
    s.log(msg('prov.log.staticApplied', { address: target }));
  }
  if (changed.some((p) => p.startsWith('/etc/ssh/'))) await g.exec(['sh', '-c', 'systemctl reload ssh 2>/dev/null || systemctl reload sshd']);
  return changed.length || removed.stdout.trim() || hostnameNow !== vm || netplanChanged ? 'changed' : 'unchanged';
}

/** Program that shows a role's software is installed, and the Debian/Ubuntu package that brings it. */
const ROLE_SOFTWARE: { when: (ctx: RenderContext, vm: string) => boolean; command: string; pkg: (ctx: RenderContext) => string }[] = [
  { when: () => true, command: 'prometheus-node-exporter', pkg: () => 'prometheus-node-exporter' },
  { when: () => true, command: 'ufw', pkg: () => 'ufw' },
  { when: (c, v) => !!c.lab.lab.services.loadBalancer?.members.includes(v) && lbEngine(c) === 'nginx', command: 'nginx', pkg: () => 'nginx' },
  { when: (c, v) => !!c.lab.lab.services.loadBalancer?.members.includes(v) && lbEngine(c) === 'haproxy', command: 'haproxy', pkg: () => 'haproxy' },
  { when: (c, v) => redisNodes(c).includes(v), command: 'redis-server', pkg: () => 'redis-server' },
  { when: (c, v) => redisNodes(c).includes(v), command: 'prometheus-redis-exporter', pkg: () => 'prometheus-redis-exporter' },
  { when: (c, v) => sentinelNodes(c).includes(v), command: 'redis-sentinel', pkg: () => 'redis-sentinel' },
  { when: (c, v) => c.lab.lab.services.vips.some((x) => x.members.some((m) => m.node === v)), command: 'keepalived', pkg: () => 'keepalived' },
  { when: (c, v) => isDb(c, v), command: 'mysqld', pkg: (c) => (c.engine === 'mariadb' ? 'mariadb-server' : 'mysql-server') },
  { when: (c, v) => isDb(c, v), command: 'prometheus-mysqld-exporter', pkg: () => 'prometheus-mysqld-exporter' },
  { when: (c, v) => !!c.lab.lab.services.app?.members.includes(v), command: 'node', pkg: () => 'nodejs' },
  { when: (c, v) => c.lab.lab.services.monitoring?.prometheus === v, command: 'prometheus', pkg: () => 'prometheus' },
  { when: (c, v) => (c.lab.lab.services.monitoring?.alertmanager ?? c.lab.lab.services.monitoring?.prometheus) === v, command: 'prometheus-alertmanager', pkg: () => 'prometheus-alertmanager' },
];

function isDb(c: RenderContext, vm: string): boolean {
  const db = c.lab.lab.services.database;
  return !!db && db.engine !== 'postgresql' && (db.primary === vm || c.lab.replicas.some((r) => r.node === vm));
}

/** The packages step's check: one line `yes`/`no` per program the VM's roles need. */
export function packagesProbe(ctx: RenderContext, vm: string): ProbeCommand {
  const wanted = ROLE_SOFTWARE.filter((r) => r.when(ctx, vm));
  return { key: 'packages', argv: ['sh', '-c', 'for c; do if command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || [ -x "/usr/bin/$c" ]; then echo yes; else echo no; fi; done', 'sh', ...wanted.map((w) => w.command)] };
}

/** Install what the VM's roles need (a no-op on the Linux lab image, which has it all). */
export async function packagesStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext, offline = false, probes?: ReapplyProbes): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const wanted = ROLE_SOFTWARE.filter((r) => r.when(ctx, vm));
  const probe = await probeExec(g, vm, packagesProbe(ctx, vm), probes);
  const answers = probe.stdout.trim().split('\n');
  const missing = [...new Set(wanted.filter((_, i) => answers[i] !== 'yes').map((w) => w.pkg(ctx)))];
  if (!missing.length) return 'unchanged';
  if (offline) throw new MessageError(msg('prov.err.offlineMissing', { vm, packages: list(missing) }));
  s.log(msg('prov.log.installing', { packages: list(missing) }));
  try {
    // A cloud image ships without package lists: read them first (only when something is missing).
    await g.exec(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-q'], { log: s.log, timeoutMs: 300_000 });
    await g.exec(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { log: s.log, timeoutMs: 900_000 });
  } catch (e) {
    throw new MessageError(msg('prov.err.installFailed', { vm, packages: list(missing), error: (e as Error).message }), { cause: e });
  }
  return 'changed';
}

/** Which unit must restart when a file changes. */
function unitForPath(path: string, units: string[]): string | undefined {
  const rules: [RegExp, RegExp][] = [
    [/^\/etc\/nginx\//, /^nginx\./],
    [/^\/etc\/haproxy\//, /^haproxy\./],
    [/^\/etc\/keepalived\/|keepalived-notify/, /^keepalived\./],
    [/^\/etc\/mysql\//, /^(mariadb|mysql)\.service$/],
    [/mysqld-exporter/, /^prometheus-mysqld-exporter\./],
    [/redis-exporter/, /^prometheus-redis-exporter\./],
    [/prometheus-node-exporter/, /^prometheus-node-exporter\./],
    [/^\/etc\/prometheus\/(prometheus\.yml|rules\/)/, /^prometheus\.service$/],
    [/alertmanager/, /^prometheus-alertmanager\./],
    [/^\/(etc|opt)\/halab-app\/|halab-app\.service/, /^halab-app\./],
    [/vip-gauge/, /^halab-vip-gauge\./],
  ];
  for (const [file, unit] of rules) if (file.test(path)) return units.find((u) => unit.test(u));
  return undefined;
}

/** The units' rows in one `systemctl show` (service-probe.ts); the per-unit probe when its output does not line up. */
async function probeUnits(g: Guest, units: string[]): Promise<UnitRow[]> {
  if (!units.length) return [];
  const rows = parseUnitShow((await g.exec(['sh', '-c', unitShowScript(units)])).stdout, units);
  return rows ?? parseLegacyUnitRows((await g.exec(['sh', '-c', LEGACY_UNIT_PROBE, 'sh', ...units])).stdout, units);
}

/** Unmask, then enable, units in one `systemctl` call each (each call reloads systemd). True when something was enabled. */
export async function unmaskAndEnable(g: Guest, unmask: string[], enable: string[]): Promise<boolean> {
  if (unmask.length) await g.exec(['systemctl', 'unmask', '--quiet', '--', ...unmask]);
  if (enable.length) await g.exec(['systemctl', 'enable', '--quiet', '--', ...enable]);
  return enable.length > 0;
}

/**
 * Stop, disable and mask the given units, clear their failed state: one
 * `systemctl` call for all units each (every disable and mask reloads
 * systemd; one unit at a time, ten units took most of an app server's
 * services step).
 */
async function maskUnits(g: Guest, units: string[], log: (l: string | Message) => void): Promise<string[]> {
  if (!units.length) return units;
  await g.exec(['systemctl', 'disable', '--now', '--quiet', '--', ...units], { okCodes: [0, 1], timeoutMs: 120_000 });
  await g.exec(['systemctl', 'mask', '--quiet', '--', ...units]);
  await g.exec(['systemctl', 'reset-failed', '--', ...units], { okCodes: [0, 1] });
  for (const unit of units) log(msg('prov.log.unitMasked', { unit }));
  return units;
}

/**
 * Stop, disable and mask units of roles this VM does not have (sockets too),
 * and clear their failed state. Aliases (mysql.service → mariadb.service)
 * and units the VM does not have are left alone. Returns the units it acted on.
 */
export async function maskUnwanted(g: Guest, unwanted: string[], log: (l: string | Message) => void): Promise<string[]> {
  if (!unwanted.length) return [];
  return maskUnits(g, unitsToMask(unwanted, await probeUnits(g, unwanted)), log);
}

/**
 * Role files (everything but the base system), then enable and (re)start the
 * role's units; other roles' units off. One remote command reads the files'
 * hashes and every unit's state (service-probe.ts); units are read again only
 * after something changed (a daemon-reload, a unit masked).
 */
/** The services step's role files (everything but the base system; the app's sources on app servers). */
function serviceFiles(ctx: RenderContext, vm: string, appSources: RenderedFile[]): RenderedFile[] {
  const system = new Set(renderSystemFiles(ctx, vm).map((f) => f.path));
  const isApp = !!ctx.lab.lab.services.app?.members.includes(vm);
  return [...renderNodeFiles(ctx, vm).filter((f) => !system.has(f.path)), ...(isApp ? appSources : [])];
}

/** The services step's one remote command (service-probe.ts): the role files' hashes and every unit's state. */
export function servicesProbe(ctx: RenderContext, vm: string, appSources: RenderedFile[]): ProbeCommand {
  const units = [...unwantedUnits(ctx, vm), ...unitsFor(ctx, vm)];
  // The server config puts binary logs in /var/log/mysql, which Debian's MariaDB does not create.
  const prefix = isDb(ctx, vm) ? '{ getent passwd mysql >/dev/null && install -d -o mysql -g adm -m 2750 /var/log/mysql || true; }' : '';
  return { key: 'services', argv: ['sh', '-c', serviceProbeScript(units, prefix), 'sh', ...serviceFiles(ctx, vm, appSources).map((f) => f.path)] };
}

export async function filesStep(pool: GuestPool, ctx: RenderContext, vm: string, appSources: RenderedFile[], s: StepContext, probes?: ReapplyProbes): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const files = serviceFiles(ctx, vm, appSources);
  const backup = ctx.lab.lab.services.backup;
  if (backup?.runOn === vm && (await ensureLabDir(g, ctx, backup.targetDir))) s.log(msg('prov.log.madeBackupDir', { dir: backup.targetDir }));
  const units = unitsFor(ctx, vm);
  const unwanted = unwantedUnits(ctx, vm);
  const paths = files.map((f) => f.path);
  const probe = parseServiceProbe((await probeExec(g, vm, servicesProbe(ctx, vm, appSources), probes)).stdout, paths, [...unwanted, ...units]);
  const changed = await writeChangedFiles(g, files, probe.files, s.log);
  if (changed.some((p) => p.startsWith('/etc/systemd/system/'))) await g.exec(['systemctl', 'daemon-reload']);
  if (changed.some((p) => p.startsWith('/etc/nginx/'))) await g.exec(['nginx', '-t', '-q']);
  if (changed.some((p) => p.startsWith('/etc/haproxy/'))) await g.exec(['haproxy', '-c', '-q', '-f', HAPROXY_CONF_PATH]);
  const restart = new Set(changed.map((p) => unitForPath(p, units)).filter((u): u is string => !!u));
  // States read before a file changed may be stale (daemon-reload): read them again then.
  const rows = changed.length ? undefined : probe.units;
  // Other roles' units first: a socket unit holding a port (mariadb.socket on *:3306) must be gone before its service restarts.
  const stopped = unwanted.length ? await maskUnits(g, unitsToMask(unwanted, rows?.slice(0, unwanted.length) ?? (await probeUnits(g, unwanted))), s.log) : [];
  for (const u of stopped) if (u.endsWith('.socket')) for (const w of units) if (w.startsWith(u.replace(/(-extra)?\.socket$/, '.'))) restart.add(w);
  const wantedRows = rows && !stopped.length ? rows.slice(unwanted.length) : await probeUnits(g, units);
  let acted = stopped.length > 0;
  const actions = wantedUnitActions(units, wantedRows, restart);
  // Restarts one by one, in the role's order.
  if (await unmaskAndEnable(g, actions.filter((a) => a.unmask).map((a) => a.unit), actions.filter((a) => a.enable).map((a) => a.unit))) acted = true;
  for (const a of actions) {
    if (a.restart) {
      s.log(msg(a.wasActive ? 'prov.log.restarting' : 'prov.log.starting', { unit: a.unit }));
      await g.exec(['systemctl', 'restart', a.unit], { timeoutMs: 180_000 });
      acted = true;
    }
  }
  return changed.length || acted ? 'changed' : 'unchanged';
}

/**
 * Reconnect replicas that already replicate: a connection UFW did not see
 * open is dropped as INVALID once it starts tracking, and the replica would
 * wait out slave_net_timeout (60 s) before noticing.
 */
async function restartReplication(pool: GuestPool, ctx: RenderContext, s: StepContext): Promise<void> {
  for (const r of ctx.lab.replicas) {
    // Best effort: a replica not up yet (a first run) has no connection to repair.
    const g = await pool.get(r.node, { signal: s.signal, staticOnly: true, waitMs: 1500 }).catch(() => undefined);
    const status = g && (await replicaStatus(g).catch(() => undefined));
    if (!g || !status) continue;
    await sql(g, 'STOP REPLICA;\nSTART REPLICA;\n');
    s.log(msg('prov.log.replicationReconnected', { vm: r.node }));
  }
}

/** What the running firewall of a VM lacks or has too much compared with its plan; empty when it matches. */
export async function firewallDrift(g: Guest, ctx: RenderContext, vm: string): Promise<Message[]> {
  const plan = renderUfw(ctx, vm);
  const enabled = ctx.lab.lab.services.firewall.enabled;
  const live = await g.exec(['sh', '-c', 'ufw status verbose; echo "##"; ufw show added; echo "##"; iptables-save -t filter; echo "##"; cat /etc/ufw/before.rules'], { okCodes: [0, 1] });
  const [status = '', added = '', save = '', before = ''] = live.stdout.split('\n##\n');
  const drift: Message[] = [];
  if (/Status: active/.test(status) !== enabled) drift.push(msg(enabled ? 'prov.drift.ufwInactive' : 'prov.drift.ufwActive'));
  if (enabled && !/Default: deny \(incoming\), allow \(outgoing\)/.test(status)) drift.push(msg('prov.drift.policies'));
  const rules = ufwRuleDrift(plan, added);
  for (const r of rules.missing) drift.push(msg('prov.drift.ruleMissing', { rule: r }));
  for (const r of rules.extra) drift.push(msg('prov.drift.ruleExtra', { rule: r }));
  let merged = before;
  try {
    merged = mergeBeforeRules(before, plan.beforeRules);
  } catch {
    drift.push(msg('prov.drift.noFilterTable'));
  }
  if (merged !== before) drift.push(msg('prov.drift.noVrrpLines'));
  for (const r of missingVrrpRules(ctx, vm, save)) drift.push(msg('prov.drift.vrrpNotLive', { source: r.source, iface: r.iface, chain: r.chain }));
  return drift;
}

/**
 * UFW per role. Compares the running firewall with the plan and rebuilds it
 * only when they differ: reset (which restores the packaged before.rules),
 * then our before.rules lines merged into the fresh file, then the rules,
 * then enable. Verified against `iptables-save` afterwards.
 */
/** The firewall step's first check: the live hash and the recorded stamp (configs/firewall-stamp.ts). */
export function firewallProbe(): ProbeCommand {
  return { key: 'firewall', argv: firewallStampCommand() };
}

export async function firewallStep(pool: GuestPool, ctx: RenderContext, vm: string, s: StepContext, probes?: ReapplyProbes): Promise<Result> {
  const g = await pool.get(vm, { signal: s.signal, log: s.log });
  const plan = renderUfw(ctx, vm);
  // Nothing UFW reads changed since the last check that found no drift: skip the full check (configs/firewall-stamp.ts).
  const planHash = firewallPlanHash(plan, ctx.lab.lab.services.firewall.enabled);
  const stamp = parseFirewallStamp((await probeExec(g, vm, firewallProbe(), probes)).stdout);
  if (stamp.live && stamp.recorded === firewallStamp(planHash, stamp.live)) return 'unchanged';
  const drift = await firewallDrift(g, ctx, vm);
  if (!drift.length) {
    await recordFirewallStamp(g, planHash, stamp.live);
    return 'unchanged';
  }
  const shown = joinMessages(drift.slice(0, 5), 'semicolon');
  s.log(msg('prov.log.firewallDiffers', { drift: drift.length > 5 ? msg('prov.log.more', { list: shown, n: drift.length - 5 }) : shown }));
  // Rebuild from scratch so rules removed from the blueprint disappear; SSH from the admin sources comes first.
  await g.exec(['ufw', '--force', 'reset'], { log: undefined });
  // After the reset: it puts the packaged before.rules back (ours would go to a backup file).
  const before = (await g.readFile('/etc/ufw/before.rules')) ?? '';
  const merged = mergeBeforeRules(before, plan.beforeRules);
  if (merged !== before) await g.writeFile('/etc/ufw/before.rules', merged, { mode: '0640' });
  for (const argv of plan.commands) await g.exec(argv);
  await g.exec(['sh', '-c', 'rm -f /etc/ufw/*.rules.[0-9]* /etc/ufw/before.rules.halab-prev 2>/dev/null; true']);
  const left = await firewallDrift(g, ctx, vm);
  if (left.length) throw new MessageError(msg('prov.err.firewallDiffers', { vm, drift: joinMessages(left, 'semicolon') }));
  s.log(msg('prov.log.ufwDone', { commands: plan.commands.length, lines: plan.beforeRules.length }));
  await recordFirewallStamp(g, planHash);
  if (isDb(ctx, vm)) await restartReplication(pool, ctx, s);
  return 'changed';
}

/** Record the firewall stamp after a check found no drift (the live hash read just before it) or after a verified rebuild (read again). */
async function recordFirewallStamp(g: Guest, planHash: string, live?: string): Promise<void> {
  const now = live || parseFirewallStamp((await g.exec(firewallStampCommand())).stdout).live;
  await g.exec(['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" > "$1"', 'sh', FIREWALL_STAMP_PATH, firewallStamp(planHash, now)]);
}
