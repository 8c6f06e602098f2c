/**
 * A Mermaid flowchart of a lab: networks as subgraphs, VMs inside the
 * networks they are wired to, the VIP, load-balancer upstreams and DB
 * replication as labelled edges. Browser-safe.
 */
import type { ResolvedLab } from './model';

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const label = (s: string) => s.replace(/"/g, '#quot;');

export function toMermaid(r: ResolvedLab): string {
  const out: string[] = ['flowchart LR'];
  const placed = new Set<string>();
  for (const net of r.networks) {
    out.push(`  subgraph net_${id(net.name)}["${label(`${net.name} (${net.type}) ${net.subnet}`)}"]`);
    for (const node of r.nodes) {
      const nic = node.nics.find((n) => n.network === net.name);
      if (!nic) continue;
      if (!placed.has(node.hostname)) {
        out.push(`    vm_${id(node.hostname)}["${label(`${node.hostname}<br/>${node.roles.join(', ')}`)}"]`);
        placed.add(node.hostname);
      }
    }
    out.push('  end');
  }
  for (const node of r.nodes) {
    for (const nic of node.nics) out.push(`  vm_${id(node.hostname)} ---|"${label(nic.address)}"| net_${id(nic.network)}`);
  }
  const s = r.lab.services;
  for (const vip of s.vips) {
    out.push(`  vip_${id(vip.name)}(("${label(`VIP ${vip.address}`)}"))`);
    for (const m of vip.members) out.push(`  vip_${id(vip.name)} -.-|"prio ${m.priority}"| vm_${id(m.node)}`);
  }
  if (s.loadBalancer) {
    const port = s.loadBalancer.upstream.port ?? s.app?.port;
    for (const lb of s.loadBalancer.members) for (const up of s.loadBalancer.upstream.members) out.push(`  vm_${id(lb)} ==>|"${port ?? ''}"| vm_${id(up)}`);
  }
  if (s.database) for (const rep of r.replicas) out.push(`  vm_${id(s.database.primary)} -->|"replication"| vm_${id(rep.node)}`);
  return `${out.join('\n')}\n`;
}
