/**
 * The rendered files checked by the real tools Debian ships (installed from
 * scripts/ci-apt-packages.txt). A missing tool fails the test with the
 * package to install. Each check also runs once on a deliberately broken
 * variant, to prove the tool really rejects bad input.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALERTMANAGER_CONF_PATH,
  mergeBeforeRules,
  missingVrrpRules,
  PROMETHEUS_CONF_PATH,
  PROMETHEUS_RULES_PATH,
  renderNodeFiles,
  renderUfw,
  type RenderContext,
  type RenderedFile,
} from '../../src-main/configs/index';
import { BLUEPRINTS, loadLab, makeCtx, requireTool, run } from '../golden/configs/support/render';

const tmp = mkdtempSync(join(tmpdir(), 'halab-configs-tools-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const contexts: [string, RenderContext][] = BLUEPRINTS.flatMap((b) => (['mysql8', 'mariadb'] as const).map((e) => [`${b}.${e}`, makeCtx(loadLab(b), e)] as [string, RenderContext]));
const allFiles = (ctx: RenderContext) => ctx.lab.nodes.map((n) => ({ host: n.hostname, files: renderNodeFiles(ctx, n.hostname) }));
const file = (files: RenderedFile[], path: string) => files.find((f) => f.path === path);

/** Write `content` under a fresh scratch folder and return its path. */
function scratch(name: string, content: string, mode = 0o644): string {
  const dir = mkdtempSync(join(tmp, 'x-'));
  const p = join(dir, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content, { mode });
  return p;
}

/** A non-loopback interface of this machine: `keepalived -t` rejects unknown ones and `lo`. */
function realInterface(): string {
  const out = run('ip', ['-o', 'link', 'show']).stdout;
  const names = [...out.matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1] as string).filter((n) => n !== 'lo');
  const name = names.find((n) => n.startsWith('eth') || n.startsWith('en')) ?? names[0];
  if (!name) throw new Error('No non-loopback interface for keepalived -t.');
  return name;
}

describe('nginx -t (nginx-light)', () => {
  requireTool('nginx', 'nginx-light');
  const check = (serverBlock: string) => {
    const dir = mkdtempSync(join(tmp, 'nginx-'));
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'lb.conf'), serverBlock.replaceAll('/var/log/nginx/', `${dir}/logs/`));
    writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n  client_body_temp_path ${dir}/tmp;\n  include ${dir}/lb.conf;\n}\n`);
    return run('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')]);
  };
  for (const [name, ctx] of contexts) {
    for (const { host, files } of allFiles(ctx)) {
      const conf = file(files, '/etc/nginx/conf.d/halab-lb.conf');
      if (!conf) continue;
      it(`${name} ${host}`, () => {
        const r = check(conf.content);
        expect(r.stderr).toContain('test is successful');
        expect(r.status).toBe(0);
      });
    }
  }
  it('rejects a broken server block', () => {
    const conf = file(renderNodeFiles(contexts[0]![1], 'lb-master'), '/etc/nginx/conf.d/halab-lb.conf')!;
    expect(check(conf.content.replace('max_fails=2', 'max_fails=two')).status).not.toBe(0);
  });
});

describe('keepalived -t (keepalived)', () => {
  requireTool('keepalived', 'keepalived');
  const iface = realInterface();
  // keepalived 2.2.7's -t exit codes differ from its man page: assert zero / non-zero only.
  const check = (conf: string) => run('keepalived', ['-t', '-f', scratch('keepalived.conf', conf.replace(/\bens3[3-9]\b/g, iface))], { timeoutMs: 20_000 });
  for (const [name, ctx] of contexts) {
    for (const { host, files } of allFiles(ctx)) {
      const conf = file(files, '/etc/keepalived/keepalived.conf');
      if (!conf) continue;
      it(`${name} ${host}`, () => {
        const r = check(conf.content);
        expect(r.stderr, r.stderr).not.toMatch(/SECURITY VIOLATION|Truncating|Unknown keyword|not valid/);
        expect(r.status, r.stderr).toBe(0);
      });
    }
  }
  it('rejects a VRID out of range', () => {
    const conf = file(renderNodeFiles(contexts[0]![1], 'lb-master'), '/etc/keepalived/keepalived.conf')!;
    const r = check(conf.content.replace('virtual_router_id 51', 'virtual_router_id 300'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("'300' outside range");
  });
});

describe('promtool / amtool (prometheus, prometheus-alertmanager)', () => {
  requireTool('promtool', 'prometheus');
  requireTool('amtool', 'prometheus-alertmanager');
  for (const [name, ctx] of contexts) {
    for (const { host, files } of allFiles(ctx)) {
      const prom = file(files, PROMETHEUS_CONF_PATH);
      const rules = file(files, PROMETHEUS_RULES_PATH);
      const am = file(files, ALERTMANAGER_CONF_PATH);
      if (prom && rules) {
        it(`${name} ${host}: promtool check rules + config`, () => {
          const rulesPath = scratch('halab.yml', rules.content);
          const r = run('promtool', ['check', 'rules', rulesPath]);
          expect(r.status, r.stdout + r.stderr).toBe(0);
          expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
          const c = run('promtool', ['check', 'config', scratch('prometheus.yml', prom.content.replace(PROMETHEUS_RULES_PATH, rulesPath))]);
          expect(c.status, c.stdout + c.stderr).toBe(0);
          expect(c.stdout).toContain('is valid prometheus config file syntax');
        });
      }
      if (am) {
        it(`${name} ${host}: amtool check-config`, () => {
          const r = run('amtool', ['check-config', scratch('alertmanager.yml', am.content)]);
          expect(r.status, r.stdout + r.stderr).toBe(0);
          expect(r.stdout).toContain('SUCCESS');
        });
      }
    }
  }
  it('promtool rejects a broken rule', () => {
    const rules = file(renderNodeFiles(contexts[0]![1], 'lb-slave'), PROMETHEUS_RULES_PATH)!;
    expect(run('promtool', ['check', 'rules', scratch('bad.yml', rules.content.replace('up == 0', 'up == == 0'))]).status).not.toBe(0);
  });
});

describe('netplan generate --root-dir (netplan.io)', () => {
  requireTool('netplan', 'netplan.io');
  const generate = (content: string) => {
    const root = mkdtempSync(join(tmp, 'netplan-'));
    mkdirSync(join(root, 'etc', 'netplan'), { recursive: true });
    writeFileSync(join(root, 'etc', 'netplan', '90-halab.yaml'), content, { mode: 0o600 });
    return { root, r: run('netplan', ['generate', '--root-dir', root]) };
  };
  for (const [name, ctx] of contexts.filter(([n]) => n.endsWith('.mariadb'))) {
    it(`${name}: every node`, () => {
      for (const { host, files } of allFiles(ctx)) {
        const np = files.find((f) => f.path.startsWith('/etc/netplan/'))!;
        const { root, r } = generate(np.content);
        expect(r.status, `${host}: ${r.stderr}`).toBe(0);
        expect(r.stderr, host).not.toMatch(/deprecated|too open/i);
        const node = ctx.lab.nodes.find((n) => n.hostname === host)!;
        const first = readFileSync(join(root, 'run', 'systemd', 'network', `10-netplan-${node.nics[0]!.ifname}.network`), 'utf8');
        expect(first).toContain(`Address=${node.nics[0]!.address}/`);
      }
    });
  }
  it('rejects broken YAML', () => {
    expect(generate('network:\n  version: 2\n  ethernets:\n    ens33:\n     addresses: [1.2.3.4/24]\n    dhcp4: [\n').r.status).not.toBe(0);
  });
});

describe('MariaDB option parsing (mariadb-server)', () => {
  requireTool('mariadbd', 'mariadb-server');
  const parse = (cnf: string) => run('mariadbd', [`--defaults-file=${scratch('my.cnf', cnf)}`, `--datadir=${mkdtempSync(join(tmp, 'dd-'))}`, '--help', '--verbose'], { timeoutMs: 30_000 });
  for (const [name, ctx] of contexts.filter(([n]) => n.endsWith('.mariadb'))) {
    for (const { host, files } of allFiles(ctx)) {
      const cnf = file(files, '/etc/mysql/mariadb.conf.d/60-halab.cnf');
      if (!cnf) continue;
      it(`${name} ${host}`, () => {
        const r = parse(cnf.content);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^server-id\s+[12]$/m);
        expect(r.stdout).toMatch(/^gtid-strict-mode\s+TRUE$/m);
        expect(r.stdout).toMatch(/^binlog-format\s+ROW$/m);
      });
    }
  }
  it('rejects a MySQL-only option (super_read_only)', () => {
    const r = parse('[mysqld]\nsuper_read_only = ON\n');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown variable 'super_read_only=ON'");
  });
});

describe('bash -n on every rendered script', () => {
  for (const [name, ctx] of contexts) {
    it(name, () => {
      let n = 0;
      for (const { host, files } of allFiles(ctx)) {
        for (const f of files.filter((x) => x.content.startsWith('#!/bin/bash'))) {
          const r = run('bash', ['-n', scratch('s.sh', f.content)]);
          expect(r.status, `${host} ${f.path}: ${r.stderr}`).toBe(0);
          n++;
        }
      }
      expect(n).toBeGreaterThan(0);
    });
  }
});

describe('systemd-analyze verify (systemd)', () => {
  requireTool('systemd-analyze', 'systemd');
  for (const [name, ctx] of contexts.filter(([n]) => n.endsWith('.mariadb'))) {
    it(name, () => {
      let n = 0;
      for (const { host, files } of allFiles(ctx)) {
        const units = files.filter((f) => f.path.startsWith('/etc/systemd/system/'));
        if (!units.length) continue;
        const dir = mkdtempSync(join(tmp, 'units-'));
        // verify checks that ExecStart exists: point it at a stand-in script.
        const stub = join(dir, 'stub.sh');
        writeFileSync(stub, '#!/bin/sh\n', { mode: 0o755 });
        const paths = units.map((u) => {
          // A drop-in (nginx.service.d/…) is verified with a stand-in of the unit it extends, from the same folder.
          const dropIn = /\/([^/]+\.service)\.d\/[^/]+\.conf$/.exec(u.path);
          if (dropIn) {
            const base = join(dir, dropIn[1]!);
            mkdirSync(`${base}.d`, { recursive: true });
            writeFileSync(join(`${base}.d`, u.path.split('/').pop()!), u.content);
            writeFileSync(base, `[Unit]\nDescription=stand-in\n[Service]\nExecStart=${stub}\n`);
            return base;
          }
          const p = join(dir, u.path.split('/').pop()!);
          writeFileSync(p, u.content.replace(/^ExecStart=\/usr\/local\/\S+/m, `ExecStart=${stub}`));
          return p;
        });
        const r = run('systemd-analyze', ['verify', ...paths], { timeoutMs: 30_000 });
        expect(r.stderr, host).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
        expect(r.status, `${host}: ${r.stderr}`).toBe(0);
        n += units.length;
      }
      expect(n).toBeGreaterThan(0);
      const b = ctx.lab.lab.services.backup;
      if (b) {
        const cal = run('systemd-analyze', ['calendar', b.schedule]);
        expect(cal.status, cal.stderr).toBe(0);
      }
    });
  }
  it('flags a misspelt key', () => {
    const r = run('systemd-analyze', ['verify', scratch('bad.service', '[Unit]\nDescription=x\n[Service]\nExecStartt=/bin/true\nExecStart=/bin/true\n')]);
    expect(r.stderr).toMatch(/Unknown key/);
  });
});

describe('ufw --dry-run and iptables-restore --test (ufw, iptables)', () => {
  requireTool('ufw', 'ufw');
  requireTool('iptables-restore', 'iptables');
  const ctx = contexts.find(([n]) => n === 'vmware-3tier-ha.mysql8')![1];
  for (const host of ['lb-master', 'lb-slave', 'app-server-01', 'db-master', 'db-slave']) {
    it(`vmware-3tier-ha ${host}: every command is accepted`, () => {
      for (const cmd of renderUfw(ctx, host).commands) {
        const r = run(cmd[0]!, ['--dry-run', ...cmd.slice(1)]);
        expect(r.status, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stderr, cmd.join(' ')).not.toMatch(/ERROR/);
      }
    });
  }
  it('the multicast VRRP rule matches every protocol (no -p), so it works without `proto vrrp`', () => {
    const rule = renderUfw(ctx, 'lb-master').commands.find((c) => c.includes('224.0.0.18'))!;
    const r = run('ufw', ['--dry-run', ...rule.slice(1)]);
    expect(r.stdout).toMatch(/-A ufw-user-input -i ens33 -d 224\.0\.0\.18 -s 192\.168\.10\.12 -j ACCEPT/);
  });
  it('k8s-ha-platform bastion-m: before.rules with the unicast VRRP lines passes iptables-restore --test', () => {
    const k8s = contexts.find(([n]) => n === 'k8s-ha-platform.mariadb')![1];
    const lines = renderUfw(k8s, 'bastion-m').beforeRules;
    expect(lines.length).toBe(1);
    const merged = mergeBeforeRules(readFileSync('/etc/ufw/before.rules', 'utf8'), lines);
    const r = run('iptables-restore', ['--test'], { input: merged });
    expect(r.status, r.stderr).toBe(0);
    const bad = run('iptables-restore', ['--test'], { input: mergeBeforeRules(readFileSync('/etc/ufw/before.rules', 'utf8'), ['-A ufw-before-input -p nosuchproto -j ACCEPT']) });
    expect(bad.status).not.toBe(0);
  });
  it('the live check reads real iptables-save output: the unicast rule loaded into a scratch namespace is found, its absence is reported', () => {
    requireTool('unshare', 'util-linux');
    const k8s = contexts.find(([n]) => n === 'k8s-ha-platform.mariadb')![1];
    const packaged = readFileSync('/etc/ufw/before.rules', 'utf8');
    // A new, empty network namespace: nothing on the host's own filter changes.
    // before.rules jumps to chains that ufw's other files declare: declare them empty.
    const declareJumps = (rules: string) => {
      const declared = new Set([...rules.matchAll(/^:(\S+)/gm)].map((m) => m[1]));
      const extra = [...new Set([...rules.matchAll(/-j (ufw-\S+)/g)].map((m) => m[1]!))].filter((c) => !declared.has(c));
      return rules.replace('*filter\n', `*filter\n${extra.map((c) => `:${c} - [0:0]\n`).join('')}`);
    };
    const load = (rules: string) => run('unshare', ['--net', 'sh', '-c', 'iptables-restore && iptables-save -t filter'], { input: declareJumps(rules) });
    const live = load(mergeBeforeRules(packaged, renderUfw(k8s, 'bastion-m').beforeRules));
    expect(live.status, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/-A ufw-before-input .*-p (vrrp|112)/);
    expect(missingVrrpRules(k8s, 'bastion-m', live.stdout)).toEqual([]);
    // What `ufw --force reset` leaves: the packaged file, no VRRP rule.
    const reset = load(packaged);
    expect(reset.status, reset.stderr).toBe(0);
    expect(missingVrrpRules(k8s, 'bastion-m', reset.stdout)).toEqual([expect.objectContaining({ chain: 'ufw-before-input', source: '172.16.0.9', dest: '172.16.0.2', iface: 'ens33' })]);
    // The peer's rule on the wrong node does not count.
    expect(missingVrrpRules(k8s, 'bastion-s', live.stdout)).toHaveLength(1);
  });
  it('the live check finds the multicast rule ufw generates (no protocol, group address)', () => {
    const rule = renderUfw(ctx, 'lb-master').commands.find((c) => c.includes('224.0.0.18'))!;
    const dry = run('ufw', ['--dry-run', ...rule.slice(1)]).stdout;
    const line = dry.split('\n').find((l) => l.startsWith('-A ufw-user-input') && l.includes('224.0.0.18'))!;
    const live = run('unshare', ['--net', 'sh', '-c', 'iptables-restore && iptables-save -t filter'], { input: `*filter\n:ufw-user-input - [0:0]\n${line}\nCOMMIT\n` });
    expect(live.status, live.stderr).toBe(0);
    expect(missingVrrpRules(ctx, 'lb-master', live.stdout)).toEqual([]);
    expect(missingVrrpRules(ctx, 'lb-slave', live.stdout)).toHaveLength(1);
  });
});
