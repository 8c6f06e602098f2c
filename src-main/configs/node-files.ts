/**
 * Every file for one node according to its roles and the services it takes
 * part in; the provisioning engine uploads them. Also the paths it should
 * remove and the systemd units it should enable.
 */
import { renderAlertmanagerConfig, ALERTMANAGER_CONF_PATH } from './alerting';
import { renderAppFiles } from './app';
import { renderBackupFiles } from './backup';
import { dbNodes, monitoringHosts, nodeOf, type RenderContext, type RenderedFile } from './context';
import { renderKeepalivedFiles, vipGroupsOf } from './keepalived';
import { renderDatabaseFiles, renderNodeExporterDefaults } from './mysql-server';
import { NGINX_CONF_PATH, renderNginxConf } from './nginx';
import { HAPROXY_CONF_PATH, lbEngine, lbUnit, renderHaproxyConf } from './haproxy';
import { REDIS_EXPORTER_UNIT, REDIS_UNIT, redisNodes, renderCacheDropIns, renderRedisExporterFiles, SENTINEL_UNIT, sentinelNodes } from './redis';

/** HAProxy, Redis and Sentinel (issue 14): off on every VM whose roles do not need them. */
const CACHE_LB_UNITS = ['haproxy.service', REDIS_UNIT, SENTINEL_UNIT, REDIS_EXPORTER_UNIT];
import { PROMETHEUS_CONF_PATH, PROMETHEUS_RULES_PATH, renderPrometheusConfig, renderPrometheusRules } from './prometheus';
import { OBSOLETE_SYSTEM_PATHS, renderSystemFiles } from './system';

/** Configs earlier versions wrote for Loki and promtail, which never ran (see LOGS_NOT_COLLECTED): removed on re-apply. */
export const RETIRED_PATHS = ['/etc/loki/config.yml', '/etc/promtail/config.yml'];

/** Every file for `hostname`, sorted by path. */
export function renderNodeFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  nodeOf(ctx, hostname);
  const s = ctx.lab.lab.services;
  const files: RenderedFile[] = [...renderSystemFiles(ctx, hostname), renderNodeExporterDefaults(ctx)];
  if (s.loadBalancer?.members.includes(hostname)) files.push(lbEngine(ctx) === 'haproxy' ? { path: HAPROXY_CONF_PATH, mode: '0644', content: renderHaproxyConf(ctx, hostname) } : { path: NGINX_CONF_PATH, mode: '0644', content: renderNginxConf(ctx, hostname) });
  files.push(...renderKeepalivedFiles(ctx, hostname));
  files.push(...renderCacheDropIns(ctx, hostname));
  files.push(...renderRedisExporterFiles(ctx, hostname));
  files.push(...renderAppFiles(ctx, hostname));
  if (dbNodes(ctx).includes(hostname)) files.push(...renderDatabaseFiles(ctx, hostname));
  files.push(...renderBackupFiles(ctx, hostname));
  const mon = monitoringHosts(ctx);
  if (mon) {
    if (mon.prometheus === hostname) {
      files.push({ path: PROMETHEUS_CONF_PATH, mode: '0644', content: renderPrometheusConfig(ctx) }, { path: PROMETHEUS_RULES_PATH, mode: '0644', content: renderPrometheusRules(ctx) });
    }
    if (mon.alertmanager === hostname) files.push({ path: ALERTMANAGER_CONF_PATH, mode: '0644', content: renderAlertmanagerConfig(ctx) });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`Two renderers produced ${f.path} for ${hostname}.`);
    seen.add(f.path);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Files to delete on `hostname` before (re)starting services. */
export function obsoletePaths(ctx: RenderContext, hostname: string): string[] {
  const out = [...OBSOLETE_SYSTEM_PATHS, ...RETIRED_PATHS];
  // Debian's default site also listens on 80 as default_server and would clash.
  if (ctx.lab.lab.services.loadBalancer?.members.includes(hostname) && lbEngine(ctx) === 'nginx') out.push('/etc/nginx/sites-enabled/default');
  return out;
}

/** systemd units to enable and (re)start on `hostname`, in a sensible order. */
export function unitsFor(ctx: RenderContext, hostname: string): string[] {
  const s = ctx.lab.lab.services;
  const units = ['prometheus-node-exporter.service'];
  if (dbNodes(ctx).includes(hostname)) units.push(ctx.engine === 'mariadb' ? 'mariadb.service' : 'mysql.service', 'prometheus-mysqld-exporter.service');
  if (s.app?.members.includes(hostname)) units.push('halab-app.service');
  if (s.loadBalancer?.members.includes(hostname)) units.push(lbUnit(ctx));
  // Redis and Sentinel: enabled here; their config files are seeded by cache-steps.ts (they rewrite them).
  if (redisNodes(ctx).includes(hostname)) units.push(REDIS_UNIT, REDIS_EXPORTER_UNIT);
  if (sentinelNodes(ctx).includes(hostname)) units.push(SENTINEL_UNIT);
  if (vipGroupsOf(ctx, hostname).length) units.push('keepalived.service', 'halab-vip-gauge.timer');
  if (s.backup?.runOn === hostname) units.push('halab-backup.timer');
  const mon = monitoringHosts(ctx);
  if (mon?.prometheus === hostname) units.push('prometheus.service');
  if (mon?.alertmanager === hostname) units.push('prometheus-alertmanager.service');
  return units;
}

/**
 * Every unit a role brings, on any VM: the base image (and a VMware template)
 * may carry every role's packages, and Debian enables what it installs. A
 * VM runs only {@link unitsFor}; the rest are stopped, disabled and masked
 * ({@link unwantedUnits}). Socket units are always masked: MariaDB's socket
 * listens on *:3306 and overrides the server's bind_address.
 */
export function roleUnits(ctx: RenderContext): string[] {
  const db = ctx.engine === 'mariadb' ? ['mariadb.service', 'mariadb.socket', 'mariadb-extra.socket'] : ['mysql.service'];
  return [...db, 'prometheus-mysqld-exporter.service', 'nginx.service', 'keepalived.service', 'prometheus.service', 'prometheus-alertmanager.service', ...CACHE_LB_UNITS];
}

/** Role units `hostname` must not run: stopped, disabled and masked by the provisioner. */
export function unwantedUnits(ctx: RenderContext, hostname: string): string[] {
  const wanted = new Set(unitsFor(ctx, hostname));
  return roleUnits(ctx).filter((u) => !wanted.has(u));
}
