/**
 * Objective rules (issue 14 item 7): `objectives:` states availability,
 * RTO and RPO. The schema checks the ranges; these warn where the lab as
 * designed cannot meet them or nothing would measure them. Browser-safe.
 */
import { msg, type Message } from '../i18n';
import { issue, type Issue, type IssuePath } from './issues';
import { dbReplicationOf, masterDownMs, vrrpVersion } from './model';
import type { Lab } from './schema';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

export function checkObjectives(ctx: Ctx): void {
  const { lab, issues } = ctx;
  const o = lab.objectives;
  if (!o) return;
  const warn = (code: string, path: IssuePath, m: Message, f?: Message) => issues.push(issue('warning', code, path, m, f));
  // A load balancer failover takes at least VRRP's master-down interval: an RTO below it cannot be met.
  if (o.rtoSeconds !== undefined) {
    for (const v of lab.services.vips) {
      const backup = [...v.members].sort((a, b) => b.priority - a.priority)[1];
      if (!backup) continue;
      const mdi = masterDownMs(vrrpVersion(v), v.advertInterval, backup.priority);
      if (o.rtoSeconds * 1000 < mdi) warn('objective-rto-below-vrrp', ['objectives', 'rtoSeconds'], msg('drill.v.rtoBelowVrrp', { rto: o.rtoSeconds, name: v.name, ms: mdi }), msg('drill.v.rtoBelowVrrp.fix'));
    }
  }
  // RPO 0 means no acknowledged write may be lost: asynchronous replication cannot promise it.
  const db = lab.services.database;
  if (o.rpoSeconds === 0 && db && db.engine !== 'postgresql' && dbReplicationOf(db).mode === 'async') warn('objective-rpo-zero-async', ['objectives', 'rpoSeconds'], msg('drill.v.rpoZeroAsync'), msg('drill.v.rpoZeroAsync.fix'));
  // Nothing measures an objective without a drill.
  if (lab.drills.length === 0) warn('objective-no-drills', ['objectives'], msg('drill.v.noDrills'), msg('drill.v.noDrills.fix'));
}
