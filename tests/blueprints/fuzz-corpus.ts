/**
 * Hostile and careless blueprints for the fuzz test and the hostile-input
 * benchmark: the shipped labs with seeded, deterministic mutations (lines
 * deleted, duplicated, swapped and re-indented; anchors, aliases, unresolved
 * aliases and alias bombs; control characters; huge numbers; very long
 * strings and near-miss names; CR and CRLF line ends; names that collide
 * once sanitised). The same seed always gives the same corpus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BLUEPRINTS = join(import.meta.dirname, '..', '..', 'lab-blueprints');

/** The shipped labs' text, in file-name order. */
export function shippedTexts(): string[] {
  return readdirSync(BLUEPRINTS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readFileSync(join(BLUEPRINTS, f), 'utf8'));
}

/** Small, fast, seedable PRNG (mulberry32): floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rnd = () => number;
const int = (r: Rnd, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rnd, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

const CONTROL = ['\u0000', '\u0007', '\u001b', '\t', '\u000b', '\u000c', '\u007f', '\u0085', '\u2028', '\r', '\n', '\ufeff'];
const NUMBERS = ['1e400', '-1e400', '1e-400', '99999999999999999999999', '0x7fffffffffffffff', '.nan', '.inf', '-.inf', '-0', '1_000', '0o777', '2.5', '-1', '0'];
const JUNK = [':', ': ', '- ', '[', ']', '{', '}', '"', "'", '#', '&', '*', '!', '|', '>', '? ', '%', '@', '`', ',', '---\n', '...\n', '<<: ', '~'];
const VALUES = ['[]', '{}', 'null', '~', 'true', '""', "''", '[a, b]', '{a: 1}', '|\n  text', '>-\n  text', '!!str x', '!!binary aGVsbG8=', '!foo bar', '*'];

/** Index of a random line of the form `key: value` (value not empty), or -1. */
function valueLine(lines: string[], r: Rnd): number {
  const idx = lines.map((l, i) => (/^\s*(- )?[A-Za-z_][\w-]*: \S/.test(l) ? i : -1)).filter((i) => i >= 0);
  return idx.length ? pick(r, idx) : -1;
}

/** Replace the value of a `key: value` line. */
const setValue = (line: string, value: string) => line.replace(/^(\s*(?:- )?[A-Za-z_][\w-]*: ).*$/, `$1${value}`);

function aliasBomb(r: Rnd): string {
  const depth = 3 + int(r, 8);
  const width = 3 + int(r, 7);
  let s = `b0: &b0 [${Array(width).fill('x').join(', ')}]\n`;
  for (let i = 1; i < depth; i++) s += `b${i}: &b${i} [${Array(width).fill(`*b${i - 1}`).join(', ')}]\n`;
  return s;
}

const MUTATIONS: ((lines: string[], r: Rnd) => string[])[] = [
  // delete, duplicate, swap lines
  (l, r) => (l.length > 1 ? l.filter((_, i) => i !== int(r, l.length)) : l),
  (l, r) => {
    const i = int(r, l.length);
    return [...l.slice(0, i + 1), l[i] as string, ...l.slice(i + 1)];
  },
  (l, r) => {
    const out = [...l];
    const i = int(r, l.length);
    const j = int(r, l.length);
    [out[i], out[j]] = [out[j] as string, out[i] as string];
    return out;
  },
  // indentation changes (spaces and tabs)
  (l, r) => {
    const out = [...l];
    const i = int(r, l.length);
    const line = out[i] as string;
    const k = int(r, 4);
    out[i] = k === 0 ? line.replace(/^ {1,2}/, '') : k === 1 ? `  ${line}` : k === 2 ? ` ${line}` : `\t${line}`;
    return out;
  },
  // an anchor on one value and an alias to it on another
  (l, r) => {
    const out = [...l];
    const a = valueLine(out, r);
    const b = valueLine(out, r);
    if (a < 0 || b < 0) return out;
    const name = `a${int(r, 5)}`;
    out[a] = (out[a] as string).replace(/: (\S)/, `: &${name} $1`);
    out[b] = setValue(out[b] as string, `*${name}`);
    return out;
  },
  // an unresolved alias
  (l, r) => {
    const out = [...l];
    const i = valueLine(out, r);
    if (i >= 0) out[i] = setValue(out[i] as string, `*missing${int(r, 3)}`);
    return out;
  },
  // many aliases of one anchor
  (l, r) => {
    const n = 50 + int(r, 150);
    return [...l, 'anchors: &many 1', ...Array.from({ length: n }, (_, i) => `k${i}: *many`)];
  },
  // an alias bomb, at the end or inside a known key
  (l, r) => (r() < 0.5 ? [...l, ...aliasBomb(r).trimEnd().split('\n')] : [...l, 'layout:', '  positions:', ...aliasBomb(r).trimEnd().split('\n').map((x) => `    ${x}`)]),
  // control characters anywhere
  (l, r) => {
    const out = [...l];
    const i = int(r, l.length);
    const line = out[i] as string;
    const at = int(r, line.length + 1);
    out[i] = line.slice(0, at) + pick(r, CONTROL) + line.slice(at);
    return out;
  },
  // huge and odd numbers
  (l, r) => {
    const out = [...l];
    const idx = out.map((x, i) => (/:\s+-?\d/.test(x) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return out;
    const i = pick(r, idx);
    out[i] = (out[i] as string).replace(/(:\s+)-?[\d.]+/, `$1${pick(r, NUMBERS)}`);
    return out;
  },
  // very long strings: values, keys and near-miss names
  (l, r) => {
    const out = [...l];
    const i = valueLine(out, r);
    if (i < 0) return out;
    const n = r() < 0.97 ? 100 + int(r, 5000) : 20_000 + int(r, 80_000);
    const k = int(r, 3);
    if (k === 0) out[i] = setValue(out[i] as string, 'x'.repeat(n));
    else if (k === 1) out[i] = (out[i] as string).replace(/([A-Za-z_][\w-]*):/, (_, key: string) => `${key}${key.slice(-1).repeat(n)}:`);
    else {
      // a long near-miss hostname used both where it is defined and where it is referenced
      const m = /hostname: (\S+)/.exec(out.join('\n'));
      if (m) {
        const long = m[1] + 'a'.repeat(n);
        return out.map((x) => x.replaceAll(m[1] as string, long)).map((x, j) => (j === i ? x.replace(long, `${long.slice(0, -1)}b`) : x));
      }
    }
    return out;
  },
  // junk characters
  (l, r) => {
    const out = [...l];
    const i = int(r, l.length);
    const line = out[i] as string;
    const at = int(r, line.length + 1);
    out[i] = line.slice(0, at) + pick(r, JUNK) + line.slice(at);
    return out;
  },
  // other value shapes
  (l, r) => {
    const out = [...l];
    const i = valueLine(out, r);
    if (i >= 0) out[i] = setValue(out[i] as string, pick(r, VALUES));
    return out;
  },
  // a title that reads as a number, a schedule with a line break, a long title
  (l, r) => {
    const out = [...l];
    const i = out.findIndex((x) => /^ {2}name: /.test(x));
    if (i < 0) return out;
    const k = int(r, 3);
    if (k === 0) out.splice(i + 1, 0, `  title: ${pick(r, ['1e400', '12', 'true', 'null', '.inf', '0x10'])}`);
    else if (k === 1) out.push('  backup:', `    runOn: ${/hostname: (\S+)/.exec(out.join('\n'))?.[1] ?? 'x'}`, `    schedule: ${pick(r, ['"*-*-* 04:00:00\\nExecStart=/bin/sh"', '"daily\\u0000"', '"*-*-* 04:00:00"', '"Mon..Fri 02:30"', "'a\tb'"])}`);
    else out.splice(i + 1, 0, `  title: "${'t'.repeat(200 + int(r, 400))}"`);
    return out;
  },
  // names that differ only by - and _ (networks, VIP groups)
  (l, r) => {
    const out = [...l];
    const idx = out.map((x, i) => (/^\s*- name: \S/.test(x) ? i : -1)).filter((i) => i >= 0);
    if (idx.length < 2) return out;
    const a = pick(r, idx);
    const b = pick(r, idx);
    const name = (out[a] as string).replace(/^\s*- name: /, '');
    out[b] = (out[b] as string).replace(/name: .*/, `name: ${name.includes('-') ? name.replace('-', '_') : name.replace(/(\d)$/, '-$1')}`);
    if (r() < 0.5) out[a] = (out[a] as string).replace(/name: .*/, 'name: pub-');
    if (r() < 0.5) out[b] = (out[b] as string).replace(/name: .*/, 'name: pub_');
    return out;
  },
  // a second VIP group whose name differs from the first only by "-" and "_"
  (l) => {
    const v = l.findIndex((x) => /^\s*vips:/.test(x));
    const m = v >= 0 ? /^(\s*)- name: (\S+)/.exec(l[v + 1] ?? '') : null;
    if (!m) return l;
    const indent = (m[1] as string).length;
    let end = v + 2;
    while (end < l.length && ((l[end] as string).length - (l[end] as string).trimStart().length > indent + 1 || (l[end] as string).trim() === '')) end++;
    const block = l.slice(v + 1, end);
    const copy = block.map((x, i) => (i === 0 ? x.replace(/name: \S+/, `name: ${m[2]}-`) : x));
    return [...l.slice(0, v + 1), block[0]!.replace(/name: \S+/, `name: ${m[2]}_`), ...block.slice(1), ...copy, ...l.slice(end)];
  },
  // provider-specific names and addresses
  (l, r) => {
    const out = [...l];
    const i = out.findIndex((x) => /^\s*- name: vmnet/.test(x));
    if (i < 0) return out;
    const k = int(r, 4);
    if (k === 0) out[i] = (out[i] as string).replace(/vmnet\d+/, pick(r, ['lan', '_net', '-x', 'VMnet3', 'vmnet300', 'vmnet25']));
    else if (k === 1) out.splice(i + 1, 0, '    hostAddress: 192.168.10.5');
    else if (k === 2) out.splice(i + 1, 0, '    natGateway: 192.168.10.3');
    else {
      const t = out.findIndex((x, j) => j > i && /^\s*type: /.test(x));
      if (t > 0) out[t] = (out[t] as string).replace(/type: .*/, 'type: bridged');
    }
    return out;
  },
];

/** One mutated blueprint: 1–3 mutations, then sometimes CR or CRLF line ends. */
export function mutate(text: string, r: Rnd): string {
  let lines = text.split('\n');
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) lines = pick(r, MUTATIONS)(lines, r);
  const out = lines.join('\n');
  const ends = r();
  return ends < 0.07 ? out.replace(/\n/g, '\r') : ends < 0.14 ? out.replace(/\n/g, '\r\n') : out;
}

/** `count` mutated blueprints from the shipped labs, the same for the same seed. */
export function* fuzzCorpus(count: number, seed = 11): Generator<{ index: number; text: string }> {
  const seeds = shippedTexts();
  const r = rng(seed);
  for (let index = 0; index < count; index++) yield { index, text: mutate(seeds[index % seeds.length] as string, r) };
}
