/**
 * Patroni 3.0 on each PostgreSQL node of a lab with replicas: the cluster
 * (scope) is the lab, the leader key lives in etcd (v3 API), PostgreSQL 15
 * runs from Patroni's own data directory with streaming replication and one
 * replication slot per member, `use_pg_rewind` so a failed primary rejoins
 * as a standby, and scram-sha-256 in pg_hba. `/etc/patroni/config.yml` is
 * what Debian's `patroni.service` reads. Pure.
 */
import { stringify } from 'yaml';
import { managedHeader, nodeOf, reach, type RenderContext, type RenderedFile } from './context';
import { etcdClientHosts } from './etcd';
import { PATRONI_PORT, PG_BIN_DIR, PG_PATRONI_DATA_DIR, PG_PORT, pgNodes, pgParameters, pgSuperuserPassword, renderPgHba, usesPatroni } from './postgres';
import { assertIpv4 } from './quote';

export const PATRONI_CONFIG_PATH = '/etc/patroni/config.yml';

/** The address other DB nodes reach `hostname` on (its connect_address). */
export function pgAddress(ctx: RenderContext, hostname: string): string {
  const peer = pgNodes(ctx).find((n) => n !== hostname);
  return assertIpv4(peer ? reach(ctx, peer, hostname) : nodeOf(ctx, hostname).nics[0]!.address);
}

/** Patroni's scope (cluster name): the lab's name. */
export function patroniScope(ctx: RenderContext): string {
  return ctx.lab.name.replace(/[^A-Za-z0-9-]/g, '-');
}

/** The Patroni configuration of one node, as an object (rendered to YAML by {@link renderPatroniConfig}). */
export function patroniConfig(ctx: RenderContext, hostname: string): Record<string, unknown> {
  const db = ctx.lab.lab.services.database!;
  const p = db.patroni!;
  const a = db.accounts;
  const addr = pgAddress(ctx, hostname);
  const hba = renderPgHba(ctx, hostname);
  const parameters = Object.fromEntries(pgParameters(ctx));
  return {
    scope: patroniScope(ctx),
    namespace: '/service/',
    name: hostname,
    log: { level: 'INFO' },
    restapi: { listen: `0.0.0.0:${PATRONI_PORT}`, connect_address: `${addr}:${PATRONI_PORT}` },
    etcd3: { hosts: etcdClientHosts(ctx, hostname) },
    bootstrap: {
      dcs: {
        ttl: p.ttl,
        loop_wait: p.loopWait,
        retry_timeout: p.retryTimeout,
        maximum_lag_on_failover: p.maximumLagOnFailover,
        synchronous_mode: p.synchronous,
        postgresql: { use_pg_rewind: true, use_slots: true, parameters },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
      pg_hba: hba,
    },
    postgresql: {
      listen: `0.0.0.0:${PG_PORT}`,
      connect_address: `${addr}:${PG_PORT}`,
      data_dir: PG_PATRONI_DATA_DIR,
      bin_dir: PG_BIN_DIR,
      pgpass: '/var/lib/postgresql/.pgpass-patroni',
      use_pg_rewind: true,
      remove_data_directory_on_rewind_failure: true,
      // Patroni talks to its own server over the socket (peer as postgres); standbys and pg_rewind use TCP with scram.
      use_unix_socket: true,
      authentication: {
        superuser: { username: 'postgres', password: pgSuperuserPassword(ctx) },
        replication: { username: a.replication.user, password: ctx.secrets.db.replication },
        rewind: { username: 'postgres', password: pgSuperuserPassword(ctx) },
      },
      parameters: { unix_socket_directories: '/var/run/postgresql' },
      pg_hba: hba,
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

export function renderPatroniConfig(ctx: RenderContext, hostname: string): string {
  return `${managedHeader(ctx)}# Patroni member ${hostname} of cluster ${patroniScope(ctx)}; the leader is whoever holds /service/${patroniScope(ctx)}/leader in etcd.\n${stringify(patroniConfig(ctx, hostname), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' })}`;
}

export function renderPatroniFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!usesPatroni(ctx) || !pgNodes(ctx).includes(hostname)) return [];
  return [{ path: PATRONI_CONFIG_PATH, mode: '0600', owner: 'postgres:postgres', content: renderPatroniConfig(ctx, hostname) }];
}
