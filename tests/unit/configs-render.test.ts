/** Unit tests of the config renderers: the decisions each one must get right. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  demoteToReplicaSql,
  generateSecrets,
  mergeBeforeRules,
  promoteReplicaSql,
  renderAccountsSql,
  renderAppCompose,
  renderAppEnv,
  renderBackupScript,
  renderHosts,
  renderKeepalivedConf,
  renderNginxConf,
  renderNodeFiles,
  renderReplicaSetupSql,
  renderSchemaSql,
  renderServerCnf,
  renderBackupCopyKey,
  renderBackupCopySshd,
  renderUfw,
  roleUnits,
  shellQuote,
  ufwRuleDrift,
  unitsFor,
  unwantedUnits,
  sqlGrantDb,
  sqlIdent,
  sqlString,
} from '../../src-main/configs/index';
import { resolveLab } from '../../src-main/shared/blueprint/model';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../golden/configs/support/render';
import { fixedRandom, loadLab, makeCtx } from '../golden/configs/support/render';

const three = loadLab('vmware-3tier-ha');
const k8s = loadLab('k8s-ha-platform');

describe('secrets', () => {
  it('are letters and digits of the right length, deterministic for a given source', () => {
    const a = generateSecrets(fixedRandom(1));
    expect(a.vrrpAuthPass).toMatch(/^[A-Za-z0-9]{8}$/);
    for (const v of Object.values(a.db)) expect(v).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(generateSecrets(fixedRandom(1))).toEqual(a);
    expect(generateSecrets(fixedRandom(2))).not.toEqual(a);
  });
  it('skip biased bytes (≥ 248) instead of folding them', () => {
    let calls = 0;
    const s = generateSecrets((n) => Uint8Array.from({ length: n }, () => (calls++ % 2 === 0 ? 255 : 0)));
    expect(s.vrrpAuthPass).toBe('AAAAAAAA');
  });
});

describe('quoting', () => {
  it('escapes SQL strings, identifiers and GRANT wildcards', () => {
    expect(sqlString(`a'b"c\\d\n`)).toBe(`'a\\'b\\"c\\\\d\\n'`);
    expect(sqlIdent('we`ird')).toBe('`we``ird`');
    expect(sqlGrantDb('plumbing_db')).toBe('`plumbing\\_db`');
    expect(shellQuote(`it's; rm -rf /`)).toBe(`'it'\\''s; rm -rf /'`);
    expect(shellQuote('plain-value_1')).toBe('plain-value_1');
  });
});

describe('hostile values', () => {
  it('quote a hostile schema name in SQL and in the backup script', () => {
    const lab = structuredClone(three.lab);
    lab.services.database!.schema = "x`; DROP DATABASE mysql; -- '$(reboot)";
    const ctx = makeCtx(resolveLab(lab), 'mariadb');
    const sql = renderSchemaSql(ctx);
    expect(sql).toContain("CREATE DATABASE IF NOT EXISTS `x``; DROP DATABASE mysql; -- '$(reboot)`");
    expect(renderAccountsSql(ctx)).toContain("ON `x``; DROP DATABASE mysql; -- '$(reboot)`.*");
    const script = renderBackupScript(ctx, 'db-slave');
    expect(script).toContain(`SCHEMA='x\`; DROP DATABASE mysql; -- '\\''$(reboot)'`);
  });
  it('refuse a hostname that is not RFC 1123 instead of writing it into hosts files and headers', () => {
    const lab = structuredClone(three.lab);
    lab.nodes[0]!.hostname = 'lb-master\n10.6.6.6 evil';
    lab.services.loadBalancer!.members[0] = lab.nodes[0]!.hostname;
    const ctx = makeCtx(resolveLab(lab), 'mariadb');
    expect(() => renderNodeFiles(ctx, lab.nodes[0]!.hostname)).toThrow(/not a valid host name/);
    expect(() => renderHosts(ctx, 'lb-slave')).toThrow(/not a valid host name/);
  });
});

describe('netplan and hosts', () => {
  it('matches by MAC, routes only via the NAT gateway, lists every node', () => {
    const ctx = makeCtx(three, 'mysql8');
    const files = renderNodeFiles(ctx, 'lb-master');
    const np = files.find((f) => f.path.startsWith('/etc/netplan/'))!;
    expect(np.mode).toBe('0600');
    const doc = parse(np.content) as { network: { ethernets: Record<string, Record<string, unknown>> } };
    expect(doc.network.ethernets.ens33!.routes).toEqual([{ to: 'default', via: '192.168.10.2' }]);
    expect(doc.network.ethernets.ens34!.routes).toBeUndefined();
    expect((doc.network.ethernets.ens33!.match as { macaddress: string }).macaddress).toMatch(/^00:50:56:/);
    const hosts = renderHosts(ctx, 'app-server-01');
    expect(hosts).toContain('10.0.0.11\tlb-master');
    expect(hosts).toContain('10.0.0.32\tdb-slave');
  });
});

describe('ufw', () => {
  it('puts SSH from admin sources before enable, and nothing opens SSH to the world', () => {
    const { commands } = renderUfw(makeCtx(three, 'mysql8'), 'db-master');
    const enable = commands.findIndex((c) => c.includes('enable'));
    const ssh = commands.map((c, i) => [c, i] as const).filter(([c]) => c.includes('22'));
    expect(ssh.map(([c]) => c[3])).toEqual(['192.168.10.1/32', '10.0.0.1/32']);
    for (const [, i] of ssh) expect(i).toBeLessThan(enable);
    expect(commands.slice(0, 2)).toEqual([['ufw', 'default', 'deny', 'incoming'], ['ufw', 'default', 'allow', 'outgoing']]);
  });
  it('opens 3306 only to apps, the other DB node; exporters only to the monitor', () => {
    const { commands } = renderUfw(makeCtx(three, 'mysql8'), 'db-master');
    const from = (port: string) => commands.filter((c) => c[7] === port).map((c) => c[3]).sort();
    expect(from('3306')).toEqual(['10.0.0.21', '10.0.0.22', '10.0.0.32']);
    expect(from('9100')).toEqual(['10.0.0.12']);
    expect(from('9104')).toEqual(['10.0.0.12']);
    const app = renderUfw(makeCtx(three, 'mysql8'), 'app-server-01').commands;
    expect(app.filter((c) => c[7] === '3000').map((c) => c[3]).sort()).toEqual(['10.0.0.11', '10.0.0.12']);
  });
  it('allows VRRP without `proto vrrp` (works on ufw 0.36.1): multicast rule, or before.rules for unicast', () => {
    const multi = renderUfw(makeCtx(three, 'mysql8'), 'lb-master');
    expect(multi.commands).toContainEqual(['ufw', 'allow', 'in', 'on', 'ens33', 'from', '192.168.10.12', 'to', '224.0.0.18', 'comment', 'halab vrrp web']);
    expect(multi.commands.flat()).not.toContain('vrrp');
    const uni = renderUfw(makeCtx(k8s, 'mysql8'), 'bastion-m');
    expect(uni.beforeRules).toEqual(['-A ufw-before-input -i ens33 -p 112 -s 172.16.0.9 -d 172.16.0.2 -j ACCEPT']);
    const fallback = renderUfw(makeCtx(three, 'mysql8', { vrrpUnicastFallbackForUfw0361: true }), 'lb-master');
    expect(fallback.beforeRules).toEqual(['-A ufw-before-input -i ens33 -p 112 -s 192.168.10.12 -d 192.168.10.11 -j ACCEPT']);
  });
  it('merges the before.rules block idempotently before the filter COMMIT', () => {
    const original = '*filter\n:ufw-before-input - [0:0]\n-A ufw-before-input -i lo -j ACCEPT\nCOMMIT\n';
    const once = mergeBeforeRules(original, ['-A ufw-before-input -p 112 -j ACCEPT']);
    expect(mergeBeforeRules(once, ['-A ufw-before-input -p 112 -j ACCEPT'])).toBe(once);
    expect(once.indexOf('-p 112')).toBeLessThan(once.indexOf('COMMIT'));
    expect(mergeBeforeRules(once, [])).toBe(original);
  });
});

describe('keepalived', () => {
  it('MASTER for the highest priority, 8-char PASS auth, FAULT-style tracking (no weight)', () => {
    const ctx = makeCtx(three, 'mysql8', { secrets: { ...generateSecrets(fixedRandom()), vrrpAuthPass: '123456789abc' } });
    const master = renderKeepalivedConf(ctx, 'lb-master');
    expect(master).toMatch(/state MASTER/);
    expect(master).toContain('auth_pass "12345678"');
    expect(master).toContain('virtual_router_id 51');
    expect(master).not.toMatch(/weight/);
    expect(master).toContain('192.168.10.100/24 dev ens33');
    expect(renderKeepalivedConf(ctx, 'lb-slave')).toMatch(/state BACKUP[\s\S]*priority 100/);
  });
  it('lists unicast peers for unicast groups and for the ufw 0.36.1 fallback', () => {
    const uni = renderKeepalivedConf(makeCtx(k8s, 'mysql8'), 'bastion-s');
    expect(uni).toMatch(/unicast_src_ip 172\.16\.0\.9\s+unicast_peer \{\s+172\.16\.0\.2\s+\}/);
    expect(renderKeepalivedConf(makeCtx(three, 'mysql8', { vrrpUnicastFallbackForUfw0361: true }), 'lb-master')).toContain('unicast_peer');
    expect(renderKeepalivedConf(makeCtx(three, 'mysql8'), 'lb-master')).not.toContain('unicast_peer');
  });
});

describe('nginx', () => {
  it('uses passive health, retries without replaying POSTs, names the upstream', () => {
    const conf = renderNginxConf(makeCtx(three, 'mysql8'), 'lb-master');
    expect(conf).toContain('server 10.0.0.21:3000 max_fails=2 fail_timeout=5s;');
    expect(conf).toContain('proxy_next_upstream error timeout http_502 http_503 http_504;');
    expect(conf).not.toContain('non_idempotent');
    expect(conf).toContain('add_header X-Upstream $upstream_addr always;');
    expect(conf).toMatch(/location = \/nginx-health \{[^}]*return 200/);
    expect(conf).toContain('upstream=$upstream_addr');
  });
});

describe('database', () => {
  it('uses the dialect of the effective engine', () => {
    const my = makeCtx(three, 'mysql8');
    const ma = makeCtx(three, 'mariadb');
    expect(renderServerCnf(my, 'db-slave')).toMatch(/gtid_mode\s+= ON[\s\S]*super_read_only\s+= ON/);
    const mcnf = renderServerCnf(ma, 'db-slave');
    expect(mcnf).not.toMatch(/gtid_mode|super_read_only|enforce_gtid/);
    expect(mcnf).toMatch(/gtid_strict_mode\s+= ON/);
    expect(renderServerCnf(ma, 'db-master')).toMatch(/server-id\s+= 1/);
    expect(mcnf).toMatch(/server-id\s+= 2/);
    expect(renderReplicaSetupSql(my, 'db-slave')).toContain('CHANGE REPLICATION SOURCE TO SOURCE_HOST=\'10.0.0.31\'');
    expect(renderReplicaSetupSql(my, 'db-slave')).toContain('SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1');
    expect(renderReplicaSetupSql(ma, 'db-slave')).toContain('CHANGE MASTER TO MASTER_HOST=\'10.0.0.31\'');
    expect(renderReplicaSetupSql(ma, 'db-slave')).toContain('MASTER_USE_GTID=slave_pos');
    expect(renderAccountsSql(ma)).toContain('SLAVE MONITOR');
    expect(renderAccountsSql(my)).toContain("GRANT RELOAD, SHOW_ROUTINE ON *.* TO 'backup'@'localhost'");
    expect(promoteReplicaSql(my)).toEqual(['STOP REPLICA;', 'RESET REPLICA ALL;', 'SET GLOBAL super_read_only = OFF;', 'SET GLOBAL read_only = OFF;']);
    expect(promoteReplicaSql(ma)).toEqual(['STOP REPLICA;', 'RESET REPLICA ALL;', 'SET GLOBAL read_only = OFF;']);
    expect(demoteToReplicaSql(ma, 'db-master', 'db-slave').join('\n')).toContain("MASTER_HOST='10.0.0.32'");
    expect(demoteToReplicaSql(ma, 'db-master', 'db-slave').join('\n')).toContain('MASTER_USE_GTID=current_pos');
  });
  it('never creates or uses root, and the app gets DML on its schema only', () => {
    for (const engine of ['mysql8', 'mariadb'] as const) {
      const sql = renderAccountsSql(makeCtx(k8s, engine));
      expect(sql).not.toMatch(/'root'/);
      const appGrants = sql.split('\n').filter((l) => l.startsWith('GRANT') && l.includes("'app'"));
      expect(appGrants.length).toBe(2);
      for (const g of appGrants) expect(g).toMatch(/^GRANT SELECT, INSERT, UPDATE, DELETE ON `plumbing\\_db`\.\* TO 'app'@'172\.16\.0\.[56]';$/);
    }
  });
});

describe('app files', () => {
  it('env points at the primary and replica as the app server reaches them', () => {
    const env = renderAppEnv(makeCtx(three, 'mysql8'), 'app-server-02');
    expect(env).toContain("DB_PRIMARY_HOST='10.0.0.31'");
    expect(env).toContain("DB_REPLICA_HOST='10.0.0.32'");
    expect(env).toContain("APP_HOSTNAME='app-server-02'");
    expect(renderAppEnv(makeCtx(loadLab('lb-pair-minimal'), 'mysql8'), 'app1')).not.toContain('DB_PRIMARY_HOST');
  });
  it('docker-compose.yml parses and uses host networking (published ports would bypass UFW)', () => {
    const doc = parse(renderAppCompose(makeCtx(three, 'mysql8'), 'app-server-01')) as { services: { app: Record<string, unknown> } };
    expect(doc.services.app.network_mode).toBe('host');
    expect(doc.services.app.ports).toBeUndefined();
    expect(doc.services.app.command).toEqual(['node', '/app/server.mjs']);
  });
});

describe('services per role', () => {
  it('every VM runs only its roles\' units; the other roles\' units (sockets too) are masked', () => {
    const ctx = makeCtx(k8s, 'mariadb');
    for (const n of k8s.nodes) {
      const want = unitsFor(ctx, n.hostname);
      const masked = unwantedUnits(ctx, n.hostname);
      expect(masked.filter((u) => want.includes(u))).toEqual([]);
      expect([...want, ...masked]).toEqual(expect.arrayContaining(roleUnits(ctx)));
      expect(masked).toContain('mariadb.socket');
    }
    expect(unwantedUnits(ctx, 'bastion-m')).toEqual(expect.arrayContaining(['mariadb.service', 'prometheus-mysqld-exporter.service', 'prometheus.service']));
    expect(unwantedUnits(ctx, 'bastion-m')).not.toContain('nginx.service');
    expect(unwantedUnits(ctx, 'mysql-m')).not.toContain('mariadb.service');
    expect(unwantedUnits(ctx, 'mysql-m')).toEqual(expect.arrayContaining(['nginx.service', 'keepalived.service']));
    // MySQL 8 on VMware: its own unit name, no MariaDB aliases to mask.
    expect(unwantedUnits(makeCtx(three, 'mysql8'), 'lb-master')).toContain('mysql.service');
    expect(roleUnits(makeCtx(three, 'mysql8'))).not.toContain('mariadb.service');
  });
});

describe('no Loki', () => {
  it('the plan says there is no Loki, and why, instead of claiming one', () => {
    const text = computePlan(three).services.join('\n');
    expect(text).not.toMatch(/Loki on/);
    expect(text).toMatch(/no Loki \(monitoring\.loki lb-slave is ignored\): Debian 12 packages neither Loki nor promtail/);
  });
  it('opens no port 3100 and writes no Loki or promtail config anywhere', () => {
    for (const lab of [three, k8s]) {
      const ctx = makeCtx(lab, 'mariadb');
      for (const n of lab.nodes) {
        expect(renderUfw(ctx, n.hostname).commands.flat()).not.toContain('3100');
        expect(renderNodeFiles(ctx, n.hostname).map((f) => f.path).filter((p) => /loki|promtail/.test(p))).toEqual([]);
      }
    }
  });
});

describe('live firewall comparison', () => {
  it('matches `ufw show added` output against the plan, ignoring /32 and quotes', () => {
    const ctx = makeCtx(k8s, 'mariadb');
    const plan = renderUfw(ctx, 'bastion-m');
    // As printed by ufw 0.36.2 on a provisioned bastion-m.
    const shown = [
      "Added user rules (see 'ufw status' for running firewall):",
      "ufw allow from 172.16.0.1 to any port 22 proto tcp comment 'halab ssh from admin'",
      "ufw allow 80/tcp comment 'halab load balancer'",
      "ufw allow from 172.16.0.3 to any port 9100 proto tcp comment 'halab node_exporter'",
    ].join('\n');
    expect(ufwRuleDrift(plan, shown)).toEqual({ missing: [], extra: [] });
    const drifted = ufwRuleDrift(plan, `${shown.split('\n').slice(0, 3).join('\n')}\nufw allow 3306/tcp`);
    expect(drifted.missing).toEqual(['allow from 172.16.0.3 to any port 9100 proto tcp comment halab node_exporter']);
    expect(drifted.extra).toEqual(['allow 3306/tcp']);
  });
});

describe('secrets on disk', () => {
  it('keepalived.conf, which holds auth_pass, is 0600', () => {
    const f = renderNodeFiles(makeCtx(k8s, 'mariadb'), 'bastion-m').find((x) => x.path === '/etc/keepalived/keepalived.conf')!;
    expect(f.content).toMatch(/auth_pass/);
    expect(f.mode).toBe('0600');
  });
  it('the exporter account gets PROCESS and replica status globally, SELECT on performance_schema only', () => {
    for (const engine of ['mariadb', 'mysql8'] as const) {
      const sql = renderAccountsSql(makeCtx(k8s, engine));
      const exporter = sql.split('\n').filter((l) => l.includes("'exporter'@'localhost'"));
      expect(exporter.join('\n')).not.toMatch(/SELECT[^;]*ON \*\.\*/);
      expect(exporter).toContain("GRANT SELECT ON performance_schema.* TO 'exporter'@'localhost';");
      expect(exporter.findIndex((l) => l.startsWith('REVOKE ALL'))).toBeLessThan(exporter.findIndex((l) => l.startsWith('GRANT')));
    }
  });
});

describe('backup copy access', () => {
  const ctx = makeCtx(k8s, 'mariadb');
  it('serves the copy account SFTP only, chrooted to the backup folder, with a root-owned key file', () => {
    const conf = renderBackupCopySshd(ctx);
    expect(conf).toMatch(/^Match User halab-backup$/m);
    expect(conf).toMatch(/^\tForceCommand internal-sftp$/m);
    expect(conf).toMatch(/^\tChrootDirectory \/var\/backups\/halab$/m);
    expect(conf).toMatch(/^\tAuthorizedKeysFile \/etc\/ssh\/halab-authorized-keys\/%u$/m);
    expect(conf).toMatch(/^\tAllowTcpForwarding no$/m);
    expect(renderBackupCopyKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 halab-backup\n', '172.16.0.8')).toBe('restrict,from="172.16.0.8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 halab-backup\n');
    expect(() => renderBackupCopyKey('command="sh" ssh-ed25519 AAAA', '172.16.0.8')).toThrow(/ed25519/);
  });
  it('the script copies into the node\'s folder inside the chroot', () => {
    expect(renderBackupScript(ctx, 'mysql-s')).toContain("COPY_DIR=/mysql-s\n");
  });
  it('validation keeps targetDir under /var/backups/ or /srv/, without ".."', () => {
    const text = readFileSync(join(REPO, 'lab-blueprints', 'k8s-ha-platform.yaml'), 'utf8');
    const codes = (dir: string) => validateBlueprintText(text.replace('targetDir: /var/backups/halab', `targetDir: ${dir}`)).issues.filter((i) => i.code === 'backup-target-dir');
    expect(codes('/var/backups/halab')).toEqual([]);
    expect(codes('/srv/backups/k8s')).toEqual([]);
    for (const bad of ['/etc', '/var/backups/../../etc', '/var/backups', '/srv/', '/srv/a/./b', '/var/backups//x', '/home/user/backups']) {
      const found = codes(bad);
      expect(found, bad).toHaveLength(1);
      expect(found[0]!.message).toContain(`"${bad}"`);
      expect(found[0]!.fix).toContain(bad);
    }
  });
});
