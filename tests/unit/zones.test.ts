/**
 * Zones, the routed firewall and the hardening profile (issue 14): the
 * validation rules, the addressing across zones, the matrix, the nftables
 * ruleset (checked by the real `nft -c` where nft is installed; CI installs
 * it), UFW, netplan routes, the hardening files, and the verify's parsers
 * and probe plan.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RenderContext } from '../../src-main/configs/context';
import { fail2banIgnore, hardeningSysctls, renderHardeningFiles } from '../../src-main/configs/hardening';
import { renderRouterFiles, renderZonesNft, zoneUfwRules } from '../../src-main/configs/nftables';
import { renderNetplan } from '../../src-main/configs/system';
import { renderUfw } from '../../src-main/configs/ufw';
import { renderNginxConf } from '../../src-main/configs/nginx';
import { sysctlNote } from '../../src-main/provision/zone-steps';
import { listeningPorts, parseProbeLines, planProbes, probePassed } from '../../src-main/provision/zone-verify';
import { addressFor } from '../../src-main/shared/blueprint/model';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { crossZoneFlows, zoneCells, zoneMatrix } from '../../src-main/shared/blueprint/zones';
import { render } from '../../src-main/shared/i18n';
import { issueText } from '../../src-main/shared/blueprint/issues';
import { ROOT } from '../helpers/paths';

const SMALL = readFileSync(join(ROOT, 'tests/integration/zones-lab.yaml'), 'utf8');
const ONPREM = readFileSync(join(ROOT, 'lab-blueprints/onprem-zones.yaml'), 'utf8');

function ctxOf(text: string): RenderContext {
  const r = validateBlueprintText(text);
  if (!r.resolved) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return { lab: r.resolved, secrets: { vrrpAuthPass: 'abcdefgh', db: { app: 'a', replication: 'b', monitoring: 'c', backup: 'd' } }, engine: 'mariadb', nicMatch: 'name' };
}
const codes = (text: string) => validateBlueprintText(text).issues.map((i) => `${i.severity}:${i.code}`);

describe('zone validation', () => {
  it('the shipped onprem-zones lab and the integration lab are valid without warnings', () => {
    expect(validateBlueprintText(ONPREM, { hostMemoryMiB: 24 * 1024 }).issues).toEqual([]);
    expect(validateBlueprintText(SMALL).issues).toEqual([]);
  });

  it('a missing rule is named with the line to add, in English and Korean', () => {
    const r = validateBlueprintText(SMALL.replace('        - {from: app, to: data, ports: [3306]}\n', ''));
    const hit = r.issues.find((i) => i.code === 'zone-flow-denied')!;
    expect(hit.message).toBe('The zone policy blocks what this needs: the app connects to the database on db1 (app1 in app → db1 in data, port 3306/tcp).');
    expect(hit.fix).toBe('Add a rule to services.firewall.zones.allow: from app, to data, ports [3306], protocol tcp (or add 3306 to the rule from app to data).');
    expect(issueText(hit, 'ko').message).toBe('구역 정책이 필요한 연결을 막습니다: 앱이 db1 서버의 데이터베이스에 접속하는 연결 (app 구역의 app1 → data 구역의 db1, 포트 3306/tcp)');
  });

  it('onprem-zones: dropping the monitoring or backup rules names what breaks', () => {
    expect(codes(ONPREM.replace('        - {from: management, to: data, ports: [9187, 9121]}\n', ''))).toContain('error:zone-flow-denied');
    const noBackup = validateBlueprintText(ONPREM.replace('        - {from: data, to: management, ports: [22]}\n', ''));
    expect(noBackup.issues.map((i) => i.message)).toContain('The zone policy blocks what this needs: the backup copies each dump to backup over SSH (db2 in data → backup in management, port 22/tcp).');
  });

  it('a rule broader than needed warns, unless it says why; `all` that opens unused zones warns too', () => {
    const broad = SMALL.replace('        - {from: app, to: data, ports: [3306]}', '        - {from: app, to: data, ports: [3306, 5432]}');
    // 3306 is used, 5432 is not: the port no service uses is the warning.
    const w = validateBlueprintText(broad).issues;
    expect(w.map((i) => i.code)).toEqual(['zone-rule-unused']);
    expect(w[0]!.message).toBe('The rule from app to data allows port 5432, which no service of this lab uses: broader than needed.');
    expect(codes(SMALL.replace(", why: 'probe listener check'", ''))).toEqual(['warning:zone-rule-unused']);
    expect(codes(SMALL.replace('        - {from: app, to: data, ports: [3306]}', '        - {from: all, to: data, ports: [3306]}'))).toEqual(['warning:zone-rule-broad']);
  });

  it('names real zones; refuses a zone called all, a duplicate zone, a policy with one zone, a firewall role without a policy', () => {
    expect(codes(SMALL.replace('{from: app, to: data', '{from: app, to: datta'))).toEqual(['error:zone-flow-denied', 'error:unknown-zone']);
    expect(codes(SMALL.replace('zone: data,', 'zone: all,'))).toContain('error:zone-reserved');
    expect(codes(SMALL.replace('zone: data,', 'zone: app,'))).toContain('error:zone-duplicate');
    expect(codes(SMALL.replace('{from: dmz, to: app, ports: [3000]}', '{from: app, to: app, ports: [3000]}'))).toContain('warning:zone-rule-same-zone');
    const noPolicy = SMALL.slice(0, SMALL.indexOf('  firewall:'));
    expect(codes(noPolicy)).toEqual(expect.arrayContaining(['warning:zones-without-router', 'warning:firewall-without-zones', 'error:no-shared-network']));
  });

  it('a VM outside every zone warns; the router as an unknown VM suggests the firewall VM', () => {
    const r = validateBlueprintText(SMALL.replace('router: fw', 'router: fw1'));
    const hit = r.issues.find((i) => i.code === 'unknown-node')!;
    expect(hit.fix).toBe('Use "fw".');
  });
});

describe('addressing across zones', () => {
  const ctx = ctxOf(SMALL);
  it('a VM reaches one in another zone at its zone address, through the router', () => {
    expect(addressFor(ctx.lab, 'lb1', 'app1')).toBe('10.141.10.21');
    expect(addressFor(ctx.lab, 'app1', 'db1')).toBe('10.141.20.31');
    expect(addressFor(ctx.lab, 'fw', 'db1')).toBe('10.141.20.31');
    expect(renderNginxConf(ctx, 'lb1')).toContain('server 10.141.10.21:3000');
  });

  it('netplan: routes to the other zones via the router, never a default route', () => {
    const np = renderNetplan(ctx, 'app1');
    expect(np).toContain('routes:\n        - to: 10.141.1.0/24\n          via: 10.141.10.100\n        - to: 10.141.20.0/24\n          via: 10.141.10.100\n');
    expect(np).not.toContain('default');
    expect(renderNetplan(ctx, 'fw')).not.toContain('routes');
  });

  it('the service flows that cross zones', () => {
    expect(crossZoneFlows(ctx.lab.lab).map((f) => `${f.from}>${f.to}:${f.port}`)).toEqual(['lb1>app1:3000', 'app1>db1:3306']);
  });
});

describe('the matrix and plan', () => {
  it('expands all, sorts ports, marks what no service uses', () => {
    const r = validateBlueprintText(ONPREM).resolved!;
    const m = zoneMatrix(r.lab)!;
    expect(m.router).toBe('fw');
    expect(m.zones.map((z) => z.name)).toEqual(['dmz', 'app', 'data', 'management']);
    const cell = (a: string, b: string) => m.cells.find((c) => c.from === a && c.to === b)!;
    expect(cell('dmz', 'app').allowed).toEqual(['80/tcp', '443/tcp', '3000/tcp']);
    expect(cell('dmz', 'app').unused).toEqual(['80/tcp', '443/tcp']);
    expect(cell('management', 'data').allowed).toEqual(['22/tcp', '9100/tcp', '9121/tcp', '9187/tcp']);
    expect(cell('app', 'data').allowed).toEqual(['2049/tcp', '5432/tcp', '6379/tcp', '26379/tcp']);
    expect(cell('app', 'data').unused).toEqual(['2049/tcp']);
    expect(cell('app', 'dmz').allowed).toEqual([]);
    expect(m.cells).toHaveLength(12);
    const plan = computePlan(r);
    expect(plan.zones).toEqual(m);
    expect(plan.serviceMsgs.map((x) => render('ko', x))).toContain('보안 강화: baseline (시드의 sysctl 설정, 호스트는 차단하지 않는 sshd용 fail2ban, 키로만 sshd 접속)');
    expect(computePlan(validateBlueprintText(readFileSync(join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8')).resolved!).zones).toBeUndefined();
  });

  it('halab plan prints the matrix as a table (en and ko)', () => {
    const out = (lang: string) => execFileSync('node', [join(ROOT, 'bin/halab.mjs'), '--lang', lang, 'plan', join(ROOT, 'tests/integration/zones-lab.yaml')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const en = out('en');
    expect(en).toContain('Zone firewall (router fw; everything not listed is denied)');
    expect(en).toMatch(/^dmz\s+—\s+3000\/tcp 8443\/tcp\s+denied$/m);
    expect(en).toMatch(/^app\s+denied\s+—\s+3306\/tcp$/m);
    expect(out('ko')).toMatch(/^data\s+차단\s+차단\s+—$/m);
  }, 60_000);
});

describe('nftables for the router', () => {
  const ctx = ctxOf(SMALL);
  const nft = renderZonesNft(ctx, 'fw');

  it('accepts exactly the allow-list by interface and subnet, rejects the rest, touches only its own table', () => {
    expect(nft).toContain('iifname "ens33" oifname "ens34" ip saddr 10.141.1.0/24 ip daddr 10.141.10.0/24 tcp dport 3000 counter accept comment "dmz to app"');
    expect(nft).toContain('iifname "ens34" oifname "ens35" ip saddr 10.141.10.0/24 ip daddr 10.141.20.0/24 tcp dport 3306 counter accept comment "app to data"');
    expect(nft).toContain('type filter hook forward priority filter; policy drop;');
    expect(nft).toContain('counter reject with icmpx type admin-prohibited');
    expect(nft).not.toContain('flush ruleset');
    expect(nft.match(/accept comment/g)).toHaveLength(3);
    expect(() => renderZonesNft(ctx, 'lb1')).toThrow(/not the zone router/);
  });

  it('groups a rule’s ports into one set and expands all (onprem-zones)', () => {
    const big = renderZonesNft(ctxOf(ONPREM), 'fw');
    expect(big).toContain('tcp dport { 5432, 6379, 26379 } counter accept comment "app to data"');
    expect(big.match(/comment "management to (dmz|app|data)"/g)!.length).toBe(3 + 3 + 1 + 1);
    expect(zoneCells(ctxOf(ONPREM).lab.lab).filter((c) => c.from === 'management' && c.port === 22).map((c) => c.to)).toEqual(['dmz', 'app', 'data']);
  });

  it('the real nft accepts the rulesets (nft -c -f)', () => {
    const nftBin = ['/usr/sbin/nft', '/sbin/nft'].find((p) => existsSync(p));
    expect(nftBin, 'nft is not installed: apt-get install nftables (scripts/ci-apt-packages.txt lists it)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'halab-nft-'));
    for (const [name, text] of [['small', nft], ['onprem', renderZonesNft(ctxOf(ONPREM), 'fw')]] as const) {
      const file = join(dir, `${name}.nft`);
      writeFileSync(file, text);
      // -c: parse and check against the kernel without applying anything.
      expect(() => execFileSync(nftBin!, ['-c', '-f', file], { encoding: 'utf8', stdio: 'pipe' }), name).not.toThrow();
    }
  });

  it('router files: forwarding on, a boot unit after UFW; UFW: routed left to the table, zone ports per VM', () => {
    const files = renderRouterFiles(ctx, 'fw');
    expect(files.map((f) => f.path)).toEqual(['/etc/halab/zones.nft', '/etc/systemd/system/halab-zones.service']);
    expect(files[1]!.content).toContain('After=ufw.service');
    expect(renderRouterFiles(ctx, 'lb1')).toEqual([]);
    expect(zoneUfwRules(ctx, 'fw')).toEqual([['ufw', 'default', 'allow', 'routed']]);
    expect(renderUfw(ctx, 'db1').commands.map((c) => c.join(' '))).toEqual(expect.arrayContaining([
      'ufw allow from 10.141.10.21 to any port 3306 proto tcp comment halab mysql from app1',
      'ufw allow from 10.141.10.0/24 to any port 3306 proto tcp comment halab zone app to data',
    ]));
    expect(zoneUfwRules(ctx, 'lb1')).toEqual([]);
  });
});

describe('hardening profile', () => {
  const ctx = ctxOf(SMALL);
  it('renders the seed sysctl set (forwarding only on the router), fail2ban ignoring the host, a journal bridge', () => {
    const keys = hardeningSysctls(ctx, 'db1').map((s) => `${s.key}=${s.value}`);
    expect(keys).toEqual(expect.arrayContaining(['net.ipv4.ip_forward=0', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.icmp_echo_ignore_broadcasts=1', 'net.ipv4.conf.all.accept_redirects=0', 'net.ipv4.conf.all.secure_redirects=0', 'net.ipv6.conf.all.disable_ipv6=1', 'kernel.randomize_va_space=2']));
    expect(hardeningSysctls(ctx, 'fw').some((s) => s.key === 'net.ipv4.ip_forward')).toBe(false);
    const files = renderHardeningFiles(ctx, 'db1');
    const jail = files.find((f) => f.path === '/etc/fail2ban/jail.local')!.content;
    expect(jail).toContain('ignoreip = 127.0.0.1/8 ::1 10.141.1.1 10.141.10.1 10.141.20.1\n');
    expect(jail).toMatch(/bantime = 3600\nfindtime = 600\nmaxretry = 5/);
    expect(fail2banIgnore(ctx)).toHaveLength(5);
    const sysctl = files.find((f) => f.path === '/etc/sysctl.d/60-halab-hardening.conf')!.content;
    // sysctl.d has no trailing comments: every value line is exactly "key = value".
    for (const l of sysctl.split('\n').filter((x) => x && !x.startsWith('#'))) expect(l).toMatch(/^[a-z0-9_.]+ = \d+$/);
  });

  it('hardening: none renders nothing, and is valid', () => {
    const none = ctxOf(SMALL.replace('hardening: baseline', 'hardening: none'));
    expect(renderHardeningFiles(none, 'db1')).toEqual([]);
    expect(codes(SMALL.replace('hardening: baseline', 'hardening: strict'))[0]).toMatch(/^error:/);
  });

  it('the default is baseline (existing labs get it)', () => {
    const r = validateBlueprintText(readFileSync(join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8'));
    expect(r.lab!.hardening).toBe('baseline');
  });

  it('verify never claims what it did not set', () => {
    const base = { key: 'kernel.randomize_va_space', want: '2', exists: true, set: false };
    expect(sysctlNote({ ...base, value: '2', writable: false })).toMatch(/already \(read-only in this guest: set by the host's kernel, not by halab\)/);
    expect(sysctlNote({ ...base, value: '1', writable: false })).toMatch(/not applicable \(read-only in this guest.*the running value is 1/);
    expect(sysctlNote({ ...base, value: '2', writable: true })).toBeUndefined();
    expect(sysctlNote({ ...base, value: '', exists: false, writable: false })).toMatch(/no such key/);
    // net.* keys are per network namespace: a read-only guest gets them from the host (Linux lab), so they count as in effect.
    expect(sysctlNote({ ...base, key: 'net.ipv4.conf.all.rp_filter', want: '1', value: '1', writable: false })).toBeUndefined();
    expect(sysctlNote({ ...base, key: 'net.ipv4.conf.all.rp_filter', want: '1', value: '0', writable: false })).toMatch(/not applicable/);
  });
});

describe('verify: probes', () => {
  const ctx = ctxOf(SMALL);
  it('parses ss and the probe script', () => {
    const ss = 'LISTEN 0 511 0.0.0.0:80 0.0.0.0:*\nLISTEN 0 80 10.141.20.31:3306 0.0.0.0:*\nLISTEN 0 4096 127.0.0.1:9999 0.0.0.0:*\nLISTEN 0 128 [::]:22 [::]:*\nLISTEN 0 4096 *:9100 *:*';
    expect([...listeningPorts(ss, '10.141.20.31')].sort((a, b) => a - b)).toEqual([22, 80, 3306, 9100]);
    const lines = parseProbeLines('10.141.10.21 3000 connected \n10.141.20.31 3306 prohibited No route to host\n10.1.1.1 1 timeout ');
    expect(lines.get('10.141.20.31:3306')).toEqual({ outcome: 'prohibited', detail: 'No route to host' });
    expect(lines.get('10.1.1.1:1')!.outcome).toBe('timeout');
  });

  it('plans every allowed cell once (a temporary listener where no service listens) and one denied port per zone pair', () => {
    const listening = new Map([
      ['lb1', new Set([22, 80, 9100])],
      ['app1', new Set([22, 3000, 9100])],
      ['db1', new Set([22, 3306, 9100, 9104])],
    ]);
    const { probes, skipped } = planProbes(ctx, listening);
    const allow = probes.filter((p) => p.expect === 'allow').map((p) => `${p.client}>${p.target}:${p.port}${p.temporaryListener ? '*' : ''}`);
    expect(allow).toEqual(['lb1>app1:3000', 'lb1>app1:8443*', 'app1>db1:3306']);
    const deny = probes.filter((p) => p.expect === 'deny').map((p) => `${p.fromZone}>${p.toZone}:${p.port}`);
    expect(deny).toEqual(['dmz>app:22', 'dmz>data:22', 'app>dmz:22', 'app>data:22', 'data>dmz:22', 'data>app:22']);
    expect(skipped).toEqual([]);
    expect(probePassed({ ...probes[0]!, outcome: 'connected' })).toBe(true);
    expect(probePassed({ ...probes.at(-1)!, outcome: 'prohibited' })).toBe(true);
    expect(probePassed({ ...probes.at(-1)!, outcome: 'connected' })).toBe(false);
    expect(probePassed({ ...probes[0]!, outcome: 'refused' })).toBe(false);
  });
});
