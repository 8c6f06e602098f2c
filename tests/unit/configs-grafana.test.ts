/**
 * Grafana provisioning as rendered (issue 14 item 8): the Prometheus data
 * source and dashboard provider parse as YAML with the fields Grafana reads,
 * the dashboard is valid JSON whose every panel queries that data source
 * with a metric the lab's Prometheus really scrapes, and the rendered
 * firewall opens no port for Grafana (3000) or Loki (3100): those rules come
 * only from `grafana-steps.ts`, once the service answers
 * (grafana-install.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GRAFANA_DATASOURCE_UID, renderGrafanaDashboard, renderGrafanaDatasources, renderGrafanaFiles, renderGrafanaProvider } from '../../src-main/configs/grafana';
import { renderPrometheusConfig, renderPrometheusRules } from '../../src-main/configs/prometheus';
import { renderUfw } from '../../src-main/configs/ufw';
import { renderVipGauge } from '../../src-main/configs/keepalived';
import { loadLab, makeCtx } from '../golden/configs/support/render';

const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');

describe('Grafana provisioning', () => {
  it('the data sources: the lab Prometheus on loopback (the default) and Loki on its VM, neither editable', () => {
    const doc = parse(renderGrafanaDatasources(ctx)) as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toEqual([
      expect.objectContaining({ name: 'Prometheus', type: 'prometheus', uid: GRAFANA_DATASOURCE_UID, access: 'proxy', url: 'http://127.0.0.1:9090', isDefault: true, editable: false }),
      // The seed places Loki beside Prometheus (lb-slave): loopback too.
      expect.objectContaining({ name: 'Loki', type: 'loki', url: 'http://127.0.0.1:3100', isDefault: false, editable: false }),
    ]);
  });

  it('the provider loads the dashboards folder', () => {
    const doc = parse(renderGrafanaProvider(ctx)) as { providers: { type: string; options: { path: string } }[] };
    expect(doc.providers[0]).toMatchObject({ type: 'file', options: { path: '/etc/halab/grafana/dashboards' } });
  });

  it('the dashboard is JSON; every panel uses the data source and a metric the lab produces', () => {
    const d = JSON.parse(renderGrafanaDashboard(ctx)) as { uid: string; title: string; panels: { id: number; datasource: { uid: string }; targets: { expr: string }[]; gridPos: { x: number; y: number; w: number; h: number } }[] };
    expect(d.title).toBe('HA Lab: vmware-3tier-ha');
    expect(d.uid).toMatch(/^[a-z0-9_-]{1,40}$/);
    expect(d.panels.length).toBeGreaterThanOrEqual(5);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    // No two panels overlap on the 24-column grid.
    const cells = new Set<string>();
    for (const p of d.panels) for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
      expect(cells.has(`${x},${y}`)).toBe(false);
      cells.add(`${x},${y}`);
    }
    // Each metric comes from a job in prometheus.yml (node, mysqld) or the VIP gauge the load balancers write.
    const produced = `${renderPrometheusConfig(ctx)}\n${renderPrometheusRules(ctx)}\n${renderVipGauge(ctx, 'lb-master')}`;
    for (const p of d.panels) {
      expect(p.datasource.uid).toBe(GRAFANA_DATASOURCE_UID);
      const metric = p.targets[0]!.expr.match(/\b(up|node_[A-Za-z_]+|mysql_[a-z_]+|lab_vip_present)\b/)?.[1];
      expect(metric, p.targets[0]!.expr).toBeDefined();
      if (metric!.startsWith('node_')) expect(produced).toMatch(/job_name: node/);
      else if (metric!.startsWith('mysql_')) expect(produced).toMatch(/job_name: mysqld/);
      else if (metric === 'lab_vip_present') expect(produced).toMatch(/lab_vip_present/);
    }
    expect(renderGrafanaDashboard(ctx)).toBe(renderGrafanaDashboard(ctx));
  });

  it('the rendered firewall opens no port for Grafana or Loki on any VM', () => {
    for (const n of ctx.lab.nodes) {
      const rules = renderUfw(ctx, n.hostname).commands.map((c) => c.join(' '));
      expect(rules.filter((r) => / port (3000|3100) /.test(r) && !/halab app/.test(r)), n.hostname).toEqual([]);
    }
    expect(renderGrafanaFiles(ctx).map((f) => f.path)).toEqual(['/etc/grafana/provisioning/datasources/halab.yaml', '/etc/grafana/provisioning/dashboards/halab.yaml', '/etc/halab/grafana/dashboards/halab-lab.json']);
  });
});
