/**
 * The hardening profile (issue 14, `hardening: baseline | none`): seed 000's
 * kernel parameters (§ OS hardening), fail2ban for sshd, and the sshd
 * settings every VM already gets (`system.ts`). Pure.
 *
 * Adapted from the seed, and why:
 * - `net.ipv4.ip_forward` is 1 in the seed (its K3s nodes route pods); here
 *   only the zone router forwards (`nftables.ts`), every other VM gets 0.
 * - `disable_ipv6` also for `default` (new interfaces), but loopback keeps
 *   ::1 so `localhost` keeps working for services that try it first.
 * - In a container (the Linux lab) `kernel.*` is read-only: every key is
 *   rendered, the guest applies what it can, and verify says which were not
 *   applicable and why (systemd-sysctl skips a read-only /proc/sys, so a
 *   small unit applies the file at boot, ignoring keys it cannot set).
 * - fail2ban reads sshd's lines from a file a small unit copies out of the
 *   journal (the lab image has no syslog daemon and no python3-systemd), and
 *   never bans the host (every network's host address and the admin sources
 *   are in ignoreip), so the provisioner cannot lock itself out.
 */
import { adminSources, managedHeader, nodeOf, type RenderContext, type RenderedFile } from './context';
import { isZoneRouter } from './nftables';
import { assertIpv4 } from './quote';

export const HARDENING_SYSCTL_PATH = '/etc/sysctl.d/60-halab-hardening.conf';
export const FAIL2BAN_JAIL_PATH = '/etc/fail2ban/jail.local';
export const SSHD_LOG_PATH = '/var/log/halab-sshd.log';
export const SSHD_LOG_UNIT = 'halab-sshd-log.service';
export const SYSCTL_UNIT = 'halab-sysctl.service';
export const FAIL2BAN_DROPIN_PATH = '/etc/systemd/system/fail2ban.service.d/halab.conf';

export interface SysctlSetting {
  key: string;
  value: string;
  /** Where the value comes from, for the file's comments and verify. */
  source: 'seed' | 'adapted';
}

/** The kernel parameters of the profile for `hostname` (empty with `hardening: none`). */
export function hardeningSysctls(ctx: RenderContext, hostname: string): SysctlSetting[] {
  nodeOf(ctx, hostname);
  if (ctx.lab.lab.hardening !== 'baseline') return [];
  const out: SysctlSetting[] = [];
  // The router's forwarding is the zone firewall's (61-halab-router.conf), not the profile's.
  if (!isZoneRouter(ctx, hostname)) out.push({ key: 'net.ipv4.ip_forward', value: '0', source: 'adapted' });
  out.push(
    { key: 'net.ipv4.conf.all.rp_filter', value: '1', source: 'seed' },
    { key: 'net.ipv4.conf.default.rp_filter', value: '1', source: 'seed' },
    { key: 'net.ipv4.icmp_echo_ignore_broadcasts', value: '1', source: 'seed' },
    { key: 'net.ipv4.conf.all.accept_redirects', value: '0', source: 'seed' },
    { key: 'net.ipv4.conf.default.accept_redirects', value: '0', source: 'seed' },
    { key: 'net.ipv4.conf.all.secure_redirects', value: '0', source: 'seed' },
    { key: 'net.ipv6.conf.all.disable_ipv6', value: '1', source: 'seed' },
    { key: 'net.ipv6.conf.default.disable_ipv6', value: '1', source: 'adapted' },
    { key: 'net.ipv6.conf.lo.disable_ipv6', value: '0', source: 'adapted' },
    { key: 'kernel.randomize_va_space', value: '2', source: 'seed' },
  );
  return out;
}

/** The path of a key under /proc/sys. */
export function sysctlProcPath(key: string): string {
  if (!/^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(key)) throw new Error(`Refusing: "${key}" is not a sysctl key.`);
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** Addresses fail2ban must never ban: loopback, the host on every network, the admin sources. */
export function fail2banIgnore(ctx: RenderContext): string[] {
  const hosts = ctx.lab.networks.map((n) => assertIpv4(n.hostAddress));
  return [...new Set(['127.0.0.1/8', '::1', ...hosts, ...adminSources(ctx).map((a) => assertIpv4(a).replace(/\/32$/, ''))])];
}

/** Files of the profile for `hostname` (none with `hardening: none`). */
export function renderHardeningFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  const sysctls = hardeningSysctls(ctx, hostname);
  if (!sysctls.length) return [];
  const sysctl =
    managedHeader(ctx) +
    '# Hardening baseline: seed 000 (OS hardening), adapted where marked. Keys a container cannot set\n' +
    '# (kernel.* in the Linux lab) are skipped when applied; `halab up` reports them.\n' +
    sysctls.map((s) => `${s.source === 'adapted' ? '# adapted from the seed (see HA Lab Studio hardening.ts)\n' : ''}${s.key} = ${s.value}`).join('\n') +
    '\n';
  const jail = [
    managedHeader(ctx).trimEnd(),
    '# fail2ban for sshd (seed 000: bantime 3600, findtime 600, maxretry 5). The host is never banned.',
    '[DEFAULT]',
    'bantime = 3600',
    'findtime = 600',
    'maxretry = 5',
    `ignoreip = ${fail2banIgnore(ctx).join(' ')}`,
    '',
    '[sshd]',
    'enabled = true',
    'backend = polling',
    `logpath = ${SSHD_LOG_PATH}`,
    '',
  ].join('\n');
  const logUnit = [
    '[Unit]',
    `Description=HA Lab Studio: sshd's journal lines in ${SSHD_LOG_PATH} for fail2ban`,
    'After=systemd-journald.service',
    '',
    '[Service]',
    `ExecStart=/bin/sh -c 'exec /usr/bin/journalctl -f -n 0 -q -o short -t sshd -t sshd-session >> ${SSHD_LOG_PATH}'`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const sysctlUnit = [
    '[Unit]',
    'Description=HA Lab Studio: apply /etc/sysctl.d/6?-halab-*.conf (keys the guest cannot set are skipped)',
    'DefaultDependencies=no',
    'After=systemd-sysctl.service',
    'Before=network-pre.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/bin/sh -c 'for f in /etc/sysctl.d/6?-halab-*.conf; do [ -e "$f" ] && /sbin/sysctl -q -p "$f"; done; exit 0'`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const dropIn = ['[Unit]', `After=${SSHD_LOG_UNIT}`, '', '[Service]', `ExecStartPre=/usr/bin/touch ${SSHD_LOG_PATH}`, ''].join('\n');
  return [
    { path: HARDENING_SYSCTL_PATH, mode: '0644', content: sysctl },
    { path: FAIL2BAN_JAIL_PATH, mode: '0644', content: jail },
    { path: `/etc/systemd/system/${SSHD_LOG_UNIT}`, mode: '0644', content: managedHeader(ctx) + logUnit },
    { path: `/etc/systemd/system/${SYSCTL_UNIT}`, mode: '0644', content: managedHeader(ctx) + sysctlUnit },
    { path: FAIL2BAN_DROPIN_PATH, mode: '0644', content: managedHeader(ctx) + dropIn },
  ];
}

/** The sshd settings verify expects in `sshd -T` (lowercase, as sshd prints them): those of system.ts's drop-in. */
export const SSHD_EXPECTED: [string, string][] = [
  ['pubkeyauthentication', 'yes'],
  ['passwordauthentication', 'no'],
  ['kbdinteractiveauthentication', 'no'],
  ['permitemptypasswords', 'no'],
  ['permitrootlogin', 'without-password'],
  ['x11forwarding', 'no'],
  ['maxauthtries', '4'],
];
