import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT, SHIPPED } from '../helpers/paths';

const HOST = { hostMemoryMiB: 24 * 1024 };

describe('shipped blueprints', () => {
  it.each(SHIPPED)('%s is valid with no warnings', (file) => {
    const r = validateBlueprintText(readFileSync(file, 'utf8'), HOST);
    expect(r.issues).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('the seed-003 lab has exactly the seed table’s VMs, addresses, vCPU and RAM', () => {
    const r = validateBlueprintText(readFileSync(SHIPPED[0] as string, 'utf8'), HOST);
    const nodes = r.resolved!.nodes.map((n) => [n.hostname, n.nics[0]!.address, n.vcpus, n.memoryMiB]);
    expect(nodes).toEqual([
      ['lb-master', '192.168.10.11', 1, 1024],
      ['lb-slave', '192.168.10.12', 1, 1024],
      ['app-server-01', '10.0.0.21', 2, 2048],
      ['app-server-02', '10.0.0.22', 2, 2048],
      ['db-master', '10.0.0.31', 2, 2048],
      ['db-slave', '10.0.0.32', 2, 2048],
    ]);
    expect(r.lab!.services.vips[0]!.address).toBe('192.168.10.100');
    expect(r.resolved!.networks.find((n) => n.name === 'vmnet8')!.type).toBe('nat');
  });

  it('the k8s lab has the seed-004 VMs on 172.16.0.x', () => {
    const r = validateBlueprintText(readFileSync(SHIPPED[1] as string, 'utf8'), HOST);
    expect(Object.fromEntries(r.resolved!.nodes.map((n) => [n.hostname, n.nics[0]!.address]))).toEqual({
      'bastion-m': '172.16.0.2', 'bastion-s': '172.16.0.9', nfs: '172.16.0.3', 'k8s-m': '172.16.0.4',
      'k8s-n1': '172.16.0.5', 'k8s-n2': '172.16.0.6', 'mysql-m': '172.16.0.7', 'mysql-s': '172.16.0.8',
    });
  });
});

/**
 * Each file says `# expect: <code>` (and `# provider: vmware|linux` for a
 * provider's rules) and marks the offending line with `# <- error`.
 */
function cases(dir: string) {
  return readdirSync(join(ROOT, 'tests/blueprints', dir)).filter((f) => f.endsWith('.yaml')).map((f) => {
    const text = readFileSync(join(ROOT, 'tests/blueprints', dir, f), 'utf8');
    const code = /# expect: (\S+)/.exec(text)?.[1];
    const line = text.split('\n').findIndex((l) => l.includes('# <- error')) + 1;
    const provider = /# provider: (vmware|linux)/.exec(text)?.[1] as 'vmware' | 'linux' | undefined;
    return { f, text, code, line, opts: { ...HOST, provider } };
  });
}

describe('invalid blueprints: one per rule', () => {
  const all = cases('invalid');

  it('covers every rule the issue names', () => {
    const codes = new Set(all.map((c) => c.code));
    for (const rule of ['cidr-syntax', 'address-outside-subnet', 'network-address', 'broadcast-address', 'host-address', 'gateway-address', 'address-in-dhcp', 'duplicate-hostname', 'duplicate-address', 'duplicate-mac', 'duplicate-vrid', 'mac-range', 'hostname-rfc1123', 'unknown-node', 'unknown-network', 'vip-member-network', 'no-shared-network', 'replica-engine', 'unknown-key']) {
      expect(codes, rule).toContain(rule);
    }
  });

  it('covers the hardening rules: YAML aliases and tags, size caps, formats, providers, name collisions', () => {
    const codes = new Set(all.map((c) => c.code));
    for (const rule of ['yaml-unresolved-alias', 'yaml-alias-cycle', 'yaml-alias-bomb', 'yaml-too-many-aliases', 'yaml-tag', 'yaml-complex-key', 'yaml-too-deep', 'too-big', 'invalid-format', 'vmware-network-name', 'vmware-host-address', 'vmware-nat-gateway', 'linux-network-name', 'linux-bridged', 'linux-name-length', 'network-name-collision', 'vip-name-collision']) {
      expect(codes, rule).toContain(rule);
    }
  });

  it.each(all)('$f fails with its rule at the marked line', ({ text, code, line, opts }) => {
    const r = validateBlueprintText(text, opts);
    expect(r.ok).toBe(false);
    const hit = r.issues.find((i) => i.code === code);
    expect(hit, `expected ${code}, got ${r.issues.map((i) => i.code).join(', ')}`).toBeDefined();
    expect(hit!.line).toBe(line);
    expect(hit!.col).toBeGreaterThan(0);
    expect(hit!.message.length).toBeGreaterThan(10);
    expect(hit!.severity).toBe('error');
    expect(hit!.fix, 'every error says how to fix it').toBeTruthy();
  });
});

describe('warnings', () => {
  it.each(cases('warnings'))('$f warns but stays valid', ({ text, code, line, opts }) => {
    const r = validateBlueprintText(text, opts);
    expect(r.ok).toBe(true);
    const hit = r.issues.find((i) => i.code === code);
    expect(hit?.severity).toBe('warning');
    if (line > 0) expect(hit!.line).toBe(line);
  });
});

describe('messages', () => {
  const base = readFileSync(SHIPPED[2] as string, 'utf8');

  it('unknown keys suggest the right one', () => {
    const r = validateBlueprintText(base.replace('    roles: [app]', '    roles: [app]\n    memroyMiB: 2048'), HOST);
    expect(r.issues[0]!.message).toBe('Unknown key "memroyMiB". Did you mean "memoryMiB"?');
  });

  it('keeps checking the IP plan when there are unknown keys', () => {
    const r = validateBlueprintText(base.replace('    roles: [app]', '    roles: [app]\n    cpu: 2').replace('192.168.20.21', '192.168.21.21'), HOST);
    expect(r.issues.map((i) => i.code).sort()).toEqual(['address-outside-subnet', 'unknown-key']);
  });

  it('an address in the DHCP pool says which pool and what to use instead', () => {
    const r = validateBlueprintText(base.replace('192.168.20.21', '192.168.20.200'), HOST);
    const i = r.issues.find((x) => x.code === 'address-in-dhcp')!;
    expect(i.message).toContain('192.168.20.128–192.168.20.254');
    expect(i.fix).toContain('192.168.20.3');
  });

  it('a VM just dropped on the canvas (no NIC yet) does not hide the rest of the plan', () => {
    const text = base.replace('  - hostname: app1\n', '  - hostname: new-vm\n    roles: [generic]\n    nics: []\n  - hostname: app1\n').replace('192.168.20.21', '192.168.21.21');
    const codes = validateBlueprintText(text, HOST).issues.map((i) => i.code).sort();
    expect(codes).toEqual(['address-outside-subnet', 'no-nic']);
  });

  it('a VIP with one member says it needs two', () => {
    const text = base.replace('        - {node: lb2, priority: 100}\n', '');
    const r = validateBlueprintText(text, HOST);
    expect(r.issues.find((i) => i.code === 'vip-members')?.message).toMatch(/needs at least two nodes/);
  });

  it('a file that is not a mapping is explained', () => {
    const r = validateBlueprintText('- just\n- a list\n');
    expect(r.issues[0]!.code).toBe('not-a-blueprint');
  });
});
