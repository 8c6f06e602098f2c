/**
 * A 100-VM blueprint for the editor benchmark: a load-balancer pair with a
 * VIP, 90 app servers, a MySQL primary with five replicas and two monitoring
 * VMs on a NAT and an internal VMnet.
 */
import { stringify } from 'yaml';

export function bigLabYaml(vms = 100): string {
  const nodes: { hostname: string; roles: string[]; vcpus: number; memoryMiB: number; nics: { network: string; address: string }[] }[] = [];
  let next = 2;
  const internal = () => `10.0.0.${next++}`;
  nodes.push({ hostname: 'lb-1', roles: ['loadbalancer'], vcpus: 1, memoryMiB: 1024, nics: [{ network: 'vmnet8', address: '192.168.10.11' }, { network: 'vmnet2', address: internal() }] });
  nodes.push({ hostname: 'lb-2', roles: ['loadbalancer'], vcpus: 1, memoryMiB: 1024, nics: [{ network: 'vmnet8', address: '192.168.10.12' }, { network: 'vmnet2', address: internal() }] });
  const dbs = 6;
  const mons = 2;
  const apps = vms - 2 - dbs - mons;
  for (let i = 1; i <= apps; i++) nodes.push({ hostname: `app-${String(i).padStart(3, '0')}`, roles: ['app'], vcpus: 1, memoryMiB: 512, nics: [{ network: 'vmnet2', address: internal() }] });
  for (let i = 1; i <= dbs; i++) nodes.push({ hostname: `db-${i}`, roles: ['database'], vcpus: 2, memoryMiB: 2048, nics: [{ network: 'vmnet2', address: internal() }] });
  for (let i = 1; i <= mons; i++) nodes.push({ hostname: `mon-${i}`, roles: ['monitoring'], vcpus: 1, memoryMiB: 1024, nics: [{ network: 'vmnet2', address: internal() }] });
  const appNames = nodes.filter((n) => n.roles[0] === 'app').map((n) => n.hostname);
  return stringify({
    apiVersion: 'halab/v1',
    kind: 'Lab',
    metadata: { name: 'bench-100', title: `Benchmark lab with ${vms} VMs` },
    networks: [
      { name: 'vmnet8', type: 'nat', subnet: '192.168.10.0/24' },
      { name: 'vmnet2', type: 'custom', subnet: '10.0.0.0/24' },
    ],
    nodes,
    services: {
      vips: [{ name: 'web', address: '192.168.10.100', network: 'vmnet8', virtualRouterId: 51, members: [{ node: 'lb-1', priority: 150 }, { node: 'lb-2', priority: 100 }] }],
      loadBalancer: { members: ['lb-1', 'lb-2'], listen: [80], upstream: { members: appNames, port: 3000 } },
      app: { members: appNames, port: 3000 },
      database: { engine: 'mysql8', primary: 'db-1', replicas: ['db-2', 'db-3', 'db-4', 'db-5', 'db-6'] },
      monitoring: { prometheus: 'mon-1', loki: 'mon-2' },
    },
  });
}
