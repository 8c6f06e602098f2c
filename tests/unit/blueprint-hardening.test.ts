/**
 * Hostile and careless blueprint files (issue 11): one reader for validate and
 * export, aliases, size caps, a linear "did you mean", checks that used to
 * come too late, and validation that knows the provider.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { blueprintHandlers } from '../../src-main/backend/handlers/blueprint';
import { exportBlueprintText } from '../../src-main/shared/blueprint/export';
import { requestSchemas } from '../../src-main/shared/ipc/contract';
import { didYouMean, editDistance } from '../../src-main/shared/blueprint/issues';
import { LIMITS } from '../../src-main/shared/blueprint/schema';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT, SHIPPED } from '../helpers/paths';

const seed = readFileSync(SHIPPED[0] as string, 'utf8');
const minimal = readFileSync(SHIPPED[2] as string, 'utf8');

describe('validate and export read the same way', () => {
  it('a CR-only file validates and exports exactly like the LF file', () => {
    const cr = seed.replace(/\n/g, '\r');
    expect(validateBlueprintText(cr).issues).toEqual(validateBlueprintText(seed).issues);
    const e = exportBlueprintText(cr, 'json');
    expect(e.ok).toBe(true);
    expect(e.ok && JSON.parse(e.text)).toEqual(JSON.parse((exportBlueprintText(seed, 'json') as { text: string }).text));
  });

  it('title: 1e400 is refused by validate, so export refuses it too (never a JSON null)', () => {
    const text = seed.replace(/\n {2}title: .*\n/, '\n  title: 1e400\n');
    const line = text.split('\n').indexOf('  title: 1e400') + 1;
    const v = validateBlueprintText(text);
    const issue = v.issues.find((i) => i.code === 'wrong-type')!;
    expect(issue).toMatchObject({ line, col: 10, path: ['metadata', 'title'] });
    expect(issue.message).toMatch(/too large/);
    expect(issue.fix).toMatch(/quotes/);
    expect(exportBlueprintText(text, 'json').ok).toBe(false);
    const quoted = exportBlueprintText(seed.replace(/\n {2}title: .*\n/, '\n  title: "1e400"\n'), 'json');
    expect(quoted.ok && JSON.parse(quoted.text).metadata.title).toBe('1e400');
  });

  it('export writes only a blueprint without errors, and its output validates', () => {
    expect(exportBlueprintText(minimal.replace('192.168.20.21', '192.168.21.21'), 'yaml').ok).toBe(false);
    for (const f of SHIPPED) {
      for (const format of ['yaml', 'json'] as const) {
        const e = exportBlueprintText(readFileSync(f, 'utf8'), format);
        expect(e.ok && !e.plain, `${f} ${format}`).toBe(true);
        expect(e.ok && validateBlueprintText(e.text).ok).toBe(true);
      }
    }
  });
});

describe('aliases are checked before the schema and never throw', () => {
  it('an unresolved alias is an error at its line:column, with a fix', () => {
    const r = validateBlueprintText(minimal.replace('  name: lb-pair-minimal', '  name: *lab'));
    expect(r.ok).toBe(false);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'yaml-unresolved-alias', line: 8, col: 9 });
    expect(r.issues[0]!.fix).toBeTruthy();
  });

  it('more than 100 aliases in a file that also has an error: the alias cap is reported, nothing throws', () => {
    const many = `${minimal.replace('192.168.20.21', '192.168.21.21')}layout:\n  positions:\n    a: &p {x: 1, y: 1}\n${Array.from({ length: 120 }, (_, i) => `    n${i}: *p`).join('\n')}\n`;
    const r = validateBlueprintText(many);
    expect(r.issues.map((i) => i.code)).toEqual(['yaml-too-many-aliases']);
    // 100 are fine (and the file's own error is then found).
    const fine = validateBlueprintText(`${minimal.replace('192.168.20.21', '192.168.21.21')}layout:\n  positions:\n    a: &p {x: 1, y: 1}\n${Array.from({ length: 100 }, (_, i) => `    n${i}: *p`).join('\n')}\n`);
    expect(fine.issues.map((i) => i.code)).toEqual(['address-outside-subnet']);
  });

  it('a 2.6 KB alias bomb is refused in milliseconds', () => {
    let bomb = `${minimal}layout:\n  positions:\n    b0: &b0 {x: 1, y: 1}\n`;
    for (let i = 1; i < 26; i++) bomb += `    b${i}: &level${i} [${Array(9).fill(`*level${i - 1}`).join(', ')}]\n`;
    bomb = bomb.replace('&b0', '&level0');
    expect(bomb.length - minimal.length).toBeGreaterThan(2600);
    const t = performance.now();
    const r = validateBlueprintText(bomb);
    expect(performance.now() - t).toBeLessThan(200);
    expect(r.issues[0]!.code).toBe('yaml-alias-bomb');
    expect(r.issues[0]!.line).toBeGreaterThan(40);
  });

  it('halab validate prints the line:column and exit 1; --json prints the issue', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'halab-h6-'));
    const file = join(dir, 'alias.yaml');
    await writeFile(file, minimal.replace('  name: lb-pair-minimal', '  name: *lab'));
    const run = (args: string[]) => promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'halab.mjs'), ...args]).then(() => ({ code: 0, stdout: '', stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
    const plain = await run(['validate', file]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(`${file}:8:9: error: The alias *lab has no anchor &lab before it.`);
    const json = await run(['validate', file, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).issues[0]).toMatchObject({ code: 'yaml-unresolved-alias', line: 8, col: 9 });
  }, 60_000);
});

describe('size caps and a linear "did you mean"', () => {
  it('a bounded edit distance gives the same answers as the full one for close words, and gives up early', () => {
    expect(editDistance('memroyMiB', 'memoryMiB', 3)).toBe(2);
    expect(editDistance('kitten', 'sitting', 5)).toBe(3);
    expect(editDistance('kitten', 'sitting', 2)).toBe(3);
    expect(editDistance('', 'abc', 5)).toBe(3);
    expect(editDistance('a'.repeat(100_000), 'b'.repeat(100_000), 3)).toBe(4);
    expect(didYouMean('hostnme', ['hostname', 'roles'])).toBe('hostname');
  });

  it('the bounded distance equals the full Levenshtein distance (capped at max + 1) on 5,000 random pairs', () => {
    const full = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
      for (let j = 1; j <= b.length; j++) d[0]![j] = j;
      for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      return d[a.length]![b.length]!;
    };
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = () => Array.from({ length: rnd(9) }, () => 'abc'[rnd(3)]).join('');
    for (let k = 0; k < 5000; k++) {
      const a = word();
      const b = word();
      const max = rnd(6);
      expect(editDistance(a, b, max), `${a} ${b} ${max}`).toBe(Math.min(full(a, b), max + 1));
    }
  });

  it('very long near-miss names come back fast', () => {
    const long = 'app1' + 'x'.repeat(200_000);
    const t = performance.now();
    didYouMean(long, [long.slice(0, -1) + 'y', 'lb1']);
    editDistance(long, long.slice(0, -1) + 'y', 5);
    expect(performance.now() - t).toBeLessThan(200);
    // Through the validator: a 200-character near-miss hostname and its reference.
    const name = 'app' + 'a'.repeat(200);
    const text = minimal.replaceAll('app1', name).replace(`upstream:\n      members: [${name}`, `upstream:\n      members: [${name}b`);
    const t2 = performance.now();
    const r = validateBlueprintText(text);
    expect(performance.now() - t2).toBeLessThan(500);
    expect(r.ok).toBe(false);
  });

  it('too many NICs, networks and VMs, and too long text, are errors with a line', () => {
    const nics = Array.from({ length: LIMITS.nicsPerNode + 1 }, (_, i) => `      - {network: vmnet8, address: 192.168.20.${50 + i}}`).join('\n');
    const r = validateBlueprintText(minimal.replace('  - hostname: app1\n', `  - hostname: big\n    roles: [generic]\n    nics:\n${nics}\n  - hostname: app1\n`));
    expect(r.issues.find((i) => i.code === 'too-big')).toMatchObject({ path: ['nodes', 2, 'nics'] });
    expect(r.issues.every((i) => i.line !== undefined)).toBe(true);
    const huge = validateBlueprintText(`# ${'x'.repeat(LIMITS.textChars)}\n${minimal}`);
    expect(huge.issues[0]).toMatchObject({ code: 'too-large', line: 1 });
  });
});

describe('no input makes validation slow', () => {
  it('a mapping with thousands of keys is read in linear time (the duplicate-key check is ours, with a set)', () => {
    const keys = (n: number) => `${minimal}layout:\n  positions:\n${Array.from({ length: n }, (_, i) => `    n${i}: 1`).join('\n')}\n`;
    const t = performance.now();
    const r = validateBlueprintText(keys(9000));
    expect(performance.now() - t).toBeLessThan(3000);
    expect(r.ok).toBe(false);
    expect(validateBlueprintText(`${minimal}kind: Lab\n`).issues[0]).toMatchObject({ code: 'yaml-duplicate-key', line: minimal.split('\n').length });
  });
});

describe('checks that used to come too late', () => {
  it('a line break in the backup schedule is refused by validation, quoting the value, with a fix', () => {
    const r = validateBlueprintText(readFileSync(join(ROOT, 'tests/blueprints/invalid/backup-schedule-newline.yaml'), 'utf8'));
    const i = r.issues.find((x) => x.code === 'invalid-format')!;
    expect(i.message).toContain('"*-*-* 04:00:00\\nExecStartPre=/bin/sh -c id"');
    expect(i.fix).toMatch(/\*-\*-\* 04:00:00/);
  });

  it('regex rules quote the bad value and suggest a good one', () => {
    const r = validateBlueprintText(readFileSync(join(ROOT, 'tests/blueprints/invalid/db-user-name.yaml'), 'utf8'));
    const i = r.issues.find((x) => x.code === 'invalid-format')!;
    expect(i.message).toContain('"app.user"');
    expect(i.fix).toBe('Use "app_user".');
  });
});

describe('validation knows the provider', () => {
  const text = readFileSync(join(ROOT, 'tests/blueprints/invalid/vmware-network-name.yaml'), 'utf8');
  const sev = (provider?: 'vmware' | 'linux') => validateBlueprintText(text, { provider }).issues.find((i) => i.code === 'vmware-network-name')?.severity;

  it('the chosen provider\'s rules are errors, the other\'s warnings, and both warnings without a provider', () => {
    expect(sev('vmware')).toBe('error');
    expect(sev('linux')).toBe('warning');
    expect(sev(undefined)).toBe('warning');
    expect(validateBlueprintText(text, { provider: 'linux' }).ok).toBe(true);
  });

  it('collisions after sanitising are errors for any provider', () => {
    const t = readFileSync(join(ROOT, 'tests/blueprints/invalid/network-name-collision.yaml'), 'utf8');
    for (const provider of [undefined, 'vmware', 'linux'] as const) {
      expect(validateBlueprintText(t, { provider }).issues.find((i) => i.code === 'network-name-collision')?.severity).toBe('error');
    }
  });

  it('blueprint:validate and blueprint:plan take an optional provider; export refuses a blueprint with errors', async () => {
    expect(requestSchemas['blueprint:validate'].safeParse({ text, provider: 'vmware' }).success).toBe(true);
    expect(requestSchemas['blueprint:plan'].safeParse({ text }).success).toBe(true);
    expect(requestSchemas['blueprint:validate'].safeParse({ text, provider: 'hyperv' }).success).toBe(false);
    const v = await blueprintHandlers['blueprint:validate']({ text, provider: 'vmware' });
    expect(v.ok).toBe(false);
    expect(v.issues.find((i) => i.code === 'vmware-network-name')).toMatchObject({ severity: 'error', line: text.split('\n').findIndex((l) => l.includes('# <- error')) + 1 });
    const p = await blueprintHandlers['blueprint:plan']({ text, provider: 'linux' });
    expect(p.ok).toBe(true);
    expect(p.plan?.vms.length).toBe(5);
    await expect(blueprintHandlers['blueprint:export']({ text: minimal.replace('  name: lb-pair-minimal', '  name: *lab'), format: 'json' })).rejects.toMatchObject({ code: 'invalid-blueprint', message: expect.stringContaining(':8:9:') });
  });

  it('the shipped labs are clean for both providers', () => {
    for (const f of SHIPPED) for (const provider of ['vmware', 'linux'] as const) expect(validateBlueprintText(readFileSync(f, 'utf8'), { provider }).issues, `${f} ${provider}`).toEqual([]);
  });
});
