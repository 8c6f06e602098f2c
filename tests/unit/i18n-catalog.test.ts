import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { catalogs, LanguageError, msg, pickLang, placeholdersOf, render, t } from '../../src-main/shared/i18n';
import { CATALOG_EN, DOMAIN_CODES } from '../../src-main/shared/i18n/catalog';
import { describePath, nicName } from '../../src-main/shared/i18n/describe';
import { issueText } from '../../src-main/shared/blueprint/issues';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { SHIPPED } from '../helpers/paths';

const HANGUL = /[\uac00-\ud7a3]/;

describe('the message catalog', () => {
  const { en, ko } = catalogs();

  it('has every code in both languages, with the same placeholders', () => {
    const missingKo = Object.keys(en).filter((c) => !ko[c]?.trim());
    const extraKo = Object.keys(ko).filter((c) => !(c in en));
    expect(missingKo).toEqual([]);
    expect(extraKo).toEqual([]);
    const differ = Object.keys(en).filter((c) => placeholdersOf(en[c] as string).join() !== placeholdersOf(ko[c] as string).join());
    expect(differ).toEqual([]);
  });

  it('has no code defined by two domains', () => {
    const all = Object.values(DOMAIN_CODES).flat();
    expect(all.length).toBe(new Set(all).size);
    expect(new Set(all)).toEqual(new Set(Object.keys(CATALOG_EN)));
  });

  it('writes Korean in Korean: every sentence of the Korean catalog has Hangul unless it is only names or ordinals', () => {
    const english = Object.entries(ko).filter(([, text]) => /[a-z]{3,} [a-z]{3,} [a-z]{3,}/i.test(text.replace(/"[^"]*"|\{\w+\}|[a-z_.]+: [\w-]+/g, '')) && !HANGUL.test(text));
    expect(english).toEqual([]);
  });

  it('renders nested messages in the same language and keeps arguments as JSON', () => {
    const m = msg('v.nicIpSyntax', { nic: nicName('lb-master', 0), value: '10.0.0.x' });
    expect(render('en', m)).toBe('lb-master\'s first NIC: "10.0.0.x" is not an IPv4 address.');
    expect(render('ko', m)).toBe('lb-master의 첫 번째 NIC: "10.0.0.x" 값은 IPv4 주소가 아닙니다.');
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    expect(render('ko', JSON.parse(JSON.stringify(m)))).toBe(render('ko', m));
    expect(t('ko', 'name.nic', { host: 'db-slave', ordinal: { code: 'ordinal.9' as 'ordinal.0' } })).toBe('db-slave의 ordinal.9 NIC');
    expect(render('en', nicName('x', 11))).toBe("x's number 12 NIC");
  });

  it('checks arguments at compile time', () => {
    // @ts-expect-error missing argument
    const a = msg('v.subnetTooSmall', {});
    // @ts-expect-error misspelt argument
    const b = msg('v.subnetTooSmall', { subnett: 'x' });
    // @ts-expect-error unknown code
    const c = msg('v.noSuchMessage');
    expect([a, b, c].map((x) => x.code)).toEqual(['v.subnetTooSmall', 'v.subnetTooSmall', 'v.noSuchMessage']);
    // A missing argument stays visible.
    expect(render('en', a)).toBe('Subnet {subnet} is too small for a lab network.');
  });
});

describe('choosing the language', () => {
  it('takes --lang first, then LC_ALL, LC_MESSAGES, LANG, else English', () => {
    expect(pickLang('ko', { LANG: 'en_US.UTF-8' })).toBe('ko');
    expect(pickLang(undefined, { LANG: 'ko_KR.UTF-8' })).toBe('ko');
    expect(pickLang(undefined, { LC_ALL: 'C', LANG: 'ko_KR.UTF-8' })).toBe('en');
    expect(pickLang(undefined, { LC_MESSAGES: 'ko_KR.UTF-8', LANG: 'en_US.UTF-8' })).toBe('ko');
    expect(pickLang(undefined, {})).toBe('en');
    expect(() => pickLang('de')).toThrow(LanguageError);
    expect(() => pickLang('de')).toThrow('--lang must be en or ko, not "de".');
  });
});

describe('names in the student\'s words (shared)', () => {
  const lab = { nodes: [{ hostname: 'lb-master' }], networks: [{ name: 'vmnet8' }], services: { vips: [{ name: 'web', members: [{ node: 'lb-master' }] }] } };
  it('describes paths in both languages', () => {
    expect(describePath(lab, ['nodes', 0, 'nics', 1, 'address'], 'en')).toBe("lb-master's second NIC · Address");
    expect(describePath(lab, ['nodes', 0, 'nics', 1, 'address'], 'ko')).toBe('lb-master의 두 번째 NIC · 주소');
    expect(describePath(lab, ['networks', 0, 'dhcp'], 'ko')).toBe('네트워크 vmnet8 · DHCP 범위');
    expect(describePath(lab, ['services', 'vips', 0, 'members', 0, 'priority'], 'ko')).toBe('VIP 그룹 web · lb-master · 우선순위');
    expect(describePath(lab, [], 'ko')).toBe('랩 전체');
  });
});

describe('validation messages', () => {
  // A lab broken in many ways at once, from the shipped seed lab.
  const seed = parse(readFileSync(SHIPPED[0] as string, 'utf8'));
  seed.networks.push({ name: 'vmnet9', type: 'custom', subnet: '192.168.10.0/25', dhcp: { start: '192.168.10.50', end: '192.168.10.40' } });
  seed.nodes[0].nics[0].address = '192.168.10.200';
  seed.nodes[1].nics[0].address = '192.168.10.200';
  seed.nodes[1].nics[0].mac = '00:50:56:80:00:01';
  seed.nodes[2].hostname = 'App_Server';
  seed.services.vips[0].advertInterval = 0.5;
  seed.services.vips[0].members[1].priority = seed.services.vips[0].members[0].priority;
  const r = validateBlueprintText(stringify(seed), { hostMemoryMiB: 4096 });

  it('gives every issue a catalog message and fix, in English identical to the compatible text', () => {
    expect(r.issues.length).toBeGreaterThan(6);
    for (const i of r.issues) {
      expect(i.msg, i.code).toBeDefined();
      expect(issueText(i, 'en').message).toBe(i.message);
      expect(issueText(i, 'en').fix).toBe(i.fix);
    }
  });

  it('renders all of them in Korean, naming NICs as a student does', () => {
    for (const i of r.issues) {
      const k = issueText(i, 'ko');
      expect(k.message, i.code).toMatch(HANGUL);
      expect(k.message).not.toMatch(/\{\w+\}|nodes\[|nics\[/);
      if (k.fix) expect(k.fix).not.toMatch(/\{\w+\}/);
    }
    const dup = r.issues.find((i) => i.code === 'duplicate-address')!;
    expect(dup.message).toBe("lb-slave's first NIC: 192.168.10.200 is already used by lb-master's first NIC.");
    expect(issueText(dup, 'ko').message).toBe('lb-slave의 첫 번째 NIC: 192.168.10.200 주소는 이미 lb-master의 첫 번째 NIC에서 쓰고 있습니다.');
    expect(issueText(r.issues.find((i) => i.code === 'address-in-dhcp')!, 'ko').message).toContain('lb-master의 첫 번째 NIC: 192.168.10.200 주소가 vmnet8의 DHCP 범위');
    expect(issueText(r.issues.find((i) => i.code === 'host-memory')!, 'ko').fix).toBe('일부 VM의 memoryMiB를 줄이거나, 한 번에 켜는 VM 수를 줄이세요.');
  });
});

describe('every invalid blueprint of tests/blueprints', () => {
  const files = ['invalid', 'warnings'].flatMap((d) => readdirSync(new URL(`../blueprints/${d}/`, import.meta.url)).filter((f) => f.endsWith('.yaml')).map((f) => `${d}/${f}`));
  it('are there', () => expect(files.length).toBeGreaterThan(40));
  it.each(files)('%s: each issue has a catalog message and reads in Korean', (f) => {
    const r = validateBlueprintText(readFileSync(new URL(`../blueprints/${f}`, import.meta.url), 'utf8'), { hostMemoryMiB: 24 * 1024 });
    expect(r.issues.length).toBeGreaterThan(0);
    for (const i of r.issues) {
      expect(i.msg, `${f}: ${i.code}`).toBeDefined();
      const k = issueText(i, 'ko');
      expect(k.message, `${f}: ${i.message}`).toMatch(HANGUL);
      expect(k.message).not.toMatch(/\{\w+\}|nodes\[|nics\[/);
      if (i.fix) expect(k.fix, `${f}: ${i.fix}`).toBeDefined();
    }
  });
});

describe('check lines (preflight, doctor, settings)', () => {
  it('carry catalog messages that render in Korean; English stays in title/detail/fix', async () => {
    const { networkPreflight } = await import('../../src-main/hypervisor/vmware/preflight');
    const { checkLineText } = await import('../../src-main/shared/i18n/check-line');
    const p = await networkPreflight('linux', []);
    expect(p.lines[0]).toMatchObject({ id: 'networks', title: 'Lab networks', titleMsg: { code: 'pre.linuxNetworks' } });
    expect(checkLineText(p.lines[0]!, 'ko')).toEqual({ title: '랩 네트워크', detail: 'Linux 랩은 블루프린트의 네트워크마다 자체 브리지를 만듭니다. 호스트 설정은 바꾸지 않습니다.' });
    // A line without catalog messages (not converted yet) shows its English text.
    expect(checkLineText({ id: 'x', level: 'warning', title: 'T', detail: 'D', fix: 'F' }, 'ko')).toEqual({ title: 'T', detail: 'D', fix: 'F' });
  });
});

describe('plan lines', () => {
  it('render in Korean from the same messages the English lines come from', async () => {
    const { computePlan } = await import('../../src-main/shared/blueprint/plan');
    for (const file of SHIPPED) {
      const plan = computePlan(validateBlueprintText(readFileSync(file, 'utf8'), { hostMemoryMiB: 24 * 1024 }).resolved!);
      expect(plan.serviceMsgs.map((m) => render('en', m))).toEqual(plan.services);
      for (const m of plan.serviceMsgs) {
        const k = render('ko', m);
        expect(k, file).toMatch(HANGUL);
        expect(k).not.toMatch(/\{\w+\}| on | every | held by /);
      }
    }
    const seed = computePlan(validateBlueprintText(readFileSync(SHIPPED[0] as string, 'utf8'), { hostMemoryMiB: 24 * 1024 }).resolved!);
    expect(render('ko', seed.serviceMsgs[0]!)).toBe('VIP 192.168.10.100 (web): 네트워크 vmnet8, VRID 51, multicast, 우선순위 lb-master(150) > lb-slave(100)');
  });
});
