/**
 * IP-plan rules: subnets, addresses, DHCP pools, MACs, hostnames, VIPs.
 * Each rule pushes issues with a path; positions are added later.
 */
import { cidrOverlap, formatIpv4, isPrivateCidr, isVmwareStaticMac, parseCidr, parseIpv4, parseMac } from './ip';
import type { Issue } from './issues';
import { defaultDhcp, resolveNetwork, type ResolvedNetwork } from './model';
import type { Lab } from './schema';

export const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface NetContext {
  lab: Lab;
  nets: Map<string, ResolvedNetwork>;
  issues: Issue[];
}

const err = (ctx: NetContext, code: string, path: Issue['path'], message: string, fix?: string) =>
  ctx.issues.push({ severity: 'error', code, path, message, fix });

export function checkNetworks(ctx: NetContext): void {
  const seen = new Map<string, number>();
  ctx.lab.networks.forEach((n, i) => {
    const at = ['networks', i];
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(n.name)) err(ctx, 'network-name', [...at, 'name'], `Network name "${n.name}" may only use letters, digits, "-" and "_" (up to 32).`, 'Use a VMnet name such as vmnet2.');
    if (seen.has(n.name)) err(ctx, 'duplicate-network', [...at, 'name'], `Network "${n.name}" is defined twice (also networks[${seen.get(n.name)}]).`, 'Give each network its own name.');
    else seen.set(n.name, i);
    const parsed = parseCidr(n.subnet);
    if (!parsed.ok) {
      err(ctx, 'cidr-syntax', [...at, 'subnet'], `Subnet "${n.subnet}" is not valid: ${parsed.reason}.`, 'Write it like 192.168.10.0/24.');
      return;
    }
    if (!isPrivateCidr(parsed.cidr)) {
      err(ctx, 'subnet-not-private', [...at, 'subnet'], `Subnet ${n.subnet} is not a private range; lab traffic must stay on this PC.`, 'Use a subnet inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.');
    }
    if (parsed.cidr.prefix > 29) err(ctx, 'subnet-too-small', [...at, 'subnet'], `Subnet ${n.subnet} is too small for a lab network.`, 'Use a /24 (or at most a /29).');
    const r = resolveNetwork(n);
    if (!r) return;
    for (const [other, j] of seen) {
      const o = ctx.nets.get(other);
      if (o && other !== n.name && cidrOverlap(o.cidr, r.cidr)) err(ctx, 'subnet-overlap', [...at, 'subnet'], `Subnet ${n.subnet} overlaps ${o.subnet} of network "${other}" (networks[${j}]).`, 'Give every network its own subnet.');
    }
    if (!ctx.nets.has(n.name)) ctx.nets.set(n.name, r);
    const addrRule = (field: 'hostAddress' | 'natGateway', value: string | undefined, what: string) => {
      if (value === undefined) return;
      const ip = parseIpv4(value);
      if (ip === undefined) return err(ctx, 'ip-syntax', [...at, field], `${what} "${value}" is not an IPv4 address.`, `Write it like ${formatIpv4(r.cidr.network + (field === 'hostAddress' ? 1 : 2))}, or remove it to use the default.`);
      if (ip <= r.cidr.network || ip >= r.cidr.broadcast || ((ip & r.cidr.mask) >>> 0) !== r.cidr.network) err(ctx, 'address-outside-subnet', [...at, field], `${what} ${value} is not a usable address of ${n.subnet}.`, `Use an address between ${formatIpv4(r.cidr.network + 1)} and ${formatIpv4(r.cidr.broadcast - 1)}.`);
    };
    addrRule('hostAddress', n.hostAddress, 'Host address');
    if (n.natGateway !== undefined && n.type !== 'nat') err(ctx, 'gateway-not-nat', [...at, 'natGateway'], `Network "${n.name}" is ${n.type}; only a nat network has a NAT gateway.`, 'Remove natGateway or set type: nat.');
    else addrRule('natGateway', n.natGateway, 'NAT gateway');
    if (n.dhcp && n.dhcp !== 'none') {
      const s = parseIpv4(n.dhcp.start);
      const e = parseIpv4(n.dhcp.end);
      if (s === undefined) err(ctx, 'ip-syntax', [...at, 'dhcp', 'start'], `DHCP start "${n.dhcp.start}" is not an IPv4 address.`, `Write it like ${formatIpv4(r.cidr.network + 128)}.`);
      if (e === undefined) err(ctx, 'ip-syntax', [...at, 'dhcp', 'end'], `DHCP end "${n.dhcp.end}" is not an IPv4 address.`, `Write it like ${formatIpv4(r.cidr.broadcast - 1)}.`);
      if (s !== undefined && e !== undefined) {
        if (((s & r.cidr.mask) >>> 0) !== r.cidr.network || ((e & r.cidr.mask) >>> 0) !== r.cidr.network) err(ctx, 'dhcp-outside-subnet', [...at, 'dhcp'], `DHCP pool ${n.dhcp.start}–${n.dhcp.end} is not inside ${n.subnet}.`, defaultDhcp(r.cidr) ? `Use ${defaultDhcp(r.cidr)!.start}–${defaultDhcp(r.cidr)!.end}, or remove dhcp for the default.` : 'Set dhcp: none; this subnet is too small for a pool.');
        else if (s > e) err(ctx, 'dhcp-range-order', [...at, 'dhcp'], `DHCP pool starts (${n.dhcp.start}) after it ends (${n.dhcp.end}).`, 'Swap start and end.');
        else {
          for (const [label, a] of [['host address', r.hostAddress], ['NAT gateway', r.natGateway]] as const) {
            const ip = a ? parseIpv4(a) : undefined;
            if (ip !== undefined && ip >= s && ip <= e) err(ctx, 'dhcp-covers-reserved', [...at, 'dhcp'], `DHCP pool ${n.dhcp.start}–${n.dhcp.end} includes the ${label} ${a}.`, 'Start the pool above it (VMware uses .128–.254).');
          }
        }
      }
    }
  });
}

/** Where an address may not go on a network; undefined when it is fine there. */
function reservedReason(net: ResolvedNetwork, ip: number, text: string): { code: string; message: string; fix: string } | undefined {
  const c = net.cidr;
  const range = `${formatIpv4(c.network + 3)}–${net.dhcp ? formatIpv4((parseIpv4(net.dhcp.start) as number) - 1) : formatIpv4(c.broadcast - 1)}`;
  if (((ip & c.mask) >>> 0) !== c.network) return { code: 'address-outside-subnet', message: `${text} is outside ${net.name}'s subnet ${net.subnet}.`, fix: `Use an address of ${net.subnet}, e.g. in ${range}.` };
  if (ip === c.network) return { code: 'network-address', message: `${text} is the network address of ${net.subnet}.`, fix: `Use a host address such as ${range}.` };
  if (ip === c.broadcast) return { code: 'broadcast-address', message: `${text} is the broadcast address of ${net.subnet}.`, fix: `Use a host address such as ${range}.` };
  if (text === net.hostAddress) return { code: 'host-address', message: `${text} belongs to the host PC on ${net.name}.`, fix: `Pick another address in ${range}.` };
  if (net.natGateway && text === net.natGateway) return { code: 'gateway-address', message: `${text} is ${net.name}'s NAT gateway.`, fix: `Pick another address in ${range}.` };
  if (net.dhcp) {
    const s = parseIpv4(net.dhcp.start);
    const e = parseIpv4(net.dhcp.end);
    if (s !== undefined && e !== undefined && ip >= s && ip <= e) return { code: 'address-in-dhcp', message: `${text} is inside ${net.name}'s DHCP pool ${net.dhcp.start}–${net.dhcp.end}; DHCP could hand it to another VM.`, fix: `Use a static address outside the pool, e.g. in ${range}.` };
  }
  return undefined;
}

export function checkNodesAndVips(ctx: NetContext): void {
  const { lab } = ctx;
  const hostnames = new Map<string, number>();
  const addresses = new Map<string, string>(); // "ip" -> description
  const macs = new Map<number, string>();

  lab.nodes.forEach((node, i) => {
    const at = ['nodes', i];
    if (!HOSTNAME_RE.test(node.hostname)) err(ctx, 'hostname-rfc1123', [...at, 'hostname'], `Hostname "${node.hostname}" is not valid (RFC 1123): use 1–63 lowercase letters, digits and "-", not starting or ending with "-".`, `Try "${node.hostname.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'node-1'}".`);
    if (hostnames.has(node.hostname)) err(ctx, 'duplicate-hostname', [...at, 'hostname'], `Hostname "${node.hostname}" is used twice (also nodes[${hostnames.get(node.hostname)}]).`, 'Give every VM its own hostname.');
    else hostnames.set(node.hostname, i);
    const netsOfNode = new Set<string>();
    node.nics.forEach((nic, j) => {
      const nat = [...at, 'nics', j];
      const net = ctx.nets.get(nic.network);
      if (!net) {
        if (!lab.networks.some((n) => n.name === nic.network)) err(ctx, 'unknown-network', [...nat, 'network'], `NIC ${j} of ${node.hostname} is wired to "${nic.network}", which is not a network of this lab.`, `Use one of: ${lab.networks.map((n) => n.name).join(', ')}.`);
      } else {
        if (netsOfNode.has(nic.network)) err(ctx, 'duplicate-nic-network', [...nat, 'network'], `${node.hostname} has two NICs on ${nic.network}.`, 'Give it one NIC per network.');
        netsOfNode.add(nic.network);
        const ip = parseIpv4(nic.address);
        if (ip === undefined) err(ctx, 'ip-syntax', [...nat, 'address'], `"${nic.address}" is not an IPv4 address.`, 'Write it like 192.168.10.11.');
        else {
          const bad = reservedReason(net, ip, nic.address);
          if (bad) err(ctx, bad.code, [...nat, 'address'], `${node.hostname}: ${bad.message}`, bad.fix);
          const key = nic.address;
          if (addresses.has(key)) err(ctx, 'duplicate-address', [...nat, 'address'], `${nic.address} is already used by ${addresses.get(key)}.`, 'Give every NIC and VIP its own address.');
          else addresses.set(key, `${node.hostname} (nodes[${i}].nics[${j}])`);
        }
      }
      if (nic.mac !== undefined) {
        const m = parseMac(nic.mac);
        if (m === undefined) err(ctx, 'mac-syntax', [...nat, 'mac'], `"${nic.mac}" is not a MAC address.`, 'Write it like 00:50:56:00:10:11.');
        else {
          if (!isVmwareStaticMac(m)) err(ctx, 'mac-range', [...nat, 'mac'], `MAC ${nic.mac} is outside VMware's static range 00:50:56:00:00:00–00:50:56:3F:FF:FF; VMware refuses to power the VM on.`, 'Use a MAC starting 00:50:56 with the fourth byte 00–3F, or remove it to have one generated.');
          if (macs.has(m)) err(ctx, 'duplicate-mac', [...nat, 'mac'], `MAC ${nic.mac} is also used by ${macs.get(m)}.`, 'Give every NIC its own MAC, or remove it to have one generated.');
          else macs.set(m, `${node.hostname} NIC ${j}`);
        }
      }
    });
  });

  const vrids = new Map<string, number>();
  const vipNames = new Set<string>();
  lab.services.vips.forEach((vip, i) => {
    const at = ['services', 'vips', i];
    if (vipNames.has(vip.name)) err(ctx, 'duplicate-vip-name', [...at, 'name'], `VIP group name "${vip.name}" is used twice.`, 'Give every VIP group its own name.');
    vipNames.add(vip.name);
    const net = ctx.nets.get(vip.network);
    if (!net) {
      if (!lab.networks.some((n) => n.name === vip.network)) err(ctx, 'unknown-network', [...at, 'network'], `VIP "${vip.name}" is on "${vip.network}", which is not a network of this lab.`, `Use one of: ${lab.networks.map((n) => n.name).join(', ')}.`);
    } else {
      const ip = parseIpv4(vip.address);
      if (ip === undefined) err(ctx, 'ip-syntax', [...at, 'address'], `VIP "${vip.address}" is not an IPv4 address.`, `Write it like ${formatIpv4(net.cidr.network + 100)}.`);
      else {
        const bad = reservedReason(net, ip, vip.address);
        if (bad) err(ctx, bad.code, [...at, 'address'], `VIP ${bad.message}`, bad.fix);
        if (addresses.has(vip.address)) err(ctx, 'duplicate-address', [...at, 'address'], `VIP ${vip.address} is already used by ${addresses.get(vip.address)}.`, 'The VIP must be an address no VM has.');
        else addresses.set(vip.address, `VIP "${vip.name}"`);
      }
      const key = `${vip.network}/${vip.virtualRouterId}`;
      if (vrids.has(key)) err(ctx, 'duplicate-vrid', [...at, 'virtualRouterId'], `Virtual router id ${vip.virtualRouterId} is already used on ${vip.network} by services.vips[${vrids.get(key)}].`, 'Use a different virtualRouterId (1–255) for each VIP group on one network.');
      else vrids.set(key, i);
    }
    const members = new Set<string>();
    const prios = new Map<number, string>();
    vip.members.forEach((m, j) => {
      const mat = [...at, 'members', j];
      const node = lab.nodes.find((n) => n.hostname === m.node);
      if (!node) return err(ctx, 'unknown-node', [...mat, 'node'], `VIP "${vip.name}" member "${m.node}" is not a node of this lab.`, `Use one of: ${lab.nodes.map((n) => n.hostname).join(', ')}.`);
      if (members.has(m.node)) err(ctx, 'duplicate-member', [...mat, 'node'], `"${m.node}" is listed twice in VIP "${vip.name}".`, 'Remove the second entry.');
      members.add(m.node);
      if (net && !node.nics.some((nic) => nic.network === vip.network)) err(ctx, 'vip-member-network', [...mat, 'node'], `${m.node} has no NIC on ${vip.network}, so it cannot hold VIP ${vip.address} (a VIP and its members must share one L2 network).`, `Add a NIC on ${vip.network} to ${m.node}.`);
      if (prios.has(m.priority)) ctx.issues.push({ severity: 'warning', code: 'vip-priority-tie', path: [...mat, 'priority'], message: `${m.node} and ${prios.get(m.priority)} both have priority ${m.priority}; the winner then depends on their addresses.`, fix: 'Give the intended master a clearly higher priority (e.g. 150 vs 100).' });
      prios.set(m.priority, m.node);
    });
  });
}
