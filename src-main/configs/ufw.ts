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
import { assertIpv4, safeId } from './quote';

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

/** Every other node's addresses as `hostname` sees them. */
function everyNodeSource(ctx: RenderContext, hostname: string): string[] {
  return ctx.lab.nodes.filter((n) => n.hostname !== hostname).flatMap((n) => sourcesOf(ctx, hostname, n.hostname));
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
    if (mon.loki === hostname) uiPorts.push(3100);
    for (const p of uiPorts) for (const src of adminSources(ctx)) add(allowFrom(src, p, 'halab monitoring ui'));
    if (mon.alertmanager === hostname && mon.prometheus !== hostname) for (const src of sourcesOf(ctx, hostname, mon.prometheus)) add(allowFrom(src, 9093, 'halab alertmanager'));
    if (mon.loki === hostname) for (const src of everyNodeSource(ctx, hostname)) add(allowFrom(src, 3100, 'halab loki push'));
  }

  if (s.backup?.copyTo === hostname && s.backup.runOn !== hostname) {
    for (const src of sourcesOf(ctx, hostname, s.backup.runOn)) add(allowFrom(src, 22, 'halab backup copy'));
  }

  const commands: string[][] = [['ufw', 'default', 'deny', 'incoming'], ['ufw', 'default', 'allow', 'outgoing'], ...rules];
  if (s.firewall.enabled) commands.push(['ufw', '--force', 'enable'], ['ufw', 'reload']);
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
