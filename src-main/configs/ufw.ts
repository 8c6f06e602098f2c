/**
 * UFW per role, as argv arrays the provisioner runs without a shell, plus
 * the before.rules lines for unicast VRRP.
 *
 * VRRP (IP protocol 112) must work on ufw 0.36.1, which has no `proto vrrp`:
 * multicast groups get a protocol-less rule `from PEER to 224.0.0.18` (only
 * multicast to the VRRP group address is opened); unicast groups get
 * `-p 112 -s PEER -d SELF` in before.rules, because a protocol-less rule
 * to the node's own address would open every port to the peer.
 */
import { appPort, adminSources, dbNodes, effectiveVips, monitoringHosts, nicOn, nodeOf, sourcesOf, type RenderContext } from './context';
import { pgUfwRules } from './postgres';
import { zoneUfwRules } from './nftables';
import { assertIpv4, safeId } from './quote';
import { cacheFirewall } from './redis';

/** The firewall of one node. */
export interface UfwPlan {
  /** `ufw` argv arrays, in order; SSH rules come before `enable`. */
  commands: string[][];
  /** Lines for /etc/ufw/before.rules (filter table), or empty. Apply with {@link mergeBeforeRules}. */
  beforeRules: string[];
}

const VRRP_MCAST = '224.0.0.18';

function allowFrom(src: string, port: number, comment: string): string[] {
  return ['ufw', 'allow', 'from', assertIpv4(src, 'source'), 'to', 'any', 'port', String(port), 'proto', 'tcp', 'comment', comment];
}

/** The UFW plan for one node according to its roles and the services it takes part in. */
export function renderUfw(ctx: RenderContext, hostname: string): UfwPlan {
  nodeOf(ctx, hostname);
  const s = ctx.lab.lab.services;
  const rules: string[][] = [];
  const beforeRules: string[] = [];
  const add = (r: string[]) => {
    if (!rules.some((x) => x.join('\0') === r.join('\0'))) rules.push(r);
  };

  for (const src of adminSources(ctx)) add(allowFrom(src, 22, 'halab ssh from admin'));

  const lb = s.loadBalancer;
  if (lb?.members.includes(hostname)) for (const port of lb.listen) add(['ufw', 'allow', `${port}/tcp`, 'comment', 'halab load balancer']);
  // HAProxy's stats page: the admin sources only (issue 14).
  if (lb?.members.includes(hostname) && lb.engine === 'haproxy') for (const src of adminSources(ctx)) add(allowFrom(src, lb.haproxy.statsPort, 'halab haproxy stats'));
  cacheFirewall(ctx, hostname, (src, port, comment) => add(allowFrom(src, port, comment)));

  for (const vip of effectiveVips(ctx)) {
    if (!vip.members.some((m) => m.node === hostname)) continue;
    const self = nicOn(ctx, hostname, vip.network);
    for (const peer of vip.members.filter((m) => m.node !== hostname)) {
      const peerAddr = assertIpv4(nicOn(ctx, peer.node, vip.network).address, 'peer');
      if (vip.effectiveMode === 'multicast') {
        add(['ufw', 'allow', 'in', 'on', self.ifname, 'from', peerAddr, 'to', VRRP_MCAST, 'comment', `halab vrrp ${safeId(vip.name)}`]);
      } else {
        beforeRules.push(`-A ufw-before-input -i ${self.ifname} -p 112 -s ${peerAddr} -d ${assertIpv4(self.address)} -j ACCEPT`);
      }
    }
  }

  const port = appPort(ctx);
  if (s.app?.members.includes(hostname) && lb) {
    for (const m of lb.members) for (const src of sourcesOf(ctx, hostname, m)) add(allowFrom(src, port, `halab app from ${m}`));
  }

  const dbs = dbNodes(ctx);
  if (dbs.includes(hostname)) {
    const clients = new Set<string>([...(s.app?.members ?? []), ...dbs, ...(s.backup ? [s.backup.runOn] : [])]);
    clients.delete(hostname);
    for (const c of clients) for (const src of sourcesOf(ctx, hostname, c)) add(allowFrom(src, 3306, `halab mysql from ${c}`));
  }

  const mon = monitoringHosts(ctx);
  if (mon) {
    for (const src of mon.prometheus === hostname ? [] : sourcesOf(ctx, hostname, mon.prometheus)) {
      add(allowFrom(src, 9100, 'halab node_exporter'));
      if (dbs.includes(hostname)) add(allowFrom(src, 9104, 'halab mysqld_exporter'));
    }
    const uiPorts: number[] = [];
    if (mon.prometheus === hostname) uiPorts.push(9090);
    if (mon.alertmanager === hostname) uiPorts.push(9093);
    // No Loki port: nothing runs Loki (see LOGS_NOT_COLLECTED in alerting.ts).
    for (const p of uiPorts) for (const src of adminSources(ctx)) add(allowFrom(src, p, 'halab monitoring ui'));
    if (mon.alertmanager === hostname && mon.prometheus !== hostname) for (const src of sourcesOf(ctx, hostname, mon.prometheus)) add(allowFrom(src, 9093, 'halab alertmanager'));
  }

  for (const r of pgUfwRules(ctx, hostname)) add(r);

  if (s.backup?.copyTo === hostname && s.backup.runOn !== hostname) {
    for (const src of sourcesOf(ctx, hostname, s.backup.runOn)) add(allowFrom(src, 22, 'halab backup copy'));
  }

  // Zones (issue 14): what the zone policy lets into this VM's zone; the router's routed policy.
  for (const r of zoneUfwRules(ctx, hostname)) add(r);

  const commands: string[][] = [['ufw', 'default', 'deny', 'incoming'], ['ufw', 'default', 'allow', 'outgoing'], ...rules];
  // The step resets UFW first, so `enable` loads every rule and before.rules: no `reload` after it (about 2 s a VM).
  if (s.firewall.enabled) commands.push(['ufw', '--force', 'enable']);
  else commands.push(['ufw', '--force', 'disable']);
  return { commands, beforeRules };
}

const BEGIN = '# BEGIN halab';
const END = '# END halab';

/**
 * Put `lines` into the text of /etc/ufw/before.rules, between markers just
 * before the filter table's COMMIT; replaces an earlier halab block, so it
 * is idempotent. With no lines the block is removed.
 */
export function mergeBeforeRules(original: string, lines: string[]): string {
  const stripped = original.replace(new RegExp(`${BEGIN}\\n[\\s\\S]*?${END}\\n`, 'g'), '');
  if (!lines.length) return stripped;
  const block = `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
  const filterAt = stripped.indexOf('*filter');
  if (filterAt < 0) throw new Error('before.rules has no *filter table.');
  const commitAt = stripped.indexOf('\nCOMMIT', filterAt);
  if (commitAt < 0) throw new Error('before.rules has no COMMIT after *filter.');
  return stripped.slice(0, commitAt + 1) + block + stripped.slice(commitAt + 1);
}

/** One VRRP accept rule the live packet filter of a node must hold. */
export interface VrrpRule {
  chain: 'ufw-before-input' | 'ufw-user-input';
  iface: string;
  source: string;
  dest: string;
  /** Unicast rules match protocol 112; multicast ones match the group address, any protocol. */
  proto112: boolean;
  /** The VIP group, for messages. */
  group: string;
}

/** The VRRP rules `hostname` must have in its running firewall (none when the firewall is off). */
export function vrrpRules(ctx: RenderContext, hostname: string): VrrpRule[] {
  if (!ctx.lab.lab.services.firewall.enabled) return [];
  const out: VrrpRule[] = [];
  for (const vip of effectiveVips(ctx)) {
    if (!vip.members.some((m) => m.node === hostname)) continue;
    const self = nicOn(ctx, hostname, vip.network);
    for (const peer of vip.members.filter((m) => m.node !== hostname)) {
      const source = nicOn(ctx, peer.node, vip.network).address;
      out.push(
        vip.effectiveMode === 'multicast'
          ? { chain: 'ufw-user-input', iface: self.ifname, source, dest: VRRP_MCAST, proto112: false, group: vip.name }
          : { chain: 'ufw-before-input', iface: self.ifname, source, dest: self.address, proto112: true, group: vip.name },
      );
    }
  }
  return out;
}

/** The options of one `-A` line of `iptables-save`. */
function parseAppend(line: string): Map<string, string> | undefined {
  const words = line.trim().split(/\s+/);
  if (words[0] !== '-A') return undefined;
  const opts = new Map<string, string>([['-A', words[1] ?? '']]);
  for (let i = 2; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-') && i + 1 < words.length && !words[i + 1]!.startsWith('-')) opts.set(w, words[++i]!);
    else opts.set(w, '');
  }
  return opts;
}

const bare = (addr: string | undefined) => addr?.replace(/\/32$/, '');

/**
 * The rules of {@link vrrpRules} that the output of `iptables-save` (filter
 * table) does not contain. Protocol 112 may appear by number or as `vrrp`.
 */
export function missingVrrpRules(ctx: RenderContext, hostname: string, iptablesSave: string): VrrpRule[] {
  const lines = iptablesSave.split('\n').map(parseAppend).filter((m): m is Map<string, string> => !!m);
  return vrrpRules(ctx, hostname).filter(
    (r) =>
      !lines.some(
        (o) =>
          o.get('-A') === r.chain &&
          o.get('-i') === r.iface &&
          bare(o.get('-s')) === r.source &&
          bare(o.get('-d')) === r.dest &&
          o.get('-j') === 'ACCEPT' &&
          !o.has('--dport') &&
          (r.proto112 ? ['112', 'vrrp'].includes(o.get('-p') ?? '') : [undefined, '112', 'vrrp'].includes(o.get('-p'))),
      ),
  );
}

/** A rule as words without quotes or `/32`, for comparing `ufw show added` with a plan. */
function ruleKey(words: string[]): string {
  return words
    .filter((w) => w !== 'ufw')
    .map((w) => w.replace(/^'(.*)'$/, '$1').replace(/\/32$/, ''))
    .join(' ');
}

/**
 * The plan's rules missing from, and the rules not in the plan present in,
 * the output of `ufw show added` (one `ufw allow …` line per rule, comments
 * in single quotes).
 */
export function ufwRuleDrift(plan: UfwPlan, showAdded: string): { missing: string[]; extra: string[] } {
  const want = plan.commands.filter((c) => c[1] === 'allow' || c[1] === 'deny' || c[1] === 'limit' || c[1] === 'reject').map(ruleKey);
  const have = showAdded
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ufw '))
    .map((l) => ruleKey(l.match(/'[^']*'|\S+/g) ?? []));
  return { missing: want.filter((w) => !have.includes(w)), extra: have.filter((h) => !want.includes(h)) };
}
