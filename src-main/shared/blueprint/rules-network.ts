/**
 * IP-plan rules: subnets, addresses, DHCP pools, MACs, hostnames, VIPs.
 * Each rule pushes issues with a path; positions are added later.
 */
import { cidrOverlap, formatIpv4, isPrivateCidr, isVmwareStaticMac, parseCidr, parseIpv4, parseMac } from './ip';
import { list, msg, type Message } from '../i18n';
import { nicName, ordinal as ord } from '../i18n/describe';
import { issue, type Issue } from './issues';
import { defaultDhcp, resolveNetwork, type ResolvedNetwork } from './model';
import type { Lab } from './schema';

export const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface NetContext {
  lab: Lab;
  nets: Map<string, ResolvedNetwork>;
  issues: Issue[];
}

const err = (ctx: NetContext, code: string, path: Issue['path'], m: Message, f?: Message) => ctx.issues.push(issue('error', code, path, m, f));


export function checkNetworks(ctx: NetContext): void {
  const seen = new Map<string, number>();
  ctx.lab.networks.forEach((n, i) => {
    const at = ['networks', i];
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(n.name)) err(ctx, 'network-name', [...at, 'name'], msg('v.networkName', { name: n.name }), msg('v.networkName.fix'));
    if (seen.has(n.name)) err(ctx, 'duplicate-network', [...at, 'name'], msg('v.duplicateNetwork', { name: n.name, ordinal: ord(seen.get(n.name) as number) }), msg('v.duplicateNetwork.fix'));
    else seen.set(n.name, i);
    const parsed = parseCidr(n.subnet);
    if (!parsed.ok) {
      err(ctx, 'cidr-syntax', [...at, 'subnet'], msg('v.cidrSyntax', { subnet: n.subnet, reason: parsed.reasonMsg }), msg('v.cidrSyntax.fix'));
      return;
    }
    if (!isPrivateCidr(parsed.cidr)) {
      err(ctx, 'subnet-not-private', [...at, 'subnet'], msg('v.subnetNotPrivate', { subnet: n.subnet }), msg('v.subnetNotPrivate.fix'));
    }
    if (parsed.cidr.prefix > 29) err(ctx, 'subnet-too-small', [...at, 'subnet'], msg('v.subnetTooSmall', { subnet: n.subnet }), msg('v.subnetTooSmall.fix'));
    const r = resolveNetwork(n);
    if (!r) return;
    for (const other of seen.keys()) {
      const o = ctx.nets.get(other);
      if (o && other !== n.name && cidrOverlap(o.cidr, r.cidr)) err(ctx, 'subnet-overlap', [...at, 'subnet'], msg('v.subnetOverlap', { subnet: n.subnet, other: o.subnet, network: other }), msg('v.subnetOverlap.fix'));
    }
    if (!ctx.nets.has(n.name)) ctx.nets.set(n.name, r);
    const addrRule = (field: 'hostAddress' | 'natGateway', value: string | undefined) => {
      if (value === undefined) return;
      const what = msg(field === 'hostAddress' ? 'field.hostAddress' : 'field.natGateway');
      const ip = parseIpv4(value);
      if (ip === undefined) return err(ctx, 'ip-syntax', [...at, field], msg('v.fieldIpSyntax', { what, value }), msg('v.fieldIpSyntax.fix', { example: formatIpv4(r.cidr.network + (field === 'hostAddress' ? 1 : 2)) }));
      if (ip <= r.cidr.network || ip >= r.cidr.broadcast || ((ip & r.cidr.mask) >>> 0) !== r.cidr.network) err(ctx, 'address-outside-subnet', [...at, field], msg('v.fieldOutsideSubnet', { what, value, subnet: n.subnet }), msg('v.fieldOutsideSubnet.fix', { first: formatIpv4(r.cidr.network + 1), last: formatIpv4(r.cidr.broadcast - 1) }));
    };
    addrRule('hostAddress', n.hostAddress);
    if (n.natGateway !== undefined && n.type !== 'nat') err(ctx, 'gateway-not-nat', [...at, 'natGateway'], msg('v.gatewayNotNat', { name: n.name, type: n.type }), msg('v.gatewayNotNat.fix'));
    else addrRule('natGateway', n.natGateway);
    if (n.dhcp && n.dhcp !== 'none') {
      const s = parseIpv4(n.dhcp.start);
      const e = parseIpv4(n.dhcp.end);
      if (s === undefined) err(ctx, 'ip-syntax', [...at, 'dhcp', 'start'], msg('v.fieldIpSyntax', { what: msg('field.dhcpStart'), value: n.dhcp.start }), msg('fix.writeLike', { example: formatIpv4(r.cidr.network + 128) }));
      if (e === undefined) err(ctx, 'ip-syntax', [...at, 'dhcp', 'end'], msg('v.fieldIpSyntax', { what: msg('field.dhcpEnd'), value: n.dhcp.end }), msg('fix.writeLike', { example: formatIpv4(r.cidr.broadcast - 1) }));
      if (s !== undefined && e !== undefined) {
        if (((s & r.cidr.mask) >>> 0) !== r.cidr.network || ((e & r.cidr.mask) >>> 0) !== r.cidr.network) err(ctx, 'dhcp-outside-subnet', [...at, 'dhcp'], msg('v.dhcpOutsideSubnet', { start: n.dhcp.start, end: n.dhcp.end, subnet: n.subnet }), defaultDhcp(r.cidr) ? msg('v.dhcpOutsideSubnet.fix', { start: defaultDhcp(r.cidr)!.start, end: defaultDhcp(r.cidr)!.end }) : msg('v.dhcpOutsideSubnet.fixNone'));
        else if (s > e) err(ctx, 'dhcp-range-order', [...at, 'dhcp'], msg('v.dhcpRangeOrder', { start: n.dhcp.start, end: n.dhcp.end }), msg('v.dhcpRangeOrder.fix'));
        else {
          for (const [label, a] of [[msg('field.hostAddress'), r.hostAddress], [msg('field.natGateway'), r.natGateway]] as const) {
            const ip = a ? parseIpv4(a) : undefined;
            if (ip !== undefined && ip >= s && ip <= e) err(ctx, 'dhcp-covers-reserved', [...at, 'dhcp'], msg('v.dhcpCoversReserved', { start: n.dhcp.start, end: n.dhcp.end, address: a as string, what: label }), msg('v.dhcpCoversReserved.fix'));
          }
        }
      }
    }
  });
}

/** Where an address may not go on a network; undefined when it is fine there. */
function reservedReason(net: ResolvedNetwork, ip: number, text: string, who: Message): { code: string; message: Message; fix: Message } | undefined {
  const c = net.cidr;
  const range = `${formatIpv4(c.network + 3)}–${net.dhcp ? formatIpv4((parseIpv4(net.dhcp.start) as number) - 1) : formatIpv4(c.broadcast - 1)}`;
  const a = { who, address: text, subnet: net.subnet, network: net.name };
  if (((ip & c.mask) >>> 0) !== c.network) return { code: 'address-outside-subnet', message: msg('v.addressOutsideSubnet', a), fix: msg('v.addressOutsideSubnet.fix', { subnet: net.subnet, range }) };
  if (ip === c.network) return { code: 'network-address', message: msg('v.networkAddress', a), fix: msg('fix.useHostAddress', { range }) };
  if (ip === c.broadcast) return { code: 'broadcast-address', message: msg('v.broadcastAddress', a), fix: msg('fix.useHostAddress', { range }) };
  if (text === net.hostAddress) return { code: 'host-address', message: msg('v.hostAddress', a), fix: msg('fix.pickOtherIn', { range }) };
  if (net.natGateway && text === net.natGateway) return { code: 'gateway-address', message: msg('v.gatewayAddress', a), fix: msg('fix.pickOtherIn', { range }) };
  if (net.dhcp) {
    const s = parseIpv4(net.dhcp.start);
    const e = parseIpv4(net.dhcp.end);
    if (s !== undefined && e !== undefined && ip >= s && ip <= e) return { code: 'address-in-dhcp', message: msg('v.addressInDhcp', { ...a, start: net.dhcp.start, end: net.dhcp.end }), fix: msg('v.addressInDhcp.fix', { range }) };
  }
  return undefined;
}

export function checkNodesAndVips(ctx: NetContext): void {
  const { lab } = ctx;
  const hostnames = new Map<string, number>();
  const addresses = new Map<string, Message>(); // "ip" -> who has it
  const macs = new Map<number, Message>();

  lab.nodes.forEach((node, i) => {
    const at = ['nodes', i];
    if (!HOSTNAME_RE.test(node.hostname)) err(ctx, 'hostname-rfc1123', [...at, 'hostname'], msg('v.hostnameRfc1123', { name: node.hostname }), msg('v.hostnameRfc1123.fix', { suggestion: node.hostname.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'node-1' }));
    if (hostnames.has(node.hostname)) err(ctx, 'duplicate-hostname', [...at, 'hostname'], msg('v.duplicateHostname', { name: node.hostname, ordinal: ord(hostnames.get(node.hostname) as number) }), msg('v.duplicateHostname.fix'));
    else hostnames.set(node.hostname, i);
    const netsOfNode = new Set<string>();
    node.nics.forEach((nic, j) => {
      const nat = [...at, 'nics', j];
      const net = ctx.nets.get(nic.network);
      const who = nicName(node.hostname, j);
      if (!net) {
        if (!lab.networks.some((n) => n.name === nic.network)) err(ctx, 'unknown-network', [...nat, 'network'], msg('v.nicUnknownNetwork', { nic: who, network: nic.network }), msg('fix.useOneOf', { choices: list(lab.networks.map((n) => n.name)) }));
      } else {
        if (netsOfNode.has(nic.network)) err(ctx, 'duplicate-nic-network', [...nat, 'network'], msg('v.duplicateNicNetwork', { host: node.hostname, network: nic.network }), msg('v.duplicateNicNetwork.fix'));
        netsOfNode.add(nic.network);
        const ip = parseIpv4(nic.address);
        if (ip === undefined) err(ctx, 'ip-syntax', [...nat, 'address'], msg('v.nicIpSyntax', { nic: who, value: nic.address }), msg('fix.writeLike', { example: '192.168.10.11' }));
        else {
          const bad = reservedReason(net, ip, nic.address, who);
          if (bad) err(ctx, bad.code, [...nat, 'address'], bad.message, bad.fix);
          const key = nic.address;
          if (addresses.has(key)) err(ctx, 'duplicate-address', [...nat, 'address'], msg('v.duplicateAddress', { who, address: nic.address, other: addresses.get(key) as Message }), msg('v.duplicateAddress.fix'));
          else addresses.set(key, who);
        }
      }
      if (nic.mac !== undefined) {
        const m = parseMac(nic.mac);
        if (m === undefined) err(ctx, 'mac-syntax', [...nat, 'mac'], msg('v.macSyntax', { nic: who, value: nic.mac }), msg('v.macSyntax.fix'));
        else {
          if (!isVmwareStaticMac(m)) err(ctx, 'mac-range', [...nat, 'mac'], msg('v.macRange', { nic: who, mac: nic.mac }), msg('v.macRange.fix'));
          if (macs.has(m)) err(ctx, 'duplicate-mac', [...nat, 'mac'], msg('v.duplicateMac', { nic: who, mac: nic.mac, other: macs.get(m) as Message }), msg('v.duplicateMac.fix'));
          else macs.set(m, who);
        }
      }
    });
  });

  const vrids = new Map<string, string>();
  const vipNames = new Set<string>();
  lab.services.vips.forEach((vip, i) => {
    const at = ['services', 'vips', i];
    if (vipNames.has(vip.name)) err(ctx, 'duplicate-vip-name', [...at, 'name'], msg('v.duplicateVipName', { name: vip.name }), msg('v.duplicateVipName.fix'));
    vipNames.add(vip.name);
    const net = ctx.nets.get(vip.network);
    if (!net) {
      if (!lab.networks.some((n) => n.name === vip.network)) err(ctx, 'unknown-network', [...at, 'network'], msg('v.vipUnknownNetwork', { name: vip.name, network: vip.network }), msg('fix.useOneOf', { choices: list(lab.networks.map((n) => n.name)) }));
    } else {
      const ip = parseIpv4(vip.address);
      const who = msg('name.vipShort', { name: vip.name });
      if (ip === undefined) err(ctx, 'ip-syntax', [...at, 'address'], msg('v.vipIpSyntax', { value: vip.address }), msg('fix.writeLike', { example: formatIpv4(net.cidr.network + 100) }));
      else {
        const bad = reservedReason(net, ip, vip.address, who);
        if (bad) err(ctx, bad.code, [...at, 'address'], bad.message, bad.fix);
        if (addresses.has(vip.address)) err(ctx, 'duplicate-address', [...at, 'address'], msg('v.duplicateAddress', { who, address: vip.address, other: addresses.get(vip.address) as Message }), msg('v.duplicateAddress.fixVip'));
        else addresses.set(vip.address, who);
      }
      const key = `${vip.network}/${vip.virtualRouterId}`;
      if (vrids.has(key)) err(ctx, 'duplicate-vrid', [...at, 'virtualRouterId'], msg('v.duplicateVrid', { vrid: vip.virtualRouterId, network: vip.network, other: vrids.get(key) as string }), msg('v.duplicateVrid.fix'));
      else vrids.set(key, vip.name);
    }
    const members = new Set<string>();
    const prios = new Map<number, string>();
    vip.members.forEach((m, j) => {
      const mat = [...at, 'members', j];
      const node = lab.nodes.find((n) => n.hostname === m.node);
      if (!node) return err(ctx, 'unknown-node', [...mat, 'node'], msg('v.vipUnknownMember', { name: vip.name, node: m.node }), msg('fix.useOneOf', { choices: list(lab.nodes.map((n) => n.hostname)) }));
      if (members.has(m.node)) err(ctx, 'duplicate-member', [...mat, 'node'], msg('v.vipDuplicateMember', { node: m.node, name: vip.name }), msg('fix.removeSecond'));
      members.add(m.node);
      if (net && !node.nics.some((nic) => nic.network === vip.network)) err(ctx, 'vip-member-network', [...mat, 'node'], msg('v.vipMemberNetwork', { node: m.node, network: vip.network, address: vip.address }), msg('v.vipMemberNetwork.fix', { network: vip.network, node: m.node }));
      if (prios.has(m.priority)) ctx.issues.push(issue('warning', 'vip-priority-tie', [...mat, 'priority'], msg('v.vipPriorityTie', { node: m.node, other: prios.get(m.priority) as string, priority: m.priority }), msg('v.vipPriorityTie.fix')));
      prios.set(m.priority, m.node);
    });
  });
}
