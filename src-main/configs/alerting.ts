/**
 * Alertmanager (Slack receiver reading its webhook from a file, so it never
 * sits in the blueprint or in git), Loki, and the promtail log shipper.
 */
import { stringify } from 'yaml';
import { dbNodes, managedHeader, monitoringHosts, nodeOf, reach, type RenderContext } from './context';
import { KEEPALIVED_STATE_LOG } from './keepalived';
import { assertIpv4 } from './quote';

export const ALERTMANAGER_CONF_PATH = '/etc/prometheus/alertmanager.yml';
export const DEFAULT_SLACK_URL_FILE = '/etc/alertmanager/slack_webhook_url';

/** alertmanager.yml: Slack when configured, else a receiver that drops everything. */
export function renderAlertmanagerConfig(ctx: RenderContext): string {
  const recv = ctx.lab.lab.services.monitoring?.alertReceiver;
  const slack = (channel: string) => ({
    slack_configs: [
      {
        api_url_file: recv?.webhookUrlFile ?? DEFAULT_SLACK_URL_FILE,
        channel,
        send_resolved: true,
        title: `[{{ .Status | toUpper }}] ${ctx.lab.name}: {{ .CommonLabels.alertname }}`,
        text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}',
      },
    ],
  });
  const receivers = recv ? [{ name: 'slack-default', ...slack(recv.channel) }, { name: 'slack-critical', ...slack(recv.channel) }] : [{ name: 'null' }];
  const route = recv
    ? { receiver: 'slack-default', group_by: ['alertname', 'node'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h', routes: [{ matchers: ['severity="critical"'], receiver: 'slack-critical', group_wait: '10s' }] }
    : { receiver: 'null', group_by: ['alertname', 'node'] };
  const doc = {
    route,
    receivers,
    inhibit_rules: [{ source_matchers: ['alertname="InstanceDown"'], target_matchers: ['severity="warning"'], equal: ['node'] }],
  };
  return managedHeader(ctx) + stringify(doc, { lineWidth: 0 });
}

/** Loki single-binary config with filesystem storage and 7-day retention (not packaged by Debian). */
export function renderLokiConfig(ctx: RenderContext): string {
  const doc = {
    auth_enabled: false,
    server: { http_listen_port: 3100, grpc_listen_port: 9096 },
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
  };
  return managedHeader(ctx) + stringify(doc, { lineWidth: 0 });
}

/** promtail for one node: its role's log files and the journal of the lab's units, pushed to Loki. */
export function renderPromtailConfig(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const m = monitoringHosts(ctx);
  if (!m) throw new Error('The lab has no monitoring service.');
  const loki = m.loki === hostname ? '127.0.0.1' : assertIpv4(reach(ctx, hostname, m.loki));
  const file = (job: string, path: string) => ({ job_name: job, static_configs: [{ targets: ['localhost'], labels: { job, node: hostname, __path__: path } }] });
  const jobs: Record<string, unknown>[] = [];
  const s = ctx.lab.lab.services;
  if (s.loadBalancer?.members.includes(hostname)) jobs.push(file('nginx', '/var/log/nginx/*.log'));
  if (s.vips.some((v) => v.members.some((x) => x.node === hostname))) jobs.push(file('keepalived-state', KEEPALIVED_STATE_LOG));
  if (dbNodes(ctx).includes(hostname)) jobs.push(file('mysql', '/var/log/mysql/error.log'));
  if (s.backup?.runOn === hostname) jobs.push(file('backup', '/var/log/halab/backup.log'));
  jobs.push({
    job_name: 'journal',
    journal: { max_age: '12h', labels: { job: 'journal', node: hostname } },
    relabel_configs: [
      { source_labels: ['__journal__systemd_unit'], target_label: 'unit' },
      { source_labels: ['__journal__systemd_unit'], regex: '(halab-.*|keepalived|nginx|mariadb|mysql)\\.service', action: 'keep' },
    ],
  });
  const doc = {
    server: { http_listen_port: 9080, grpc_listen_port: 0 },
    positions: { filename: '/var/lib/promtail/positions.yaml' },
    clients: [{ url: `http://${loki}:3100/loki/api/v1/push`, external_labels: { lab: ctx.lab.name } }],
    scrape_configs: jobs,
  };
  return managedHeader(ctx) + stringify(doc, { lineWidth: 0 });
}
