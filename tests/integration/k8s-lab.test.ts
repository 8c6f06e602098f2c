/**
 * The seed-004 lab (eight VMs on one host-only VMnet, a unicast VRRP pair of
 * bastions, MySQL replication, nightly dumps copied to the NFS server) on the
 * Linux lab provider, for real: provisioned, the backup copied to nfs, the
 * bastion owner powered off under load. Root; never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import type { DrillReport } from '../../src-main/shared/drills/report';

const fx = linuxLabFixture('lab-blueprints/k8s-ha-platform.yaml');
const { file: FILE, halab } = fx;

beforeAll(() => fx.up(), 1_200_000);
afterAll(() => fx.down(), 300_000);

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
    const src = await fx.pool().get('mysql-s');
    await src.exec(['systemctl', 'start', 'halab-backup.service'], { timeoutMs: 300_000 });
    expect((await src.exec(['systemctl', 'show', '-p', 'Result', '--value', 'halab-backup.service'])).stdout.trim()).toBe('success');
    const nfs = await fx.pool().get('nfs');
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
