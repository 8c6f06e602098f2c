import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { parseBlueprintYaml } from '../../src-main/shared/blueprint/yaml-doc';
import { createFakeVmwareHost } from '../fake-vmrun/fake-env';
import { ROOT, SHIPPED } from '../helpers/paths';

const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env: { NO_COLOR: '1' } });

describe('halab CLI', () => {
  it('validate: a shipped blueprint exits 0 and summarises VMs, networks and VIP', async () => {
    const r = await halab('validate', 'lab-blueprints/vmware-3tier-ha.yaml');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('6 VMs, 2 networks');
    expect(r.stdout).toContain('VIP 192.168.10.100');
  });

  it('validate: every invalid blueprint exits 1 and names line:column', { timeout: 120_000 }, async () => {
    const dir = join(ROOT, 'tests/blueprints/invalid');
    const files = readdirSync(dir);
    for (let i = 0; i < files.length; i += 4) {
      await Promise.all(files.slice(i, i + 4).map(async (f) => {
        // A provider's own rules are errors only when validating for that provider (`# provider: …` in the file).
        const provider = /# provider: (\S+)/.exec(readFileSync(join(dir, f), 'utf8'))?.[1];
        const r = await halab('validate', join('tests/blueprints/invalid', f), ...(provider ? ['--provider', provider] : []));
        expect(r.exitCode, f).toBe(1);
        expect(r.stderr, f).toMatch(new RegExp(`invalid/${f}:\\d+:\\d+: error: `));
      }));
    }
  });

  it('validate --json prints machine-readable issues', async () => {
    const r = await halab('validate', 'tests/blueprints/invalid/duplicate-vrid.yaml', '--json');
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).issues[0]).toMatchObject({ code: 'duplicate-vrid', line: 39 });
  });

  it('plan lists the seed VMs with exactly the seed addresses', async () => {
    const r = await halab('plan', 'lab-blueprints/vmware-3tier-ha.yaml', '--json');
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.vms.map((v: { hostname: string; nics: { address: string }[] }) => `${v.hostname}=${v.nics[0]!.address}`)).toEqual([
      'lb-master=192.168.10.11', 'lb-slave=192.168.10.12', 'app-server-01=10.0.0.21', 'app-server-02=10.0.0.22', 'db-master=10.0.0.31', 'db-slave=10.0.0.32',
    ]);
    const text = await halab('plan', 'lab-blueprints/vmware-3tier-ha.yaml');
    expect(text.stdout).toMatch(/lb-master\s+loadbalancer\s+1\s+1 GiB/);
    expect(text.stdout).toContain('Totals: 6 VMs, 10 vCPU, 10.0 GiB RAM');
  });

  it('export yaml keeps comments; json parses', async () => {
    const y = await halab('export', SHIPPED[0] as string, '--format', 'yaml');
    expect(y.stdout).toContain('# Implicit in the table');
    const out = join(mkdtempSync(join(tmpdir(), 'halab-')), 'lab.json');
    const j = await halab('export', SHIPPED[0] as string, '--format', 'json', '--output', out);
    expect(j.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(parseBlueprintYaml(readFileSync(SHIPPED[0] as string, 'utf8')).data);
  });

  it('graph prints Mermaid', async () => {
    const r = await halab('graph', 'lab-blueprints/lb-pair-minimal.yaml');
    expect(r.stdout.startsWith('flowchart LR')).toBe(true);
    expect(r.stdout).toContain('VIP 192.168.20.100');
  });

  it('usage errors exit 2 with a hint', async () => {
    for (const args of [[], ['frobnicate'], ['validate'], ['validate', 'a', 'b'], ['validate', 'x.yaml', '--nope'], ['export', SHIPPED[0] as string, '--format', 'xml'], ['validate', 'does-not-exist.yaml']]) {
      const r = await halab(...args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr + r.stdout, args.join(' ')).toMatch(/Usage|halab --help|no such file|--format/);
    }
  });

  it('--help lists the commands', async () => {
    const r = await halab('--help');
    expect(r.exitCode).toBe(0);
    for (const c of ['validate', 'plan', 'export', 'graph', 'serve']) expect(r.stdout).toContain(`  ${c}`);
  });
});

describe('halab plan on this computer (fake vmrun)', () => {
  it('shows the vmnet8 clash and its choice before anything runs; --json carries it as host', { timeout: 60_000 }, async () => {
    const host = await createFakeVmwareHost();
    try {
      const data = join(host.root, 'data');
      mkdirSync(data);
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ labsDir: join(host.root, 'labs'), vmwareEtcDir: host.etcDir }));
      const env = { NO_COLOR: '1', HALAB_DATA_DIR: data };
      const seed = SHIPPED[0]!;
      const text = await run(['node', join(ROOT, 'bin/halab.mjs'), 'plan', seed, '--provider', 'vmware'], { cwd: ROOT, env });
      expect(text.stdout).toContain('On this computer (vmware)');
      expect(text.stdout).toMatch(/✗ vmnet8: the host has 172\.16\.86\.0\/24, the blueprint wants 192\.168\.10\.0\/24\n.*\n\s+→ Reconfigure vmnet8 \(halab up --reconfigure-vmnet8/);
      expect(text.stdout).toContain('✓ vmnet2 (10.0.0.0/24)');
      const json = await run(['node', join(ROOT, 'bin/halab.mjs'), 'plan', seed, '--provider', 'vmware', '--json'], { cwd: ROOT, env });
      const plan = JSON.parse(json.stdout) as { host: { provider: string; clashes: { vmnet: string; hostSubnet: string; blueprintSubnet: string }[] } };
      expect(plan.host.provider).toBe('vmware');
      expect(plan.host.clashes).toEqual([expect.objectContaining({ vmnet: 'vmnet8', hostSubnet: '172.16.86.0/24', blueprintSubnet: '192.168.10.0/24' })]);
      // Nothing was changed by looking.
      expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toContain('answer VNET_8_HOSTONLY_SUBNET 172.16.86.0');
    } finally {
      await host.cleanup();
    }
  });
});

describe('halab up/status/down through the lab service (fake vmrun)', () => {
  const BLUEPRINT = `apiVersion: halab/v1
kind: Lab
metadata: {name: cli-one, title: CLI test}
defaults: {template: ubuntu-22.04, vcpus: 1, memoryMiB: 512}
networks:
  - {name: vmnet5, type: hostonly, subnet: 192.168.59.0/24}
nodes:
  - {hostname: solo, roles: [app], nics: [{network: vmnet5, address: 192.168.59.11}]}
services: {vips: []}
drills: []
`;

  it('prints progress and the summary as before, exits 3 on a failed step, and down restores the host', { timeout: 120_000 }, async () => {
    const host = await createFakeVmwareHost();
    try {
      const data = join(host.root, 'data');
      const labs = join(host.root, 'labs');
      mkdirSync(data);
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ labsDir: labs, vmwareEtcDir: host.etcDir }));
      const file = join(host.root, 'cli-one.yaml');
      writeFileSync(file, BLUEPRINT);
      const networking = readFileSync(join(host.etcDir, 'networking'), 'utf8');
      const env = { NO_COLOR: '1', HALAB_DATA_DIR: data, HALAB_ALLOW_ROOT: '1' };
      const cli = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env });

      // No template set: refused before anything runs, saying how to get one.
      const noTemplate = await cli('up', file, '--provider', 'vmware', '--stage', 'vms');
      expect(noTemplate.exitCode).toBe(3);
      expect(noTemplate.stderr).toMatch(/^failed: No VMware template is set for "ubuntu-22\.04" \(used by solo\)\. Make one with "halab template create ubuntu-22\.04".*HALAB_TEMPLATE_UBUNTU_22_04\.$/m);

      // A template that is not there: the VMnet is made, the clone fails (nothing boots, so no SSH is ever tried).
      writeFileSync(join(data, 'settings.json'), JSON.stringify({ labsDir: labs, vmwareEtcDir: host.etcDir, templates: { 'ubuntu-22.04': join(host.root, 'gone', 'gone.vmx') } }));
      const up = await cli('up', file, '--provider', 'vmware', '--stage', 'vms');
      expect(up.exitCode).toBe(3);
      expect(up.stderr).toContain(`Bringing up cli-one on vmware (1 VMs, VMs only), state in ${join(labs, 'cli-one')}\n`);
      expect(up.stderr).toMatch(/^✓ net:vmnet5 \d+\.\ds$/m);
      expect(up.stderr).toMatch(/^✗ vm:solo:create: .*gone\.vmx/m);
      expect(up.stderr).toMatch(/^- vm:solo:start skipped \(vm:solo:create did not complete\)$/m);
      expect(up.stderr).toMatch(/Lab is not complete: 1 changed, 0 unchanged, 1 failed, 2 skipped in [\d.]+ s\. Fix the first failure above/);

      const json = await cli('up', file, '--provider', 'vmware', '--stage', 'vms', '--json');
      expect(json.exitCode).toBe(3);
      const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; changed?: boolean; ms?: number });
      expect(lines.find((l) => l.type === 'done')).toMatchObject({ step: 'net:vmnet5', changed: false, ms: expect.any(Number) });
      expect(lines.at(-1)).toMatchObject({ type: 'result', ok: false, unchanged: ['net:vmnet5'], failed: [{ step: 'vm:solo:create' }] });

      const status = await cli('status', file, '--json');
      expect(status.exitCode).toBe(0);
      expect(JSON.parse(status.stdout)).toEqual({ lab: 'cli-one', provider: 'vmware', vms: [{ name: 'solo', state: 'absent', addresses: [], expected: true }] });

      const down = await cli('down', file);
      expect(down.exitCode).toBe(0);
      expect(down.stderr).toMatch(/^Destroying cli-one on vmware…\n(.|\n)*Lab cli-one destroyed: its VMs, networks and their files are gone/);
      expect(readFileSync(join(host.etcDir, 'networking'), 'utf8')).toBe(networking);

      // The root rule, as this test runs: refused as root without HALAB_ALLOW_ROOT; other users pass it.
      const asIs = await run(['node', join(ROOT, 'bin/halab.mjs'), 'up', file, '--provider', 'vmware', '--stage', 'vms'], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env: { ...env, HALAB_ALLOW_ROOT: undefined } });
      expect(asIs.exitCode).toBe(3);
      if (process.getuid?.() === 0) expect(asIs.stderr).toMatch(/^failed: Refusing to bring up a VMware lab as root.*Run halab as your own user; only the VMnet step asks for elevation/m);
      else expect(asIs.stderr).toContain('Bringing up cli-one on vmware');
      await cli('down', file);
    } finally {
      await host.cleanup();
    }
  });
});
