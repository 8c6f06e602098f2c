/**
 * Grafana, Loki and promtail from Grafana's own apt repository (issue 14
 * item 8), for guests that can reach it: VMware guests with internet. Pure:
 * the repository line, the packages each VM gets, Loki's and promtail's
 * configs with the systemd drop-ins that point the packaged units at them,
 * and the firewall rules that open a port only once its service runs.
 *
 * Where they go: Grafana beside Prometheus (its data sources are on
 * loopback, `grafana.ts`); Loki on `monitoring.loki` (default: the
 * Prometheus VM); promtail on every VM that shares a network with Loki's VM
 * (a VM in another zone has no direct path: the zone policy does not name
 * promtail, so it is left out and `up` says so).
 *
 * Not here: the Linux lab and Incus guests are offline by design (lab
 * traffic never leaves this machine), so `grafana-steps.ts` runs only on
 * VMware and checks that the repository answers before it changes anything.
 * Configs live under /etc/halab, not the packages' /etc/loki and
 * /etc/promtail (the services step removes files earlier versions wrote
 * there, `RETIRED_PATHS`).
 */
import { stringify } from 'yaml';
import { sharedNetworks } from '../shared/blueprint/model';
import { GRAFANA_PORT, grafanaPort } from '../shared/blueprint/monitoring';
import { adminSources, managedHeader, monitoringHosts, reach, sourcesOf, type RenderContext, type RenderedFile } from './context';

export { GRAFANA_PORT, grafanaPort };
export const GRAFANA_REPO_HOST = 'apt.grafana.com';
export const GRAFANA_KEY_URL = `https://${GRAFANA_REPO_HOST}/gpg.key`;
export const GRAFANA_KEY_PATH = '/etc/apt/keyrings/grafana.asc';
export const GRAFANA_LIST_PATH = '/etc/apt/sources.list.d/grafana.list';
export const LOKI_PORT = 3100;
export const LOKI_CONF_PATH = '/etc/halab/loki.yml';
export const PROMTAIL_CONF_PATH = '/etc/halab/promtail.yml';

/** What one VM gets from Grafana's repository, and the units that run it. */
export interface GrafanaRole {
  vm: string;
  packages: ('grafana' | 'loki' | 'promtail')[];
  units: string[];
}

/** The apt source line (ASCII-armoured key, so no gpg is needed to install it). */
export function grafanaAptSource(): string {
  return `deb [signed-by=${GRAFANA_KEY_PATH}] https://${GRAFANA_REPO_HOST} stable main\n`;
}

/** VMs with no network shared with Loki's VM: promtail is not installed there (in zones, the policy names no log traffic through the router). */
export function promtailUnreachable(ctx: RenderContext): string[] {
  const mon = monitoringHosts(ctx);
  if (!mon) return [];
  return ctx.lab.nodes.map((n) => n.hostname).filter((vm) => vm !== mon.loki && !sharedNetworks(ctx.lab, vm, mon.loki).length);
}

/** Every VM's share, Grafana/Loki VMs first; empty without a monitoring service. */
export function grafanaRoles(ctx: RenderContext): GrafanaRole[] {
  const mon = monitoringHosts(ctx);
  if (!mon) return [];
  const skip = new Set(promtailUnreachable(ctx));
  const roles: GrafanaRole[] = [];
  for (const n of ctx.lab.nodes) {
    const vm = n.hostname;
    if (skip.has(vm)) continue;
    const packages: GrafanaRole['packages'] = [];
    if (vm === mon.prometheus) packages.push('grafana');
    if (vm === mon.loki) packages.push('loki');
    packages.push('promtail');
    roles.push({ vm, packages, units: packages.map((p) => (p === 'grafana' ? 'grafana-server.service' : `${p}.service`)) });
  }
  return roles.sort((a, b) => b.packages.length - a.packages.length || (a.vm < b.vm ? -1 : 1));
}

/** Loki as one process with its data on the VM's disk (no object store), the schema Loki 3 wants. */
export function renderLokiConfig(ctx: RenderContext): string {
  const doc = {
    auth_enabled: false,
    server: { http_listen_port: LOKI_PORT, grpc_listen_port: 9096, log_level: 'warn' },
    common: {
      instance_addr: '127.0.0.1',
      path_prefix: '/var/lib/loki',
      storage: { filesystem: { chunks_directory: '/var/lib/loki/chunks', rules_directory: '/var/lib/loki/rules' } },
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
    },
    schema_config: { configs: [{ from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } }] },
    limits_config: { retention_period: '168h' },
    compactor: { working_directory: '/var/lib/loki/compactor', retention_enabled: true, delete_request_store: 'filesystem' },
    analytics: { reporting_enabled: false },
  };
  return managedHeader(ctx) + stringify(doc);
}

/** promtail on `vm`: its journal and /var/log/*.log, labelled with the lab and node, pushed to Loki. */
export function renderPromtailConfig(ctx: RenderContext, vm: string): string {
  const mon = monitoringHosts(ctx);
  if (!mon) throw new Error('The lab has no monitoring service.');
  const loki = vm === mon.loki ? '127.0.0.1' : reach(ctx, vm, mon.loki);
  const labels = { lab: ctx.lab.name, node: vm };
  const doc = {
    server: { http_listen_address: '127.0.0.1', http_listen_port: 9080, grpc_listen_port: 0 },
    positions: { filename: '/var/lib/promtail/positions.yaml' },
    clients: [{ url: `http://${loki}:${LOKI_PORT}/loki/api/v1/push` }],
    scrape_configs: [
      { job_name: 'journal', journal: { max_age: '12h', labels: { job: 'journal', ...labels } }, relabel_configs: [{ source_labels: ['__journal__systemd_unit'], target_label: 'unit' }] },
      { job_name: 'varlog', static_configs: [{ targets: ['localhost'], labels: { job: 'varlog', ...labels, __path__: '/var/log/*.log' } }] },
    ],
  };
  return managedHeader(ctx) + stringify(doc);
}

/** A drop-in that starts the packaged unit with halab's config (`ExecStart=` cleared first). */
function dropIn(unit: string, exec: string): RenderedFile {
  return { path: `/etc/systemd/system/${unit}.d/halab.conf`, mode: '0644', content: `# Managed by HA Lab Studio.\n[Service]\nExecStart=\nExecStart=${exec}\n` };
}

/** The config files of `role` (Grafana's own provisioning comes from `renderGrafanaFiles`). */
export function grafanaRoleFiles(ctx: RenderContext, role: GrafanaRole): RenderedFile[] {
  const files: RenderedFile[] = [];
  if (role.packages.includes('grafana')) {
    files.push({ path: '/etc/systemd/system/grafana-server.service.d/halab.conf', mode: '0644', content: `# Managed by HA Lab Studio.\n[Service]\nEnvironment=GF_SERVER_HTTP_PORT=${grafanaPort(ctx)}\n` });
  }
  if (role.packages.includes('loki')) files.push({ path: LOKI_CONF_PATH, mode: '0644', content: renderLokiConfig(ctx) }, dropIn('loki.service', `/usr/bin/loki -config.file=${LOKI_CONF_PATH}`));
  if (role.packages.includes('promtail')) files.push({ path: PROMTAIL_CONF_PATH, mode: '0644', content: renderPromtailConfig(ctx, role.vm) }, dropIn('promtail.service', `/usr/bin/promtail -config.file=${PROMTAIL_CONF_PATH}`));
  return files;
}

/**
 * UFW rules for what runs: Grafana from the admin sources, Loki from every
 * VM that pushes to it. Added only after the service answered, so a VM
 * without the software never has the port open.
 */
export function grafanaUfwRules(ctx: RenderContext, role: GrafanaRole): string[][] {
  const rules: string[][] = [];
  const allow = (src: string, port: number, comment: string) => rules.push(['ufw', 'allow', 'from', src, 'to', 'any', 'port', String(port), 'proto', 'tcp', 'comment', comment]);
  if (role.packages.includes('grafana')) for (const src of adminSources(ctx)) allow(src, grafanaPort(ctx), 'halab grafana');
  if (role.packages.includes('loki')) {
    for (const other of grafanaRoles(ctx)) if (other.vm !== role.vm) for (const src of sourcesOf(ctx, role.vm, other.vm)) allow(src, LOKI_PORT, `halab loki from ${other.vm}`);
  }
  return rules;
}
