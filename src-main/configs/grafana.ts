/**
 * Grafana provisioning for a lab (issue 14 item 8): the Prometheus and Loki
 * data sources, a file dashboard provider, and the lab dashboard (targets
 * up, who holds each VIP, CPU and memory per VM, replication lag). Pure.
 * `grafana-steps.ts` uploads these where Grafana could be installed from
 * Grafana's repository (VMware guests with internet, `grafana-install.ts`);
 * Debian 12 packages neither Grafana nor Loki and the Linux lab's and
 * Incus guests are offline, so there `plan` and `up` say so and no port is
 * opened for them.
 */
import { stringify } from 'yaml';
import { dbNodes, managedHeader, monitoringHosts, reach, type RenderContext, type RenderedFile } from './context';
import { safeId } from './quote';

export const GRAFANA_DATASOURCE_PATH = '/etc/grafana/provisioning/datasources/halab.yaml';
export const GRAFANA_PROVIDER_PATH = '/etc/grafana/provisioning/dashboards/halab.yaml';
/** Root's (the guest module writes only into folders no other user can change; /var/lib/grafana is grafana's). */
export const GRAFANA_DASHBOARDS_DIR = '/etc/halab/grafana/dashboards';
export const GRAFANA_DATASOURCE_UID = 'halab-prometheus';
export const GRAFANA_LOKI_UID = 'halab-loki';

/** Grafana runs beside Prometheus, so it reaches it on loopback; Loki on its VM (loopback when the same). */
export function renderGrafanaDatasources(ctx: RenderContext): string {
  const mon = monitoringHosts(ctx);
  if (!mon) throw new Error('The lab has no monitoring service.');
  const loki = mon.loki === mon.prometheus ? '127.0.0.1' : reach(ctx, mon.prometheus, mon.loki);
  const doc = {
    apiVersion: 1,
    datasources: [
      { name: 'Prometheus', type: 'prometheus', uid: GRAFANA_DATASOURCE_UID, access: 'proxy', url: 'http://127.0.0.1:9090', isDefault: true, editable: false, jsonData: { timeInterval: '15s' } },
      { name: 'Loki', type: 'loki', uid: GRAFANA_LOKI_UID, access: 'proxy', url: `http://${loki}:3100`, isDefault: false, editable: false },
    ],
  };
  return managedHeader(ctx) + stringify(doc);
}

export function renderGrafanaProvider(ctx: RenderContext): string {
  const doc = { apiVersion: 1, providers: [{ name: 'halab', folder: 'HA Lab', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: GRAFANA_DASHBOARDS_DIR } }] };
  return managedHeader(ctx) + stringify(doc);
}

interface Panel {
  title: string;
  expr: string;
  legend: string;
  unit?: string;
}

/** The lab dashboard (Grafana JSON model, schema 39), one time series panel per question a student asks. */
export function renderGrafanaDashboard(ctx: RenderContext): string {
  const s = ctx.lab.lab.services;
  const panels: Panel[] = [
    { title: 'Scrape targets up', expr: 'up', legend: '{{node}} {{job}}' },
    { title: 'CPU busy', expr: '1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[1m]))', legend: '{{node}}', unit: 'percentunit' },
    { title: 'Memory used', expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{node}}', unit: 'percentunit' },
  ];
  if (s.vips.length) panels.push({ title: 'VIP holder', expr: 'lab_vip_present', legend: '{{vip}} on {{node}}' });
  if (dbNodes(ctx).length) panels.push({ title: 'Replication lag', expr: 'mysql_slave_status_seconds_behind_master', legend: '{{node}}', unit: 's' });
  const dashboard = {
    uid: `halab-${safeId(ctx.lab.name).toLowerCase()}`.slice(0, 40),
    title: `HA Lab: ${ctx.lab.name}`,
    tags: ['halab'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      datasource: { type: 'prometheus', uid: GRAFANA_DATASOURCE_UID },
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      targets: [{ refId: 'A', datasource: { type: 'prometheus', uid: GRAFANA_DATASOURCE_UID }, expr: p.expr, legendFormat: p.legend }],
    })),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every Grafana file for a Grafana beside Prometheus (uploaded by `grafana-steps.ts` once Grafana is installed). */
export function renderGrafanaFiles(ctx: RenderContext): RenderedFile[] {
  return [
    { path: GRAFANA_DATASOURCE_PATH, mode: '0644', content: renderGrafanaDatasources(ctx) },
    { path: GRAFANA_PROVIDER_PATH, mode: '0644', content: renderGrafanaProvider(ctx) },
    { path: `${GRAFANA_DASHBOARDS_DIR}/halab-lab.json`, mode: '0644', content: renderGrafanaDashboard(ctx) },
  ];
}
