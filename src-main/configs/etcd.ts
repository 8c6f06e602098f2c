/**
 * etcd (3.4, Debian's etcd-server) for Patroni: one member per node named in
 * `database.patroni.etcd`, configured through `/etc/default/etcd` (the
 * package's unit reads it as its environment). Plain HTTP on the lab's own
 * network: peers on 2380, clients (Patroni) on 2379. Pure.
 */
import { managedHeader, nodeOf, reach, type RenderContext, type RenderedFile } from './context';
import { assertHostname, assertIpv4, envValue } from './quote';

export const ETCD_ENV_PATH = '/etc/default/etcd';
export const ETCD_DATA_DIR = '/var/lib/etcd/halab';
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

/** The etcd members of the lab (empty without Patroni). */
export function etcdMembers(ctx: RenderContext): string[] {
  const db = ctx.lab.lab.services.database;
  return db?.engine === 'postgresql' && db.patroni ? [...new Set(db.patroni.etcd)] : [];
}

/**
 * The address a member is known by to its peers and to Patroni: its address
 * on the first network every member shares with it (its first NIC otherwise;
 * validation makes sure every pair shares one).
 */
export function etcdAddress(ctx: RenderContext, member: string): string {
  const others = etcdMembers(ctx).filter((m) => m !== member);
  const node = nodeOf(ctx, member);
  if (!others.length) return assertIpv4(node.nics[0]!.address);
  return assertIpv4(reach(ctx, others[0]!, member));
}

/** `name=http://addr:2380,…` for ETCD_INITIAL_CLUSTER. */
export function etcdInitialCluster(ctx: RenderContext): string {
  return etcdMembers(ctx).map((m) => `${assertHostname(m)}=http://${etcdAddress(ctx, m)}:${ETCD_PEER_PORT}`).join(',');
}

/** Client URLs (`addr:2379`) for `client` to reach every member (Patroni's `etcd3.hosts`). */
export function etcdClientHosts(ctx: RenderContext, client: string): string[] {
  return etcdMembers(ctx).map((m) => `${m === client ? etcdAddress(ctx, m) : assertIpv4(reach(ctx, client, m))}:${ETCD_CLIENT_PORT}`);
}

/** The environment file of one member. */
export function renderEtcdEnv(ctx: RenderContext, member: string): string {
  if (!etcdMembers(ctx).includes(member)) throw new Error(`${member} is not an etcd member of lab ${ctx.lab.name}.`);
  const addr = etcdAddress(ctx, member);
  const vars: [string, string][] = [
    ['ETCD_NAME', assertHostname(member)],
    ['ETCD_DATA_DIR', ETCD_DATA_DIR],
    ['ETCD_LISTEN_PEER_URLS', `http://${addr}:${ETCD_PEER_PORT}`],
    ['ETCD_LISTEN_CLIENT_URLS', `http://${addr}:${ETCD_CLIENT_PORT},http://127.0.0.1:${ETCD_CLIENT_PORT}`],
    ['ETCD_INITIAL_ADVERTISE_PEER_URLS', `http://${addr}:${ETCD_PEER_PORT}`],
    ['ETCD_ADVERTISE_CLIENT_URLS', `http://${addr}:${ETCD_CLIENT_PORT}`],
    ['ETCD_INITIAL_CLUSTER', etcdInitialCluster(ctx)],
    ['ETCD_INITIAL_CLUSTER_STATE', 'new'],
    ['ETCD_INITIAL_CLUSTER_TOKEN', `halab-${ctx.lab.name.replace(/[^A-Za-z0-9-]/g, '-')}`],
    // Defaults, written out so a student sees what decides the leader election (ms).
    ['ETCD_HEARTBEAT_INTERVAL', '100'],
    ['ETCD_ELECTION_TIMEOUT', '1000'],
  ];
  return `${managedHeader(ctx)}# etcd member ${member} of ${etcdMembers(ctx).length}: Patroni keeps its leader key here.\n${vars.map(([k, v]) => `${k}=${envValue(v, k)}`).join('\n')}\n`;
}

export function renderEtcdFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!etcdMembers(ctx).includes(hostname)) return [];
  return [{ path: ETCD_ENV_PATH, mode: '0644', content: renderEtcdEnv(ctx, hostname) }];
}
