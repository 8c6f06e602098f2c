/**
 * The seed-004 lab (eight VMs on one host-only VMnet, a unicast VRRP pair of
 * bastions, MySQL replication, nightly dumps copied to the NFS server) on the
 * Linux lab provider, for real: provisioned, the backup copied to nfs, the
 * bastion owner powered off under load. Root; never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { missingVrrpRules } from '../../src-main/configs/ufw';
import { renderContext } from '../../src-main/lab/render-context';

const fx = linuxLabFixture('lab-blueprints/k8s-ha-platform.yaml');
const { file: FILE, halab, resolved } = fx;

/** The guest-side checks a student would make: VRRP rules live on both bastions, no failed unit anywhere. */
async function checkGuests(when: string): Promise<void> {
  const ctx = await renderContext(fx.hv, fx.lab, resolved);
  for (const vm of ['bastion-m', 'bastion-s']) {
    const save = (await (await fx.pool().get(vm)).exec(['iptables-save', '-t', 'filter'])).stdout;
    expect(save, `${vm} ${when}`).toMatch(/^-A ufw-before-input .*-p (vrrp|112)\b.*-j ACCEPT$/m);
    expect(missingVrrpRules(ctx, vm, save), `${vm} ${when}`).toEqual([]);
  }
  for (const n of resolved.nodes) {
    const failed = (await (await fx.pool().get(n.hostname)).exec(['systemctl', '--failed', '--no-legend', '--plain'])).stdout.trim();
    expect(failed, `failed units on ${n.hostname} ${when}`).toBe('');
  }
}

beforeAll(() => fx.up(), 1_200_000);
afterAll(() => fx.down(), 300_000);

describe('the seed-004 lab on the Linux lab provider', { timeout: 300_000 }, () => {
  it('after up: the unicast VRRP rule is live in both bastions\' firewalls, and no VM has a failed unit', () => checkGuests('after up'));

  it('each VM runs only its roles\' services: no stray nginx, MariaDB (socket included) or exporter', async () => {
    const listening = async (vm: string) => (await (await fx.pool().get(vm)).exec(['ss', '-Hltn'])).stdout;
    expect(await listening('bastion-m')).not.toMatch(/:3306\b/);
    expect(await listening('k8s-n1')).not.toMatch(/:(80|3306)\b/);
    expect(await listening('nfs')).not.toMatch(/:(80|3306|3100)\b/);
    const m = await fx.pool().get('k8s-n1');
    for (const u of ['mariadb.service', 'mariadb.socket', 'nginx.service', 'prometheus-mysqld-exporter.service']) {
      expect((await m.exec(['systemctl', 'is-enabled', u], { okCodes: [0, 1] })).stdout.trim(), u).toBe('masked');
    }
    // On the DB node the server listens itself (bind_address), not through the masked socket unit.
    const db = await fx.pool().get('mysql-m');
    expect((await db.exec(['systemctl', 'is-enabled', 'mariadb.socket'], { okCodes: [0, 1] })).stdout.trim()).toBe('masked');
    expect((await db.exec(['systemctl', 'is-active', 'mariadb.service'])).stdout.trim()).toBe('active');
  });

  it('a re-apply repairs a firewall that lost its VRRP rule, and leaves a correct one alone', async () => {
    const g = await fx.pool().get('bastion-s');
    await g.exec(['sh', '-c', 'iptables-save -t filter | grep -- "-A ufw-before-input .*-p \\(vrrp\\|112\\)" | sed "s/^-A /-D /" | while read -r r; do iptables $r; done']);
    expect(missingVrrpRules(await renderContext(fx.hv, fx.lab, resolved), 'bastion-s', (await g.exec(['iptables-save', '-t', 'filter'])).stdout)).toHaveLength(1);
    const r = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { changed: string[]; failed: unknown[] };
    expect(result.failed).toEqual([]);
    expect(result.changed.filter((s) => s.endsWith(':firewall'))).toEqual(['vm:bastion-s:firewall']);
    await checkGuests('after a re-apply');
  });

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
    // The key lives in a root-owned file; the account has no shell and gets SFTP only, chrooted.
    const keys = await nfs.exec(['cat', '/etc/ssh/halab-authorized-keys/halab-backup']);
    expect(keys.stdout).toMatch(/^restrict,from="172\.16\.0\.8" ssh-ed25519 /);
    expect((await nfs.exec(['getent', 'passwd', 'halab-backup'])).stdout.trim()).toMatch(/:\/usr\/sbin\/nologin$/);
    expect((await nfs.exec(['stat', '-c', '%U %a', '/var/backups/halab', '/etc/ssh/halab-authorized-keys/halab-backup'])).stdout).toBe('root 755\nroot 644\n');
    const shell = await src.exec(['sh', '-c', 'timeout 20 ssh -i /root/.ssh/halab_backup_ed25519 -o BatchMode=yes halab-backup@172.16.0.3 id </dev/null; echo "exit $?"'], { okCodes: [0, 1, 255] });
    expect(shell.stdout).not.toMatch(/uid=/);
  });

  it('lb-master-down with unicast VRRP: bastion-s takes the VIP, nothing acknowledged is lost', async () => {
    const r = await halab('drill', FILE, 'lb-master-down', '--json');
    const rep = JSON.parse(r.stdout) as DrillReport;
    expect(rep.verdict, rep.verdictText).toBe('passed');
    expect(rep.measurements!.vipMoveMs!).toBeLessThan(rep.measurements!.masterDownIntervalMs! + 2000);
    expect(rep.measurements!.rowsLost).toBe(0);
  });

  it('after the drill powered a bastion off and on: VRRP rules still live, still no failed unit', () => checkGuests('after lb-master-down'));
});
