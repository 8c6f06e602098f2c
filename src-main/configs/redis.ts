/**
 * Redis with Sentinel (`services.cache`): redis.conf for the primary and its
 * replicas, sentinel.conf for each Sentinel, their UFW rules, and the
 * redis-cli command lines the provisioner, monitor and drill use. Pure.
 *
 * Redis and Sentinel rewrite their own config files (a failover moves
 * `replicaof`; Sentinel records what it learnt). So these files are written
 * only when the blueprint's version changed: each starts with a
 * `# halab-seed: <sha256>` line of its rendered content, which both keep on
 * rewrite (comments survive CONFIG REWRITE), and the provisioner compares
 * that line, not the whole file.
 */
import { managedHeader, nicOn, nodeOf, reach, sourcesOf, type RenderContext, type RenderedFile } from './context';
import { assertIpv4, confString, envValue, safeId } from './quote';
import type { ResolvedLab } from '../shared/blueprint/model';

export const REDIS_CONF_PATH = '/etc/redis/redis.conf';
export const SENTINEL_CONF_PATH = '/etc/redis/sentinel.conf';
export const REDIS_UNIT = 'redis-server.service';
export const SENTINEL_UNIT = 'redis-sentinel.service';
/** redis_exporter (Debian's prometheus-redis-exporter) on every Redis node, scraped by Prometheus when the lab has one. */
export const REDIS_EXPORTER_PORT = 9121;
export const REDIS_EXPORTER_UNIT = 'prometheus-redis-exporter.service';
export const REDIS_EXPORTER_ENV_PATH = '/etc/default/prometheus-redis-exporter';
/** The first line of every seeded file: `# halab-seed: <sha256 of the rest>`. */
export const SEED_PREFIX = '# halab-seed: ';

export type CacheService = NonNullable<ResolvedLab['lab']['services']['cache']>;

/** The lab's cache service; throws when it has none. */
export function cacheOf(ctx: RenderContext): CacheService {
  const c = ctx.lab.lab.services.cache;
  if (!c) throw new Error('The lab has no cache service.');
  return c;
}

/** Redis nodes: the primary first, then the replicas. */
export function redisNodes(ctx: RenderContext): string[] {
  const c = ctx.lab.lab.services.cache;
  return c ? [...new Set([c.primary, ...c.replicas])] : [];
}

export function sentinelNodes(ctx: RenderContext): string[] {
  return [...new Set(ctx.lab.lab.services.cache?.sentinels ?? [])];
}

/** The cache passwords (generated per lab; older labs get theirs on the next `up`). */
export function cacheSecrets(ctx: RenderContext): { password: string; sentinelPassword: string } {
  const s = ctx.secrets.cache;
  if (!s) throw new Error('The lab secrets have no cache passwords; run "halab up" again to add them.');
  return s;
}

/** The node's lab addresses (one per NIC), for `bind`. */
function labAddresses(ctx: RenderContext, hostname: string): string[] {
  return nodeOf(ctx, hostname).nics.map((n) => assertIpv4(nicOn(ctx, hostname, n.network).address));
}

/** The address every Sentinel knows the blueprint's primary by: its first NIC's. */
export function primaryAddress(ctx: RenderContext, livePrimary?: string): string {
  const p = nodeOf(ctx, livePrimary ?? cacheOf(ctx).primary);
  return assertIpv4(p.nics[0]?.address ?? '');
}

/**
 * systemd drop-ins for Redis and Sentinel: they bind to the lab address,
 * which after a reboot (a drill's power cut) may come up after them. Wait
 * for it (at most 10 s, `+`: outside the unit's sandbox, which allows no
 * other program), and never hit the start limit while restarting.
 */
export function renderCacheDropIns(ctx: RenderContext, hostname: string): RenderedFile[] {
  const addr = labAddresses(ctx, hostname)[0];
  if (!addr) return [];
  const body = `${managedHeader(ctx)}[Unit]\nAfter=network-online.target\nWants=network-online.target\nStartLimitIntervalSec=0\n\n[Service]\nExecStartPre=+/bin/sh -c 'i=0; until ip -4 -o addr show | grep -qF " ${addr}/"; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done'\nRestartSec=1\n`;
  const out: RenderedFile[] = [];
  if (redisNodes(ctx).includes(hostname)) out.push({ path: '/etc/systemd/system/redis-server.service.d/halab.conf', mode: '0644', content: body });
  if (sentinelNodes(ctx).includes(hostname)) out.push({ path: '/etc/systemd/system/redis-sentinel.service.d/halab.conf', mode: '0644', content: body });
  return out;
}

/**
 * redis_exporter's environment on a Redis node: the local Redis over
 * loopback with the password (read by systemd as root: the file is 0600),
 * listening on 9121, which UFW opens only to Prometheus.
 */
export function renderRedisExporterFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!redisNodes(ctx).includes(hostname)) return [];
  const c = cacheOf(ctx);
  const content = `${managedHeader(ctx)}REDIS_ADDR=${envValue(`redis://127.0.0.1:${c.port}`, 'REDIS_ADDR')}\nREDIS_PASSWORD=${envValue(cacheSecrets(ctx).password, 'REDIS_PASSWORD')}\nARGS=${envValue(`-web.listen-address=:${REDIS_EXPORTER_PORT}`, 'ARGS')}\n`;
  return [{ path: REDIS_EXPORTER_ENV_PATH, mode: '0600', content }];
}

/** A seeded file: the seed line, then the content (see the module header). */
export function seeded(content: string, sha256: (s: string) => string): string {
  return `${SEED_PREFIX}${sha256(content)}\n${content}`;
}

/** redis.conf of one Redis node (primary or replica), before seeding. */
export function renderRedisConf(ctx: RenderContext, hostname: string, livePrimary?: string): string {
  const c = cacheOf(ctx);
  if (!redisNodes(ctx).includes(hostname)) throw new Error(`${hostname} runs no Redis.`);
  const pw = cacheSecrets(ctx).password;
  // After a failover the primary is where Sentinel put it (`livePrimary`), not the blueprint's.
  const primaryVm = livePrimary ?? c.primary;
  const replicaOf = hostname === primaryVm ? [] : [`replicaof ${assertIpv4(reach(ctx, hostname, primaryVm))} ${c.port}`];
  return `${managedHeader(ctx)}# Redis ${hostname === primaryVm ? 'primary' : `replica of ${primaryVm}`} of "${safeId(c.masterName)}"; Sentinel moves replicaof on a failover.
bind ${[...labAddresses(ctx, hostname), '127.0.0.1'].join(' ')}
protected-mode yes
port ${c.port}
requirepass ${confString(pw, 'Redis password')}
masterauth ${confString(pw, 'Redis password')}
${replicaOf.join('\n')}${replicaOf.length ? '\n' : ''}replica-read-only yes
replica-serve-stale-data yes
dir /var/lib/redis
dbfilename dump.rdb
appendonly yes
appendfsync everysec
maxmemory ${c.maxmemoryMiB}mb
maxmemory-policy noeviction
pidfile /run/redis/redis-server.pid
logfile ""
loglevel notice
`;
}

/** sentinel.conf of one Sentinel, before seeding. */
export function renderSentinelConf(ctx: RenderContext, hostname: string, livePrimary?: string): string {
  const c = cacheOf(ctx);
  if (!sentinelNodes(ctx).includes(hostname)) throw new Error(`${hostname} runs no Sentinel.`);
  const s = cacheSecrets(ctx);
  const name = safeId(c.masterName);
  // Every Sentinel names the primary by the same address (its first NIC's), so they agree on it.
  const primary = primaryAddress(ctx, livePrimary);
  return `${managedHeader(ctx)}# Sentinel on ${hostname}: watches "${name}" (quorum ${c.quorum} of ${sentinelNodes(ctx).length}, down after ${c.downAfterMs} ms).
bind ${[...labAddresses(ctx, hostname), '127.0.0.1'].join(' ')}
protected-mode yes
port ${c.sentinelPort}
requirepass ${confString(s.sentinelPassword, 'Sentinel password')}
sentinel sentinel-pass ${confString(s.sentinelPassword, 'Sentinel password')}
sentinel resolve-hostnames no
dir /var/lib/redis
pidfile /run/sentinel/redis-sentinel.pid
logfile ""
sentinel monitor ${name} ${primary} ${c.port} ${c.quorum}
sentinel auth-pass ${name} ${confString(s.password, 'Redis password')}
sentinel down-after-milliseconds ${name} ${c.downAfterMs}
sentinel failover-timeout ${name} ${c.failoverTimeoutMs}
sentinel parallel-syncs ${name} 1
`;
}

/**
 * UFW rules of the cache: Redis (6379) from the other Redis nodes, the
 * Sentinels and the app servers; Sentinel (26379) from the other Sentinels,
 * the app servers and the admin sources. `allow(src, port, comment)` adds
 * one `ufw allow from SRC to any port PORT proto tcp`.
 */
export function cacheFirewall(ctx: RenderContext, hostname: string, allow: (src: string, port: number, comment: string) => void): void {
  const c = ctx.lab.lab.services.cache;
  if (!c) return;
  const apps = ctx.lab.lab.services.app?.members ?? [];
  const from = (port: number, peers: string[], comment: string) => {
    for (const p of new Set(peers)) if (p !== hostname) for (const src of sourcesOf(ctx, hostname, p)) allow(src, port, `${comment} from ${p}`);
  };
  if (redisNodes(ctx).includes(hostname)) from(c.port, [...redisNodes(ctx), ...sentinelNodes(ctx), ...apps], 'halab redis');
  if (sentinelNodes(ctx).includes(hostname)) from(c.sentinelPort, [...sentinelNodes(ctx), ...apps], 'halab sentinel');
  const prom = ctx.lab.lab.services.monitoring?.prometheus;
  if (prom && redisNodes(ctx).includes(hostname)) from(REDIS_EXPORTER_PORT, [prom], 'halab redis_exporter');
}

/** argv of redis-cli against Redis on `host` (the password goes through REDISCLI_AUTH, not the command line). */
export function redisCli(ctx: RenderContext, host: string, opts: { sentinel?: boolean } = {}): string[] {
  const c = cacheOf(ctx);
  const s = cacheSecrets(ctx);
  return ['env', `REDISCLI_AUTH=${opts.sentinel ? s.sentinelPassword : s.password}`, 'redis-cli', '--no-auth-warning', '-h', assertIpv4(host), '-p', String(opts.sentinel ? c.sentinelPort : c.port)];
}

/** `INFO replication` as a map of its fields. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** `SENTINEL get-master-addr-by-name` output (two lines: ip, port) as `ip:port`, or undefined. */
export function parseMasterAddr(text: string): string | undefined {
  const [ip, port] = text.trim().split(/\r?\n/).map((l) => l.trim());
  return ip && port && /^\d+\.\d+\.\d+\.\d+$/.test(ip) && /^\d+$/.test(port) ? `${ip}:${port}` : undefined;
}

/** The node whose address (on any NIC) is `ip`. */
export function nodeByAddress(ctx: RenderContext, ip: string): string | undefined {
  return ctx.lab.nodes.find((n) => n.nics.some((x) => x.address === ip))?.hostname;
}
