/**
 * Zone rules (issue 14): zones are distinct and routed by a firewall VM with
 * a NIC in each; no other VM straddles two zones; the allow-list names real
 * zones; every service's traffic between zones is allowed (the missing rule
 * is named, with the line to add); a port no service uses is a warning
 * unless the rule says why. Browser-safe.
 */
import { list, msg, type Message } from '../i18n';
import { didYouMean, issue, type Issue, type IssuePath } from './issues';
import type { Lab } from './schema';
import { ALL_ZONES, crossZoneFlows, zoneCells, zoneOfNode, zonesOf } from './zones';

interface Ctx {
  lab: Lab;
  issues: Issue[];
}

const err = (ctx: Ctx, code: string, path: IssuePath, m: Message, f?: Message) => ctx.issues.push(issue('error', code, path, m, f));
const warn = (ctx: Ctx, code: string, path: IssuePath, m: Message, f?: Message) => ctx.issues.push(issue('warning', code, path, m, f));

export function checkZones(ctx: Ctx): void {
  const { lab } = ctx;
  const seen = new Map<string, string>();
  lab.networks.forEach((n, i) => {
    if (!n.zone) return;
    const p = ['networks', i, 'zone'];
    if (n.zone === ALL_ZONES) err(ctx, 'zone-reserved', p, msg('z.reserved', { network: n.name }), msg('z.reserved.fix'));
    const other = seen.get(n.zone);
    if (other !== undefined) err(ctx, 'zone-duplicate', p, msg('z.duplicate', { zone: n.zone, network: n.name, other }), msg('z.duplicate.fix'));
    else seen.set(n.zone, n.name);
  });
  const zones = zonesOf(lab);
  const policy = lab.services.firewall.zones;
  const fwNodes = lab.nodes.filter((n) => n.roles.includes('firewall')).map((n) => n.hostname);
  if (!policy) {
    if (zones.length >= 2) warn(ctx, 'zones-without-router', ['networks'], msg('z.noPolicy', { zones: list(zones.map((z) => z.name)) }), msg('z.noPolicy.fix'));
    for (const h of fwNodes) warn(ctx, 'firewall-without-zones', ['nodes', lab.nodes.findIndex((n) => n.hostname === h), 'roles'], msg('z.roleWithoutPolicy', { node: h }), msg('z.roleWithoutPolicy.fix', { node: h }));
    return;
  }
  const pp = ['services', 'firewall', 'zones'];
  if (zones.length < 2) err(ctx, 'zones-too-few', pp, msg('z.tooFew', { count: zones.length }), msg('z.tooFew.fix'));
  const router = lab.nodes.find((n) => n.hostname === policy.router);
  if (!router) {
    const names = lab.nodes.map((n) => n.hostname);
    const guess = didYouMean(policy.router, fwNodes.length ? fwNodes : names);
    err(ctx, 'unknown-node', [...pp, 'router'], msg('z.unknownRouter', { node: policy.router }), guess ? msg('fix.use', { value: guess }) : msg('fix.useOneOf', { choices: list(fwNodes.length ? fwNodes : names) }));
  } else {
    if (!router.roles.includes('firewall')) err(ctx, 'router-not-firewall', [...pp, 'router'], msg('z.routerRole', { node: router.hostname }), msg('z.routerRole.fix'));
    for (const z of zones) {
      if (!router.nics.some((nic) => nic.network === z.network)) err(ctx, 'router-missing-zone', [...pp, 'router'], msg('z.routerMissingZone', { node: router.hostname, zone: z.name, network: z.network }), msg('z.routerMissingZone.fix', { network: z.network }));
    }
  }
  lab.nodes.forEach((n, i) => {
    if (n.hostname === policy.router) return;
    const inZones = [...new Set(n.nics.map((nic) => zones.find((z) => z.network === nic.network)?.name).filter((z): z is string => !!z))];
    if (inZones.length > 1) err(ctx, 'node-in-two-zones', ['nodes', i, 'nics'], msg('z.twoZones', { node: n.hostname, zones: list(inZones) }), msg('z.twoZones.fix', { node: n.hostname, router: policy.router }));
  });
  const names = zones.map((z) => z.name);
  policy.allow.forEach((r, i) => {
    const rp = [...pp, 'allow', i];
    for (const key of ['from', 'to'] as const) {
      const z = r[key];
      if (z === ALL_ZONES || names.includes(z)) continue;
      const guess = didYouMean(z, [...names, ALL_ZONES]);
      err(ctx, 'unknown-zone', [...rp, key], guess ? msg('z.unknownZoneGuess', { zone: z, guess }) : msg('z.unknownZone', { zone: z }), guess ? msg('fix.use', { value: guess }) : msg('fix.useOneOf', { choices: list([...names, ALL_ZONES]) }));
    }
    if (r.from === r.to && r.from !== ALL_ZONES) warn(ctx, 'zone-rule-same-zone', rp, msg('z.sameZone', { zone: r.from }), msg('z.sameZone.fix'));
    if (new Set(r.ports).size !== r.ports.length) warn(ctx, 'zone-rule-duplicate-port', [...rp, 'ports'], msg('z.duplicatePort', { from: r.from, to: r.to }), msg('fix.removeSecond'));
  });
  // Every service flow that crosses zones must be allowed; one error per missing (from-zone, to-zone, port).
  const cells = zoneCells(lab);
  const reported = new Set<string>();
  const used = new Set<string>();
  for (const f of crossZoneFlows(lab)) {
    const key = `${f.fromZone}>${f.toZone}>${f.port}/${f.protocol}`;
    used.add(key);
    if (cells.some((c) => c.from === f.fromZone && c.to === f.toZone && c.port === f.port && c.protocol === f.protocol) || reported.has(key)) continue;
    reported.add(key);
    err(
      ctx,
      'zone-flow-denied',
      f.path,
      msg('z.flowDenied', { what: f.what, from: f.from, fromZone: f.fromZone, to: f.to, toZone: f.toZone, port: f.port, protocol: f.protocol }),
      msg('z.flowDenied.fix', { fromZone: f.fromZone, toZone: f.toZone, port: f.port, protocol: f.protocol }),
    );
  }
  // Broader than needed: ports no service uses, unless the rule says why it is there.
  policy.allow.forEach((r, i) => {
    if (r.why) return;
    const mine = cells.filter((c) => c.rule === i);
    const unused = [...new Set(mine.filter((c) => !used.has(`${c.from}>${c.to}>${c.port}/${c.protocol}`)).map((c) => c.port))];
    const usedPorts = new Set(mine.filter((c) => used.has(`${c.from}>${c.to}>${c.port}/${c.protocol}`)).map((c) => c.port));
    const wholly = unused.filter((p) => !usedPorts.has(p));
    if (wholly.length) warn(ctx, 'zone-rule-unused', [...pp, 'allow', i], msg('z.unused', { from: r.from, to: r.to, ports: wholly.join(', ') }), msg('z.unused.fix'));
    else if (unused.length && (r.from === ALL_ZONES || r.to === ALL_ZONES)) warn(ctx, 'zone-rule-broad', [...pp, 'allow', i], msg('z.broad', { from: r.from, to: r.to, ports: unused.join(', ') }), msg('z.broad.fix'));
  });
  // A VM that is in no zone while zones exist would have no route to the others.
  if (zones.length >= 2) lab.nodes.forEach((n, i) => {
    if (n.hostname === policy.router || zoneOfNode(lab, n.hostname)) return;
    warn(ctx, 'node-outside-zones', ['nodes', i, 'nics'], msg('z.outside', { node: n.hostname }), msg('z.outside.fix', { zones: list(names) }));
  });
}
