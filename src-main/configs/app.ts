/**
 * The sample reservation app on an app server: its environment file,
 * systemd unit and a docker-compose.yml (a seed deliverable). The app's code
 * itself ships in resources/guest/app and is uploaded as is ({@link APP_SOURCE_FILES}).
 */
import { stringify } from 'yaml';
import { appPort, managedHeader, nodeOf, reach, type RenderContext, type RenderedFile } from './context';
import { envValue } from './quote';
import { cacheSecrets, sentinelNodes } from './redis';

export const APP_DIR = '/opt/halab-app';
export const APP_ETC = '/etc/halab-app';
export const APP_ENV_PATH = `${APP_ETC}/app.env`;
/** Present (its text is the reason) = maintenance mode: new reservations are refused. */
export const APP_MAINTENANCE_FILE = `${APP_ETC}/maintenance`;
/** When present, its content (an address) overrides DB_PRIMARY_HOST: the DB failover drill writes it. */
export const APP_PRIMARY_OVERRIDE_FILE = `${APP_ETC}/db-primary`;

/** Files of the app to upload from the repository, relative to the repo root. */
export const APP_SOURCE_FILES: { source: string; path: string; mode: string }[] = [
  { source: 'resources/guest/app/server.mjs', path: `${APP_DIR}/server.mjs`, mode: '0644' },
  { source: 'resources/guest/app/mysql-client.mjs', path: `${APP_DIR}/mysql-client.mjs`, mode: '0644' },
  { source: 'resources/guest/app/pg-client.mjs', path: `${APP_DIR}/pg-client.mjs`, mode: '0644' },
  { source: 'resources/guest/app/redis-cache.mjs', path: `${APP_DIR}/redis-cache.mjs`, mode: '0644' },
];

/** Environment of the app on `hostname` (KEY='value' lines, read by systemd and docker compose alike). */
export function renderAppEnv(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const s = ctx.lab.lab.services;
  const db = s.database;
  const vars: [string, string][] = [
    ['APP_HOSTNAME', hostname],
    ['HOST', '0.0.0.0'],
    ['PORT', String(appPort(ctx))],
    ['MAINTENANCE_FILE', APP_MAINTENANCE_FILE],
    ['DB_PRIMARY_FILE', APP_PRIMARY_OVERRIDE_FILE],
  ];
  if (db?.engine === 'postgresql') {
    // The app finds the leader itself among every PostgreSQL node (read-write, like libpq's target_session_attrs=read-write).
    const hosts = [db.primary, ...ctx.lab.replicas.map((r) => r.node)].map((n) => `${reach(ctx, hostname, n)}:5432`);
    vars.push(['DB_ENGINE', 'postgresql'], ['DB_HOSTS', hosts.join(',')], ['DB_USER', db.accounts.app.user], ['DB_PASSWORD', ctx.secrets.db.app], ['DB_NAME', db.schema]);
  } else if (db) {
    vars.push(['DB_PRIMARY_HOST', reach(ctx, hostname, db.primary)], ['DB_PORT', '3306'], ['DB_USER', db.accounts.app.user], ['DB_PASSWORD', ctx.secrets.db.app], ['DB_NAME', db.schema]);
    const replica = ctx.lab.replicas[0];
    if (s.app?.readFromReplica && replica) vars.push(['DB_REPLICA_HOST', reach(ctx, hostname, replica.node)]);
  }
  const cache = s.cache;
  if (cache) {
    // Look-ups cached in Redis; the app asks the Sentinels for the primary itself (redis-cache.mjs).
    const sentinels = sentinelNodes(ctx).map((n) => `${reach(ctx, hostname, n)}:${cache.sentinelPort}`);
    const pw = cacheSecrets(ctx);
    vars.push(['CACHE_SENTINELS', sentinels.join(',')], ['CACHE_MASTER_NAME', cache.masterName], ['CACHE_PASSWORD', pw.password], ['CACHE_SENTINEL_PASSWORD', pw.sentinelPassword]);
  }
  return managedHeader(ctx) + vars.map(([k, v]) => `${k}=${envValue(v, k)}`).join('\n') + '\n';
}

/** The systemd unit. Restart=always: a killed app comes back within a second. */
export function renderAppUnit(ctx: RenderContext): string {
  return `${managedHeader(ctx)}[Unit]
Description=HA Lab reservation app
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
EnvironmentFile=${APP_ENV_PATH}
ExecStart=/usr/bin/node ${APP_DIR}/server.mjs
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`;
}

/**
 * docker-compose.yml running the same code in node:18-alpine. Host
 * networking on purpose: ports published by Docker bypass UFW's INPUT rules,
 * so the "app port only from the load balancers" policy would not hold.
 */
export function renderAppCompose(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const port = appPort(ctx);
  const doc = {
    name: 'halab-app',
    services: {
      app: {
        image: 'node:18-alpine',
        container_name: 'halab-app',
        command: ['node', '/app/server.mjs'],
        working_dir: '/app',
        network_mode: 'host',
        env_file: [APP_ENV_PATH],
        environment: { APP_HOSTNAME: hostname },
        volumes: [`${APP_DIR}:/app:ro`, `${APP_ETC}:${APP_ETC}:ro`],
        restart: 'unless-stopped',
        healthcheck: {
          test: ['CMD', 'node', '-e', `require('http').get('http://127.0.0.1:${port}/health', r => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`],
          interval: '10s',
          timeout: '3s',
          retries: 3,
        },
      },
    },
  };
  return managedHeader(ctx) + '# Alternative to halab-app.service (run one or the other, not both).\n' + stringify(doc, { lineWidth: 0 });
}

/** Every rendered app file of one app server. */
export function renderAppFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!ctx.lab.lab.services.app?.members.includes(hostname)) return [];
  return [
    { path: APP_ENV_PATH, mode: '0600', content: renderAppEnv(ctx, hostname) },
    { path: '/etc/systemd/system/halab-app.service', mode: '0644', content: renderAppUnit(ctx) },
    { path: `${APP_DIR}/docker-compose.yml`, mode: '0644', content: renderAppCompose(ctx, hostname) },
  ];
}
