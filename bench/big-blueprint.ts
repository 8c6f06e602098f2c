/**
 * A valid blueprint with N VMs (load balancer pair, app servers, DB primary
 * with replicas, a monitor) on two /24 networks, for benchmarks.
 */
export function bigBlueprint(n = 100): string {
  const lines = [
    'apiVersion: halab/v1',
    'kind: Lab',
    'metadata:',
    `  name: big-${n}`,
    'networks:',
    '  - name: vmnet8',
    '    type: nat',
    '    subnet: 192.168.50.0/24',
    '  - name: vmnet2',
    '    type: custom',
    '    subnet: 10.50.0.0/24',
    'nodes:',
  ];
  const apps: string[] = [];
  const dbs: string[] = [];
  for (let i = 0; i < n; i++) {
    const role = i < 2 ? 'loadbalancer' : i === 2 ? 'monitoring' : i % 4 === 0 ? 'database' : 'app';
    const name = `${role.slice(0, 3)}-${i}`;
    if (role === 'app') apps.push(name);
    if (role === 'database') dbs.push(name);
    lines.push(`  - hostname: ${name}`, `    roles: [${role}]`, '    memoryMiB: 256', '    nics:');
    if (role === 'loadbalancer' || role === 'monitoring') lines.push(`      - {network: vmnet8, address: 192.168.50.${10 + i}}`);
    lines.push(`      - {network: vmnet2, address: 10.50.0.${3 + i}}`);
  }
  lines.push(
    'services:',
    '  vips:',
    '    - {name: web, address: 192.168.50.100, network: vmnet8, virtualRouterId: 51, members: [{node: loa-0, priority: 150}, {node: loa-1, priority: 100}]}',
    '  loadBalancer:',
    '    members: [loa-0, loa-1]',
    `    upstream: {members: [${apps.join(', ')}]}`,
    '  app:',
    `    members: [${apps.join(', ')}]`,
    '  database:',
    '    engine: mariadb',
    `    primary: ${dbs[0]}`,
    `    replicas: [${dbs.slice(1).join(', ')}]`,
    '  monitoring:',
    '    prometheus: mon-2',
    'drills: [lb-master-down, app-down, db-primary-down]',
  );
  return `${lines.join('\n')}\n`;
}
