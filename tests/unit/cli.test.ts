import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { parseBlueprintYaml } from '../../src-main/shared/blueprint/yaml-doc';
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
        const r = await halab('validate', join('tests/blueprints/invalid', f));
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
