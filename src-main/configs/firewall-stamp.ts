/**
 * A cheap "is the firewall still as the last check left it?" for the no-op
 * re-apply. Reading UFW's state the full way (`ufw status verbose`, `ufw show
 * added`) starts Python twice per VM, most of the firewall step's time on a
 * re-apply. Instead, one shell command hashes UFW's files and the live filter
 * table (iptables-save without counters), and the provisioner records that
 * hash, together with a hash of the plan, after a check that found no drift
 * or a rebuild that was verified. While both hashes are unchanged, nothing
 * that the full check reads has changed, so it is skipped. Any difference
 * (a rule added by hand, UFW disabled, a new plan, a reboot that left the
 * table empty) falls back to the full check.
 */
import { createHash } from 'node:crypto';
import type { UfwPlan } from './ufw';

/** Where the provisioner records the stamp on each VM. */
export const FIREWALL_STAMP_PATH = '/var/lib/halab/firewall.stamp';

/** UFW's own files that the full check depends on. */
export const UFW_STATE_FILES = ['/etc/ufw/ufw.conf', '/etc/default/ufw', '/etc/ufw/user.rules', '/etc/ufw/user6.rules', '/etc/ufw/before.rules', '/etc/ufw/after.rules'];

/** Hash of what the firewall should be: the rule commands, the before.rules lines and whether it is on. */
export function firewallPlanHash(plan: UfwPlan, enabled: boolean): string {
  return createHash('sha256')
    .update(JSON.stringify({ enabled, commands: plan.commands, beforeRules: plan.beforeRules }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Shell command printing two lines: the hash of UFW's files and the live
 * filter table (chain counters and comments stripped, so traffic does not
 * change it), then the recorded stamp (empty when there is none).
 */
export function firewallStampCommand(): string[] {
  const files = UFW_STATE_FILES.join(' ');
  return ['sh', '-c', `{ cat ${files} 2>/dev/null; iptables-save -t filter 2>/dev/null | sed -e '/^#/d' -e 's/ \\[[0-9]*:[0-9]*\\]$//'; } | sha256sum | cut -c1-32; cat ${FIREWALL_STAMP_PATH} 2>/dev/null || true`];
}

/** The stamp to record: plan hash and live hash. */
export function firewallStamp(planHash: string, liveHash: string): string {
  return `${planHash} ${liveHash}`;
}

/** Parse firewallStampCommand's output: the live hash and the recorded stamp. */
export function parseFirewallStamp(stdout: string): { live: string; recorded: string } {
  const [live = '', recorded = ''] = stdout.split('\n');
  return { live: live.trim(), recorded: recorded.trim() };
}
