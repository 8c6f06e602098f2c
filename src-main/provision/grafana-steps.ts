/**
 * Grafana, Loki and promtail from Grafana's repository (issue 14 item 8),
 * one step per VM after its services, VMware only (the Linux lab and Incus
 * guests are offline by design: `buildSteps` adds none there, and the plan
 * says so). A step first asks dpkg what is installed; what is missing is
 * installed only when the guest fetched the repository's key, so a guest
 * without internet changes nothing and opens no port: the step says why and
 * the lab goes on. Then the configs (`grafana-install.ts`, `grafana.ts`),
 * the units enabled and restarted when their files changed, each service
 * checked on its HTTP endpoint, and only then their firewall ports opened.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitoringHosts, type RenderContext } from '../configs/context';
import { renderGrafanaFiles } from '../configs/grafana';
import { GRAFANA_KEY_PATH, GRAFANA_KEY_URL, GRAFANA_LIST_PATH, GRAFANA_REPO_HOST, grafanaAptSource, grafanaPort, grafanaRoleFiles, grafanaRoles, grafanaUfwRules, promtailUnreachable, type GrafanaRole } from '../configs/grafana-install';
import type { Guest } from '../guest/guest';
import type { LabRef } from '../hypervisor/types';
import type { GuestPool } from '../lab/guest-pool';
import type { ResolvedLab } from '../shared/blueprint/model';
import { list, msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';
import type { Step, StepContext } from './engine';

type Result = 'changed' | 'unchanged';
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Where the lab records what runs (the monitor links the dashboard to Grafana only when it does). */
export const GRAFANA_RECORD = 'grafana.json';

/** Each service's HTTP check and how long it may take to answer after a (re)start (Loki waits 15 s before it is ready). */
const CHECKS: Record<string, { url: string; seconds: number; unit: string; name: string }> = {
  grafana: { url: 'http://127.0.0.1:{port}/api/health', seconds: 90, unit: 'grafana-server', name: 'Grafana' },
  loki: { url: 'http://127.0.0.1:3100/ready', seconds: 90, unit: 'loki', name: 'Loki' },
  promtail: { url: 'http://127.0.0.1:9080/ready', seconds: 60, unit: 'promtail', name: 'promtail' },
};

/** One line `yes`/`no` per package: installed according to dpkg. */
export const INSTALLED_PROBE = 'for p; do if dpkg-query -W -f=\'${Status}\\n\' "$p" 2>/dev/null | grep -q "install ok installed"; then echo yes; else echo no; fi; done';

/**
 * Fetch the repository key; prints `ok`, or the reason it could not (curl's
 * last line). Bounded: 4 s to connect (a guest without a resolver or route
 * fails at once), 30 s in all.
 */
export const FETCH_KEY_SCRIPT = [
  'install -d -m 0755 /etc/apt/keyrings',
  'command -v curl >/dev/null 2>&1 || { echo "curl is not installed"; exit 0; }',
  'if out=$(curl -fsSL --connect-timeout 4 --max-time 30 -o "$1.new" "$2" 2>&1); then mv -f "$1.new" "$1"; echo ok; else rm -f "$1.new"; printf "%s\\n" "$out" | tail -n 1; fi',
].join('\n');

/** Which of `role`'s packages dpkg does not list as installed. */
export function missingPackages(role: GrafanaRole, probeOut: string): GrafanaRole['packages'] {
  const lines = probeOut.trim().split('\n');
  return role.packages.filter((_, i) => lines[i]?.trim() !== 'yes');
}

async function install(g: Guest, role: GrafanaRole, missing: string[], s: StepContext): Promise<boolean> {
  const fetched = (await g.exec(['sh', '-c', FETCH_KEY_SCRIPT, 'sh', GRAFANA_KEY_PATH, GRAFANA_KEY_URL], { timeoutMs: 45_000 })).stdout.trim();
  if (fetched !== 'ok') {
    s.log(msg('mon.log.offline', { vm: role.vm, host: GRAFANA_REPO_HOST, reason: fetched || 'no answer', packages: list(missing) }));
    return false;
  }
  s.log(msg('mon.log.installing', { vm: role.vm, packages: list(missing), host: GRAFANA_REPO_HOST }));
  await g.writeFile(GRAFANA_LIST_PATH, grafanaAptSource());
  try {
    // Every list, not only Grafana's: its packages depend on Ubuntu's (adduser, libfontconfig1), and a cloud image ships without package lists.
    await g.exec(['apt-get', 'update', '-q'], { log: s.log, timeoutMs: 300_000 });
    await g.exec(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { log: s.log, timeoutMs: 900_000 });
  } catch (e) {
    const m = msg('mon.err.installFailed', { vm: role.vm, packages: list(missing), error: (e as Error).message });
    throw new MessageError(msg('prov.join.lines', { a: m, b: msg('mon.err.installFailed.fix', { vm: role.vm }) }), { cause: e });
  }
  return true;
}

/** Wait until `pkg`'s endpoint answers 2xx, or fail with what to look at. */
async function waitAnswer(g: Guest, ctx: RenderContext, vm: string, pkg: string, signal: AbortSignal): Promise<void> {
  const c = { ...CHECKS[pkg]!, url: CHECKS[pkg]!.url.replace('{port}', String(grafanaPort(ctx))) };
  const until = Date.now() + c.seconds * 1000;
  let last = '';
  while (!signal.aborted) {
    const r = await g.exec(['curl', '-fsS', '-o', '/dev/null', '--max-time', '3', c.url], { okCodes: [0, 6, 7, 22, 28, 52, 56] });
    if (r.code === 0) return;
    last = r.stderr.trim() || `curl exit ${r.code}`;
    if (Date.now() > until) break;
    await sleep(1000);
  }
  const m = msg('mon.err.notAnswering', { service: c.name, vm, url: c.url, seconds: c.seconds, error: last });
  throw new MessageError(msg('prov.join.lines', { a: m, b: msg('mon.err.notAnswering.fix', { vm, unit: c.unit }) }));
}

/** One VM's share: install when reachable, configure, run, check, open ports. */
export async function grafanaStep(pool: GuestPool, ctx: RenderContext, role: GrafanaRole, s: StepContext, record?: (vm: string, running: boolean) => Promise<void>): Promise<Result> {
  const g = await pool.get(role.vm, { signal: s.signal, log: s.log });
  const missing = missingPackages(role, (await g.exec(['sh', '-c', INSTALLED_PROBE, 'sh', ...role.packages])).stdout);
  let changed = false;
  if (missing.length) {
    if (!(await install(g, role, missing, s))) {
      await record?.(role.vm, false);
      return 'unchanged';
    }
    changed = true;
  } else {
    s.log(msg('mon.log.installed', { vm: role.vm, packages: list(role.packages) }));
  }
  const dirs: string[] = ['install -d -m 0755 /etc/halab /etc/halab/grafana /etc/halab/grafana/dashboards'];
  if (role.packages.includes('loki')) dirs.push('install -d -o loki -m 0750 /var/lib/loki');
  // promtail reads the journal and /var/log (groups systemd-journal and adm).
  if (role.packages.includes('promtail')) dirs.push('install -d -o promtail -m 0750 /var/lib/promtail', 'usermod -a -G systemd-journal,adm promtail');
  await g.exec(['sh', '-c', dirs.join(' && ')]);
  const files = [...grafanaRoleFiles(ctx, role), ...(role.packages.includes('grafana') ? renderGrafanaFiles(ctx) : [])];
  const restart = new Set<string>();
  let dropIns = false;
  for (const f of files) {
    if (!(await g.writeFile(f.path, f.content, { mode: f.mode, ...(f.owner ? { owner: f.owner } : {}) })).changed) continue;
    changed = true;
    if (f.path.startsWith('/etc/systemd/')) dropIns = true;
    const pkg = role.packages.find((p) => f.path.includes(p)) ?? 'grafana';
    restart.add(CHECKS[pkg]!.unit);
  }
  if (dropIns) await g.exec(['systemctl', 'daemon-reload']);
  const units = role.packages.map((p) => CHECKS[p]!.unit);
  await g.exec(['systemctl', 'enable', '--now', '--quiet', ...units], { timeoutMs: 120_000 });
  if (restart.size) await g.exec(['systemctl', 'restart', ...restart], { timeoutMs: 120_000 });
  for (const p of role.packages) await waitAnswer(g, ctx, role.vm, p, s.signal);
  s.log(msg('mon.log.running', { vm: role.vm, services: list(role.packages.map((p) => CHECKS[p]!.name)) }));
  // Ports only now that their services answer; `ufw allow` leaves a rule it already has alone.
  const rules = grafanaUfwRules(ctx, role);
  if (rules.length) {
    await g.exec(['sh', '-c', rules.map((r) => `${r.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')} >/dev/null`).join(' && ')]);
    s.log(msg('mon.log.portsOpened', { vm: role.vm, count: rules.length }));
  }
  await record?.(role.vm, true);
  return changed ? 'changed' : 'unchanged';
}

/** Records which VMs run their Grafana share, in `<lab>/grafana.json` (read by the monitor). */
function recorder(lab: LabRef): (vm: string, running: boolean) => Promise<void> {
  const state: Record<string, boolean> = {};
  let last: Promise<void> = Promise.resolve();
  return (vm, running) => {
    state[vm] = running;
    // One write at a time: steps on several VMs finish together.
    const text = `${JSON.stringify(state, null, 2)}\n`;
    last = last.then(() => writeFile(join(lab.dir, GRAFANA_RECORD), text));
    return last;
  };
}

/** Does Grafana run on the lab's Prometheus VM, as the last `up` recorded? */
export async function grafanaRuns(lab: LabRef, ctx: RenderContext): Promise<boolean> {
  const vm = monitoringHosts(ctx)?.prometheus;
  const record = await readFile(join(lab.dir, GRAFANA_RECORD), 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => ({}) as Record<string, unknown>);
  return !!vm && record[vm] === true;
}

/** The steps (VMware only; none without a monitoring service). */
export function grafanaSteps(pool: GuestPool, ctx: RenderContext, o: { provider: string; lab: LabRef }): Step[] {
  if (o.provider !== 'vmware') return [];
  const roles = grafanaRoles(ctx);
  const record = recorder(o.lab);
  const left = promtailUnreachable(ctx);
  const loki = roles.find((r) => r.packages.includes('loki'))?.vm;
  return roles.map((role, i) => ({
    id: `mon:${role.vm}:grafana`,
    title: `${role.packages.join(', ')} on ${role.vm}`,
    titleMsg: msg('mon.step.grafana', { vm: role.vm, packages: list(role.packages) }),
    vm: role.vm,
    deps: [`vm:${role.vm}:services`],
    run: async (c) => {
      if (i === 0 && left.length && loki) c.log(msg('mon.log.noDirectPath', { vms: list(left), loki }));
      return grafanaStep(pool, ctx, role, c, record);
    },
  }));
}

/** How many steps `grafanaSteps` adds (the roles read only the resolved lab). */
export function grafanaStepsCount(resolved: ResolvedLab, provider: string): number {
  return provider === 'vmware' ? grafanaRoles({ lab: resolved } as RenderContext).length : 0;
}
