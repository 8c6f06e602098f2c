/**
 * Alertmanager (Slack receiver reading its webhook from a file, so it never
 * sits in the blueprint or in git).
 */
import { stringify } from 'yaml';
import { managedHeader, type RenderContext } from './context';

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

/**
 * Why the lab has no Loki and no promtail: Debian 12 packages neither (its
 * `loki` package is a genetics tool), the Linux lab's base image is built
 * from Debian packages only, and lab VMs have no internet to fetch Grafana's
 * binaries. So nothing is configured for them and port 3100 stays closed;
 * logs stay in each VM's journal and /var/log. The plan says so.
 */
export const LOGS_NOT_COLLECTED = 'logs stay in each VM (journal, /var/log): no Loki/promtail, which Debian 12 does not package';
