/** Everything rendered for one node as one reviewable text (the golden file format). */
import type { RenderContext } from '../../../../src-main/configs/index';
import { dbNodes, obsoletePaths, renderAccountsSql, renderBackupCopySshd, renderNodeFiles, renderReplicaSetupSql, renderSchemaSql, renderUfw, unitsFor, unwantedUnits, vrrpRules } from '../../../../src-main/configs/index';

export function renderNodeSnapshot(ctx: RenderContext, hostname: string): string {
  const out: string[] = [];
  for (const f of renderNodeFiles(ctx, hostname)) {
    out.push(`#### FILE ${f.path} mode=${f.mode}${f.owner ? ` owner=${f.owner}` : ''}`, f.content.trimEnd(), '');
  }
  const ufw = renderUfw(ctx, hostname);
  out.push('#### UFW (argv, one command per line)', ...ufw.commands.map((c) => JSON.stringify(c)), '');
  if (ufw.beforeRules.length) out.push('#### UFW before.rules', ...ufw.beforeRules, '');
  const vrrp = vrrpRules(ctx, hostname);
  if (vrrp.length) out.push('#### VRRP rules that must be live (iptables-save)', ...vrrp.map((r) => `${r.chain} -i ${r.iface} -s ${r.source} -d ${r.dest}${r.proto112 ? ' -p 112' : ''} (${r.group})`), '');
  out.push('#### REMOVE', ...obsoletePaths(ctx, hostname), '', '#### UNITS', ...unitsFor(ctx, hostname), '', '#### UNITS MASKED', ...unwantedUnits(ctx, hostname), '');
  const backup = ctx.lab.lab.services.backup;
  if (backup?.copyTo === hostname && backup.runOn !== hostname) out.push('#### BACKUP COPY sshd drop-in', renderBackupCopySshd(ctx).trimEnd(), '');
  const db = ctx.lab.lab.services.database;
  if (db && dbNodes(ctx).includes(hostname)) {
    if (db.primary === hostname) out.push('#### SQL schema', renderSchemaSql(ctx).trimEnd(), '', '#### SQL accounts', renderAccountsSql(ctx).trimEnd(), '');
    else out.push('#### SQL replica setup', renderReplicaSetupSql(ctx, hostname).trimEnd(), '');
  }
  return out.join('\n');
}
