/**
 * The seed-004 lab (eight VMs on one host-only VMnet, a unicast VRRP pair of
 * bastions, MySQL replication, nightly dumps copied to the NFS server) on the
 * Linux lab provider, for real: provisioned, the backup copied to nfs, the
 * bastion owner powered off under load. Root; never skipped.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import { GuestPool } from '../../src-main/provision/guest-pool';
import { labRef } from '../../src-main/provision/lab-home';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const FILE = join(ROOT, 'lab-blueprints/k8s-ha-platform.yaml');
const resolved = validateBlueprintText(readFileSync(FILE, 'utf8')).resolved!;
const LABS = mkdtempSync(join(tmpdir(), 'halab-it-k8s-'));
process.env.HALAB_LABS_DIR = LABS;
const lab = labRef(resolved.name);
const hv = new LinuxLabProvider();
let pool: GuestPool;
const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, okExitCodes: [0, 1, 2, 3], timeoutMs: 900_000, env: { NO_COLOR: '1', HALAB_LABS_DIR: LABS } });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The Linux-lab integration tests must run as root.');
  await hv.cleanupLab(lab, { keepGuards: true });
  const r = await halab('up', FILE, '--provider', 'linux');
  if (r.exitCode !== 0) throw new Error(`halab up failed (exit ${r.exitCode}):\n${r.stderr.slice(-4000)}`);
  pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
}, 1_200_000);

afterAll(async () => {
  await pool?.closeAll();
  await halab('down', FILE);
  await hv.cleanupLab(lab, { keepGuards: true });
}, 300_000);

describe('the seed-004 lab on the Linux lab provider', { timeout: 300_000 }, () => {
  it('answers through the bastions’ VIP from both workers', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8 && seen.size < 2; i++) {
      const r = await fetch('http://172.16.0.201/', { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      seen.add(r.headers.get('x-served-by') ?? '?');
    }
    expect(seen).toEqual(new Set(['k8s-n1', 'k8s-n2']));
  });

  it('the nightly dump is verified on mysql-s and copied to nfs by a restricted account', async () => {
    const src = await pool.get('mysql-s');
    await src.exec(['systemctl', 'start', 'halab-backup.service'], { timeoutMs: 300_000 });
    expect((await src.exec(['systemctl', 'show', '-p', 'Result', '--value', 'halab-backup.service'])).stdout.trim()).toBe('success');
    const nfs = await pool.get('nfs');
    const files = (await nfs.exec(['ls', '/var/backups/halab/mysql-s'])).stdout;
    expect(files).toMatch(/plumbing_db_.*\.sql\.gz\n/);
    expect(files).toMatch(/\.sql\.gz\.sha256/);
    const keys = await nfs.exec(['sh', '-c', 'cat ~halab-backup/.ssh/authorized_keys']);
    expect(keys.stdout).toMatch(/^restrict,from="172\.16\.0\.8" ssh-ed25519 /);
  });

  it('lb-master-down with unicast VRRP: bastion-s takes the VIP, nothing acknowledged is lost', async () => {
    const r = await halab('drill', FILE, 'lb-master-down', '--json');
    const rep = JSON.parse(r.stdout) as DrillReport;
    expect(rep.verdict, rep.verdictText).toBe('passed');
    expect(rep.measurements!.vipMoveMs!).toBeLessThan(rep.measurements!.masterDownIntervalMs! + 2000);
    expect(rep.measurements!.rowsLost).toBe(0);
  });
});
