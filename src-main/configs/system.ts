/**
 * Base system files for every node: netplan (static addresses matched by
 * MAC), cloud-init's network config switched off, hostname, /etc/hosts and
 * the sshd hardening drop-in.
 */
import { stringify } from 'yaml';
import { addressFor } from '../shared/blueprint/model';
import { zoneRoutesFor } from '../shared/blueprint/zones';
import { managedHeader, nodeOf, type RenderContext, type RenderedFile } from './context';
import { assertHostname, assertIpv4 } from './quote';

/** Where the netplan file goes: after 00-installer-config.yaml and 50-cloud-init.yaml so it wins the merge. */
export const NETPLAN_PATH = '/etc/netplan/90-halab.yaml';

/** The netplan YAML for one node (mode 0600: netplan warns about anything more open). */
export function renderNetplan(ctx: RenderContext, hostname: string): string {
  const node = nodeOf(ctx, hostname);
  const ethernets: Record<string, unknown> = {};
  for (const nic of node.nics) {
    const net = ctx.lab.networks.find((n) => n.name === nic.network);
    if (!net) throw new Error(`${hostname}: network ${nic.network} is not in the lab.`);
    // VMware NICs are matched by their static MAC; veth NICs (the Linux lab) have no
    // permanent MAC for networkd to match, and the provider already names them.
    const byName = ctx.nicMatch === 'name';
    const eth: Record<string, unknown> = {
      ...(byName ? {} : { match: { macaddress: nic.mac }, 'set-name': nic.ifname }),
      // Explicit, so that this file overrides a DHCP stanza with the same id in an installer file.
      dhcp4: false,
      dhcp6: false,
      'accept-ra': false,
      addresses: [`${assertIpv4(nic.address)}/${net.prefix}`],
    };
    if (net.type === 'nat' && net.natGateway) {
      eth.routes = [{ to: 'default', via: assertIpv4(net.natGateway) }];
      eth.nameservers = { addresses: [net.natGateway] };
    }
    // Zones: the other zones' subnets through the router's address here (lab subnets only, never a default route).
    const zoneRoutes = zoneRoutesFor(ctx.lab.lab, hostname, nic.network).map((r) => ({ to: r.to, via: assertIpv4(r.via) }));
    if (zoneRoutes.length) eth.routes = [...((eth.routes as unknown[]) ?? []), ...zoneRoutes];
    ethernets[nic.ifname] = eth;
  }
  const doc = { network: { version: 2, renderer: 'networkd', ethernets } };
  return managedHeader(ctx) + '# Static addresses; the VIP is not here: keepalived adds and removes it.\n' + stringify(doc, { lineWidth: 0 });
}

/** /etc/hosts: every lab node by name, at the address this node reaches it on. */
export function renderHosts(ctx: RenderContext, hostname: string): string {
  const self = nodeOf(ctx, hostname);
  const lines = [managedHeader(ctx).trimEnd(), '127.0.0.1\tlocalhost', `127.0.1.1\t${assertHostname(self.hostname)}`, '::1\tlocalhost ip6-localhost ip6-loopback', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '', '# lab nodes'];
  for (const other of ctx.lab.nodes) {
    if (other.hostname === hostname) continue;
    const addr = addressFor(ctx.lab, hostname, other.hostname);
    if (!addr) continue;
    lines.push(`${assertIpv4(addr)}\t${assertHostname(other.hostname)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * sshd drop-in. sshd keeps the first value it reads and includes
 * sshd_config.d/*.conf in lexical order, so the name starts with 01 to beat
 * cloud images' 50-cloudimg-settings.conf (`PasswordAuthentication yes`).
 */
export function renderSshdHardening(ctx: RenderContext): string {
  return (
    managedHeader(ctx) +
    [
      'PubkeyAuthentication yes',
      'AuthenticationMethods publickey',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin prohibit-password',
      'X11Forwarding no',
      'MaxAuthTries 4',
      'LoginGraceTime 30',
      '',
    ].join('\n')
  );
}

/** Base files for every node. */
export function renderSystemFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  return [
    { path: NETPLAN_PATH, mode: '0600', content: renderNetplan(ctx, hostname) },
    { path: '/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg', mode: '0644', content: managedHeader(ctx) + 'network: {config: disabled}\n' },
    { path: '/etc/hostname', mode: '0644', content: `${assertHostname(nodeOf(ctx, hostname).hostname)}\n` },
    { path: '/etc/hosts', mode: '0644', content: renderHosts(ctx, hostname) },
    { path: '/etc/ssh/sshd_config.d/01-halab-hardening.conf', mode: '0644', content: renderSshdHardening(ctx) },
  ];
}

/** Files the provisioner should delete: installer/cloud DHCP netplan files that would add a second address. */
export const OBSOLETE_SYSTEM_PATHS = ['/etc/netplan/00-installer-config.yaml', '/etc/netplan/50-cloud-init.yaml'];
