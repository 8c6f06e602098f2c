import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractLangFlag } from '../../src-main/cli/lang';
import { run } from '../../src-main/exec/runner';
import { ROOT } from '../helpers/paths';

const halab = (env: Record<string, string>, ...args: string[]) =>
  run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env: { NO_COLOR: '1', LC_ALL: '', LC_MESSAGES: '', LANG: '', ...env } });
const BAD = 'tests/blueprints/invalid/duplicate-address.yaml';

describe('halab --lang', () => {
  it('takes --lang out of the arguments wherever it stands', () => {
    expect(extractLangFlag(['--lang', 'ko', 'validate', 'f'])).toEqual({ rest: ['validate', 'f'], flag: 'ko' });
    expect(extractLangFlag(['report', 'f', '--lang=en', '--format', 'md'])).toEqual({ rest: ['report', 'f', '--format', 'md'], flag: 'en' });
    expect(extractLangFlag(['validate', 'f'])).toEqual({ rest: ['validate', 'f'], flag: undefined });
  });

  it('validate speaks Korean with --lang ko, naming the NIC as a student does; --json keeps code, args and English', { timeout: 60_000 }, async () => {
    const ko = await halab({}, '--lang', 'ko', 'validate', BAD);
    expect(ko.exitCode).toBe(1);
    expect(ko.stderr).toContain(`${BAD}:35:37: 오류: db2의 첫 번째 NIC: 10.0.0.31 주소는 이미 db1의 첫 번째 NIC에서 쓰고 있습니다. [db2의 첫 번째 NIC · 주소]`);
    expect(ko.stderr).toContain('    고치는 법: NIC와 VIP마다 서로 다른 주소를 쓰세요.');
    expect(ko.stderr).toContain(`✗ ${BAD}: 오류 1개`);
    expect(ko.stderr).not.toMatch(/nodes\[|nics\[/);
    const en = await halab({}, 'validate', BAD);
    expect(en.stderr).toContain(`${BAD}:35:37: error: db2's first NIC: 10.0.0.31 is already used by db1's first NIC. [db2's first NIC · Address]`);
    expect(en.stderr).toContain('    fix: Give every NIC and VIP its own address.');
    const json = JSON.parse((await halab({ LANG: 'ko_KR.UTF-8' }, 'validate', BAD, '--json')).stdout);
    expect(json.issues[0]).toMatchObject({ code: 'duplicate-address', path: ['nodes', 4, 'nics', 0, 'address'], message: "db2's first NIC: 10.0.0.31 is already used by db1's first NIC.", msg: { code: 'v.duplicateAddress', args: { address: '10.0.0.31' } }, fixMsg: { code: 'v.duplicateAddress.fix' } });
  });

  it('follows LANG / LC_ALL, and --lang wins', { timeout: 60_000 }, async () => {
    const ok = await halab({ LANG: 'ko_KR.UTF-8' }, 'validate', 'lab-blueprints/vmware-3tier-ha.yaml');
    expect(ok.stdout).toContain('✓ lab-blueprints/vmware-3tier-ha.yaml: 문제없습니다');
    expect(ok.stdout).toContain('VM 6대, 네트워크 2개');
    expect((await halab({ LC_ALL: 'C', LANG: 'ko_KR.UTF-8' }, 'validate', 'lab-blueprints/vmware-3tier-ha.yaml')).stdout).toContain('is valid');
    expect((await halab({ LANG: 'ko_KR.UTF-8' }, '--lang', 'en', 'validate', 'lab-blueprints/vmware-3tier-ha.yaml')).stdout).toContain('6 VMs, 2 networks');
  });

  it('--help and usage errors in Korean; an unknown --lang is a usage error', { timeout: 60_000 }, async () => {
    const help = await halab({}, '--help', '--lang', 'ko');
    expect(help.stdout).toContain('사용법: halab <명령> [옵션]');
    expect(help.stdout).toContain('--lang en|ko');
    expect(help.stdout).not.toMatch(/Check a blueprint|Destroy every VM/);
    expect((await halab({}, '--help')).stdout).toContain('Check a blueprint');
    const typo = await halab({}, '--lang', 'ko', 'valdate', 'x');
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('오류: 알 수 없는 명령 "valdate"입니다. 혹시 "validate"인가요?');
    const missing = await halab({}, '--lang', 'ko', 'validate');
    expect(missing.stderr).toContain('사용법: halab validate FILE');
    const de = await halab({}, '--lang', 'de', 'validate', 'x');
    expect(de.exitCode).toBe(2);
    expect(de.stderr).toContain('--lang must be en or ko, not "de".');
  });

  it('plan in Korean: headings, aligned columns, service lines and the host lines', { timeout: 60_000 }, async () => {
    const r = await halab({}, 'plan', 'lab-blueprints/vmware-3tier-ha.yaml', '--lang', 'ko', '--provider', 'linux');
    expect(r.stdout).toContain('네트워크 (VMnet)\n이름    종류    서브넷');
    expect(r.stdout).toContain('  - VIP 192.168.10.100 (web): 네트워크 vmnet8, VRID 51, multicast, 우선순위 lb-master(150) > lb-slave(100)');
    expect(r.stdout).toMatch(/합계: VM 6대, vCPU 10개, RAM 10\.0 GiB/);
    expect(r.stdout).toContain('이 컴퓨터에서 (linux)\n  ✓ 랩 네트워크');
    expect(r.stdout).not.toMatch(/Virtual machines|Totals:|held by/);
  });

  it('graph and report still take --lang (the global flag is handed to them)', { timeout: 60_000 }, async () => {
    const svg = await halab({}, 'graph', 'lab-blueprints/vmware-3tier-ha.yaml', '--format', 'svg', '--lang', 'ko');
    expect(svg.exitCode).toBe(0);
    expect(svg.stdout).toMatch(/[\uac00-\ud7a3]/);
  });
});
