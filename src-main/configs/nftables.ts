/**
 * The zone firewall (issue 14), rendered for the router VM: an nftables
 * table of its own (`inet halab_zones`) whose forward chain accepts exactly
 * the blueprint's allow-list between zone subnets (by in/out interface and
 * subnet) and rejects everything else with ICMP admin-prohibited, so a
 * denied connection fails at once instead of hanging. UFW's own tables are
 * left alone (no `flush ruleset`): the file deletes and re-creates only its
 * table, in one atomic transaction. Plus the router's kernel settings
 * (forwarding, strict reverse-path filter, no redirects: {@link routerSysctlPlan},
 * set from the host where the provider can — the Linux lab's read-only
 * /proc/sys — and otherwise by `sysctl -p` of the rendered file over SSH —
 * VMware, Incus), its UFW extras and the per-VM UFW rules the policy
 * implies. Pure.
 */
import { zoneCells, zonePolicy, zonesOf, type ZoneCell } from '../shared/blueprint/zones';
import { managedHeader, nicOn, nodeOf, type RenderContext, type RenderedFile } from './context';
import type { SysctlSetting } from './hardening';
import { assertIpv4 } from './quote';

export const ZONES_NFT_PATH = '/etc/halab/zones.nft';
export const ZONES_TABLE = 'halab_zones';
export const ZONES_UNIT = 'halab-zones.service';
export const ROUTER_SYSCTL_PATH = '/etc/sysctl.d/61-halab-router.conf';

/** Whether `hostname` is the lab's zone router. */
export function isZoneRouter(ctx: RenderContext, hostname: string): boolean {
  return zonePolicy(ctx.lab.lab)?.router === hostname;
}

const quoteNft = (s: string) => `"${s.replace(/[^A-Za-z0-9 ._:/()>+-]/g, '_')}"`;
const ifname = (s: string) => {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(s)) throw new Error(`Refusing to render: interface name "${s}" is not a Linux interface name.`);
  return `"${s}"`;
};

/** The nftables ruleset of the router (`nft -f` applies it; re-applying replaces only this table). */
export function renderZonesNft(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const policy = zonePolicy(ctx.lab.lab);
  if (!policy || policy.router !== hostname) throw new Error(`${hostname} is not the zone router of lab ${ctx.lab.name}.`);
  const zones = new Map(zonesOf(ctx.lab.lab).map((z) => [z.name, z]));
  const cells = zoneCells(ctx.lab.lab);
  // One rule per (from, to, protocol, rule): its ports as a set.
  const groups = new Map<string, ZoneCell[]>();
  for (const c of cells) {
    const k = `${c.from}\0${c.to}\0${c.protocol}\0${c.rule}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    const c = group[0]!;
    const a = zones.get(c.from)!;
    const b = zones.get(c.to)!;
    const ports = group.map((x) => x.port).sort((x, y) => x - y);
    const dport = ports.length === 1 ? String(ports[0]) : `{ ${ports.join(', ')} }`;
    const why = c.why ? ` (${c.why})` : '';
    lines.push(`\t\t# ${c.from} -> ${c.to}: ${ports.map((p) => `${p}/${c.protocol}`).join(' ')}${why.replace(/[\r\n]/g, ' ')}`);
    lines.push(
      `\t\tiifname ${ifname(nicOn(ctx, hostname, a.network).ifname)} oifname ${ifname(nicOn(ctx, hostname, b.network).ifname)} ip saddr ${assertIpv4(a.subnet, 'subnet')} ip daddr ${assertIpv4(b.subnet, 'subnet')} ${c.protocol} dport ${dport} counter accept comment ${quoteNft(`${c.from} to ${c.to}`)}`,
    );
  }
  return [
    '#!/usr/sbin/nft -f',
    managedHeader(ctx).trimEnd(),
    `# Zone firewall of ${hostname}: forwards between the zones only what services.firewall.zones allows.`,
    '# Only this table is replaced (UFW keeps its own tables); the first two lines make re-applying idempotent.',
    `table inet ${ZONES_TABLE}`,
    `delete table inet ${ZONES_TABLE}`,
    `table inet ${ZONES_TABLE} {`,
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    '\t\tct state established,related accept',
    '\t\tct state invalid drop',
    ...lines,
    '\t\t# everything else: denied, answered at once so a client does not hang',
    '\t\tcounter reject with icmpx type admin-prohibited',
    '\t}',
    '}',
    '',
  ].join('\n');
}

/** A Linux interface name as a sysctl key part (`net.ipv4.conf.<if>.…`); refuses anything else. */
const sysctlIf = (s: string) => {
  if (!/^[a-z0-9_]{1,15}$/.test(s)) throw new Error(`Refusing to render: interface name "${s}" cannot be used in a sysctl key.`);
  return s;
};

/**
 * The router's kernel settings: IPv4 forwarding on; a strict reverse-path
 * filter on every zone NIC (a packet whose source belongs to another zone's
 * subnet is dropped where it came in: the kernel uses the larger of `all`
 * and the interface's own value, and Ubuntu's default 2 would win, so each
 * NIC is named); no ICMP redirects (the router must never tell a VM to go
 * around it; the kernel sends them when `all` or the interface says so).
 * With or without the hardening profile.
 */
export function routerSysctls(ctx: RenderContext, hostname: string): SysctlSetting[] {
  if (!isZoneRouter(ctx, hostname)) return [];
  const zones = zonesOf(ctx.lab.lab);
  const ifs = zones.map((z) => sysctlIf(nicOn(ctx, hostname, z.network).ifname));
  return [
    { key: 'net.ipv4.ip_forward', value: '1', source: 'adapted' },
    ...['all', 'default', ...ifs].map((i): SysctlSetting => ({ key: `net.ipv4.conf.${i}.rp_filter`, value: '1', source: 'adapted' })),
    ...['all', 'default', ...ifs].map((i): SysctlSetting => ({ key: `net.ipv4.conf.${i}.send_redirects`, value: '0', source: 'adapted' })),
  ];
}

/** The router's sysctl.d file (systemd-sysctl applies it at every boot of a VM). */
export function renderRouterSysctl(ctx: RenderContext, hostname: string): RenderedFile | undefined {
  const settings = routerSysctls(ctx, hostname);
  if (!settings.length) return undefined;
  return {
    path: ROUTER_SYSCTL_PATH,
    mode: '0644',
    content:
      managedHeader(ctx) +
      '# The zone router forwards between its zones (nothing else in the lab does), drops packets whose\n' +
      '# source is not in the zone they came from (strict reverse path, each zone NIC named) and never\n' +
      '# redirects a VM around itself.\n' +
      settings.map((x) => `${x.key} = ${x.value}`).join('\n') +
      '\n',
  };
}

/** How the router's kernel settings reach the running kernel on this provider. */
export interface RouterSysctlPlan {
  file: RenderedFile;
  settings: SysctlSetting[];
  /**
   * `host`: the provider sets them in the VM's network namespace (the Linux
   * lab: a container's /proc/sys is read-only); `guest`: the file is applied
   * inside the guest over SSH (VMware VMs, Incus containers: their own kernel
   * or network namespace, writable from inside).
   */
  applyFrom: 'host' | 'guest';
  /** The command run in the guest when `applyFrom` is `guest` and a value differs. */
  guestApply: string[];
}

/** The plan for `hostname`'s kernel settings, or undefined when it is not the zone router. `hostSide`: the provider has `setNetSysctls`. */
export function routerSysctlPlan(ctx: RenderContext, hostname: string, opts: { hostSide: boolean }): RouterSysctlPlan | undefined {
  const file = renderRouterSysctl(ctx, hostname);
  if (!file) return undefined;
  return { file, settings: routerSysctls(ctx, hostname), applyFrom: opts.hostSide ? 'host' : 'guest', guestApply: ['sysctl', '-q', '-p', ROUTER_SYSCTL_PATH] };
}

/** The router's files: the ruleset and a unit that loads it at boot (after UFW). Its kernel settings: {@link routerSysctlPlan}. */
export function renderRouterFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!isZoneRouter(ctx, hostname)) return [];
  const unit = [
    '[Unit]',
    'Description=HA Lab Studio zone firewall (nftables table inet halab_zones)',
    'After=ufw.service network-pre.target',
    'Wants=network-pre.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/usr/sbin/nft -f ${ZONES_NFT_PATH}`,
    `ExecStop=/usr/sbin/nft delete table inet ${ZONES_TABLE}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return [
    { path: ZONES_NFT_PATH, mode: '0644', content: renderZonesNft(ctx, hostname) },
    { path: `/etc/systemd/system/${ZONES_UNIT}`, mode: '0644', content: managedHeader(ctx) + unit },
  ];
}

/**
 * UFW additions from the zone policy: on the router, forwarding allowed at
 * UFW's level (the nftables table decides); on every other VM, the ports the
 * policy allows into its zone, from the source zone's subnet only.
 */
export function zoneUfwRules(ctx: RenderContext, hostname: string): string[][] {
  const policy = zonePolicy(ctx.lab.lab);
  if (!policy) return [];
  if (policy.router === hostname) return [['ufw', 'default', 'allow', 'routed']];
  const node = nodeOf(ctx, hostname);
  const zones = zonesOf(ctx.lab.lab);
  const mine = zones.find((z) => node.nics.some((n) => n.network === z.network));
  if (!mine) return [];
  const out: string[][] = [];
  for (const c of zoneCells(ctx.lab.lab)) {
    if (c.to !== mine.name) continue;
    const from = zones.find((z) => z.name === c.from)!;
    out.push(['ufw', 'allow', 'from', assertIpv4(from.subnet, 'subnet'), 'to', 'any', 'port', String(c.port), 'proto', c.protocol, 'comment', `halab zone ${c.from} to ${c.to}`]);
  }
  return out;
}
