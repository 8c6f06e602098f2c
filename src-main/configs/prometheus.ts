/**
 * Prometheus: scrape targets derived from the blueprint and the lab's alert
 * rules (instance down, replication stopped or lagging, VIP held by no load
 * balancer or by two, disk/CPU/memory, backup failed or stale).
 */
import { stringify } from 'yaml';
import { dbNodes, managedHeader, monitoringHosts, reach, type RenderContext } from './context';
import { assertIpv4 } from './quote';
import { PG_EXPORTER_PORT, pgAlertRules, pgNodes } from './postgres';
import { REDIS_EXPORTER_PORT, redisNodes } from './redis';

export const PROMETHEUS_CONF_PATH = '/etc/prometheus/prometheus.yml';
export const PROMETHEUS_RULES_PATH = '/etc/prometheus/rules/halab.yml';

function hosts(ctx: RenderContext) {
  const m = monitoringHosts(ctx);
  if (!m) throw new Error('The lab has no monitoring service.');
  return m;
}

/** `host:port` as the Prometheus node reaches `node` (loopback for itself). */
function target(ctx: RenderContext, prom: string, node: string, port: number): string {
  return `${node === prom ? '127.0.0.1' : assertIpv4(reach(ctx, prom, node))}:${port}`;
}

/** prometheus.yml. Every target carries a `node` label with the lab host name. */
export function renderPrometheusConfig(ctx: RenderContext): string {
  const m = hosts(ctx);
  const staticFor = (nodes: string[], port: number) =>
    nodes.map((n) => ({ targets: [target(ctx, m.prometheus, n, port)], labels: { node: n, role: ctx.lab.nodes.find((x) => x.hostname === n)?.roles.join(',') ?? '' } }));
  const scrape: Record<string, unknown>[] = [
    { job_name: 'prometheus', static_configs: staticFor([m.prometheus], 9090) },
    { job_name: 'alertmanager', static_configs: staticFor([m.alertmanager], 9093) },
    { job_name: 'node', static_configs: staticFor(ctx.lab.nodes.map((n) => n.hostname), 9100) },
  ];
  const dbs = dbNodes(ctx);
  if (dbs.length) scrape.push({ job_name: 'mysqld', static_configs: staticFor(dbs, 9104) });
  if (pgNodes(ctx).length) scrape.push({ job_name: 'postgres', static_configs: staticFor(pgNodes(ctx), PG_EXPORTER_PORT) });
  if (redisNodes(ctx).length) scrape.push({ job_name: 'redis', static_configs: staticFor(redisNodes(ctx), REDIS_EXPORTER_PORT) });
  const doc = {
    global: { scrape_interval: '15s', evaluation_interval: '15s', external_labels: { lab: ctx.lab.name } },
    rule_files: [PROMETHEUS_RULES_PATH],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [target(ctx, m.prometheus, m.alertmanager, 9093)] }] }] },
    scrape_configs: scrape,
  };
  return managedHeader(ctx) + stringify(doc, { lineWidth: 0 });
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' };
  annotations: { summary: string; description?: string };
}

/** The alert rules file. */
export function renderPrometheusRules(ctx: RenderContext): string {
  const s = ctx.lab.lab.services;
  const rules: Rule[] = [
    { alert: 'InstanceDown', expr: 'up == 0', for: '1m', labels: { severity: 'critical' }, annotations: { summary: '{{ $labels.node }} ({{ $labels.job }}) is down', description: '{{ $labels.instance }} has not answered scrapes for 1 minute.' } },
    {
      alert: 'DiskSpaceLow',
      expr: '(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}) < 0.10',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.node }}: less than 10% free on {{ $labels.mountpoint }}' },
    },
    {
      alert: 'HighCpu',
      expr: '(1 - avg by (instance, node) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 0.90',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.node }}: CPU above 90% for 10 minutes' },
    },
    {
      alert: 'HighMemory',
      expr: '(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > 0.90',
      for: '10m',
      labels: { severity: 'warning' },
      annotations: { summary: '{{ $labels.node }}: memory above 90% for 10 minutes' },
    },
  ];
  if (s.database?.engine === 'postgresql') rules.push(...pgAlertRules(ctx));
  else if (s.database) rules.push({ alert: 'MySQLDown', expr: 'mysql_up == 0', for: '30s', labels: { severity: 'critical' }, annotations: { summary: 'MySQL on {{ $labels.node }} is down' } });
  if (s.cache) rules.push({ alert: 'RedisDown', expr: 'redis_up == 0', for: '30s', labels: { severity: 'critical' }, annotations: { summary: 'Redis on {{ $labels.node }} is down (redis_exporter cannot reach it)' } });
  if (ctx.lab.replicas.length && s.database?.engine !== 'postgresql') {
    rules.push(
      {
        alert: 'ReplicationStopped',
        expr: 'mysql_slave_status_slave_io_running == 0 or mysql_slave_status_slave_sql_running == 0',
        for: '1m',
        labels: { severity: 'critical' },
        annotations: { summary: 'Replication stopped on {{ $labels.node }}' },
      },
      {
        alert: 'ReplicationLag',
        expr: 'mysql_slave_status_seconds_behind_master - mysql_slave_status_sql_delay > 30',
        for: '2m',
        labels: { severity: 'warning' },
        annotations: { summary: '{{ $labels.node }} is {{ $value }} s behind its primary' },
      },
    );
  }
  for (const vip of s.vips) {
    const sel = `lab_vip_present{vip="${assertIpv4(vip.address)}"}`;
    rules.push(
      {
        alert: 'VIPMissing',
        expr: `sum by (vip) (${sel}) == 0 or absent(${sel})`,
        for: '30s',
        labels: { severity: 'critical' },
        annotations: { summary: `No load balancer holds VIP ${vip.address}` },
      },
      {
        alert: 'VIPSplitBrain',
        expr: `sum by (vip) (${sel}) > 1`,
        for: '30s',
        labels: { severity: 'critical' },
        annotations: { summary: `VIP ${vip.address} is held by {{ $value }} load balancers (split brain)` },
      },
    );
  }
  if (s.backup) {
    rules.push(
      { alert: 'BackupFailed', expr: 'halab_backup_last_status != 0', for: '1m', labels: { severity: 'critical' }, annotations: { summary: 'The last backup on {{ $labels.node }} failed' } },
      {
        alert: 'BackupStale',
        expr: 'time() - halab_backup_last_success_timestamp_seconds > 26 * 3600',
        for: '10m',
        labels: { severity: 'warning' },
        annotations: { summary: 'No successful backup on {{ $labels.node }} for more than 26 hours' },
      },
    );
  }
  return managedHeader(ctx) + stringify({ groups: [{ name: 'halab', rules }] }, { lineWidth: 0 });
}
