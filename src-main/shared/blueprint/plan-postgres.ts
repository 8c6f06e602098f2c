/** Plan lines of a PostgreSQL database (Patroni, etcd, exporter). Browser-safe. */
import { list, msg, type Message } from '../i18n';
import type { ResolvedLab } from './model';

export function pgPlanLines(r: ResolvedLab): Message[] {
  const db = r.lab.services.database;
  if (!db || db.engine !== 'postgresql') return [];
  const nodes = [db.primary, ...r.replicas.map((x) => x.node)];
  const out: Message[] = [r.replicas.length === 0 ? msg('pg.plan.single', { primary: db.primary, schema: db.schema }) : msg('pg.plan.db', { primary: db.primary, replicas: r.replicas.length ? msg('plan.dbReplicas', { replicas: list(r.replicas.map((x) => x.node)) }) : '', schema: db.schema })];
  const p = db.patroni;
  if (p && r.replicas.length) out.push(msg('pg.plan.patroni', { nodes: list(nodes), etcd: list(p.etcd), ttl: p.ttl, loop: p.loopWait, retry: p.retryTimeout, lag: p.maximumLagOnFailover, sync: msg(p.synchronous ? 'pg.plan.sync' : 'pg.plan.async') }));
  if (r.lab.services.monitoring) out.push(msg('pg.plan.exporter', { nodes: list(nodes) }));
  return out;
}
