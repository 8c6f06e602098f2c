/**
 * `halab class …`: one blueprint for a whole class on Incus/LXD.
 *
 *   class up FILE --students N [--remote NAME]   each student's lab (re-numbered
 *                                                subnets, same host parts) in its
 *                                                own project with quotas
 *   class status                                 one line per student: health, last drill
 *   class down                                   every student lab removed
 *   class remote add NAME URL TOKEN              trust a class server once
 *
 * Each student lab is brought up and down by `halab up|down FILE --provider
 * incus` run as its own process (the very same flow as one lab), three at a
 * time. The class is recorded in `<labs folder>/.class/class.json`, with each
 * student's blueprint beside it.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../exec/runner';
import { IncusProvider } from '../../hypervisor/incus';
import { allocateSubnets, ClassFullError, studentBlueprint, studentLabName } from '../../hypervisor/incus/classroom';
import { addRemote } from '../../hypervisor/incus/remotes';
import { readHostSettings } from '../../lab/host-settings';
import { labRef } from '../../lab/lab-home';
import { validateBlueprintText } from '../../shared/blueprint/validate';
import { say } from '../lang';
import { EXIT, table, UsageError } from '../output';

interface ClassRecord {
  blueprint: string;
  remote?: string;
  created: string;
  students: { n: number; lab: string; file: string; subnets: string[] }[];
}

const MAX_STUDENTS = 200;
const PARALLEL = 3;

async function classDir(): Promise<string> {
  return join((await readHostSettings()).labsDir, '.class');
}

function halabBin(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/halab.mjs');
}

/** Run `halab ARGS` as its own process for one student. */
function halab(args: string[], remote: string | undefined, signal: AbortSignal) {
  return run(['node', halabBin(), ...args], { timeoutMs: 30 * 60_000, signal, okExitCodes: [0, 1, 2, 3], env: { NO_COLOR: '1', ...(remote ? { HALAB_INCUS_REMOTE: remote } : {}) } });
}

/** Run `fn` over `items`, at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

async function readRecord(): Promise<ClassRecord | undefined> {
  const f = join(await classDir(), 'class.json');
  return JSON.parse(await readFile(f, 'utf8').catch(() => 'null')) as ClassRecord | undefined;
}

export async function classCommand(sub: string | undefined, args: string[], flags: { students?: string; remote?: string; json?: boolean }, signal: AbortSignal): Promise<number> {
  if (sub === 'up') return classUp(args[0], flags, signal);
  if (sub === 'status') return classStatus(flags);
  if (sub === 'down') return classDown(signal);
  if (sub === 'remote' && args[0] === 'add' && args.length === 4) {
    const c = await addRemote(args[1] ?? '', args[2] ?? '', args[3] ?? '');
    process.stdout.write(`${say('inc.class.remoteAdded', { name: args[1] ?? '', server: (await c.facts()).label, url: args[2] ?? '' })}\n`);
    return EXIT.ok;
  }
  throw new UsageError(say('inc.class.usage'));
}

async function classUp(file: string | undefined, flags: { students?: string; remote?: string }, signal: AbortSignal): Promise<number> {
  if (!file) throw new UsageError(say('inc.class.usage'));
  const count = Number(flags.students);
  if (!Number.isInteger(count) || count < 1 || count > MAX_STUDENTS) throw new UsageError(say('inc.class.studentsFlag', { max: MAX_STUDENTS, value: JSON.stringify(flags.students ?? '') }));
  const text = await readFile(file, 'utf8');
  const v = validateBlueprintText(text, { provider: 'incus' });
  if (!v.resolved) {
    process.stderr.write(`${file}: ${v.issues.filter((i) => i.severity === 'error').map((i) => i.message).join('; ')}\n`);
    return EXIT.invalid;
  }
  const subnets = v.resolved.networks.map((n) => n.subnet);
  let plan: string[][];
  try {
    plan = allocateSubnets(subnets, count);
  } catch (e) {
    if (e instanceof ClassFullError) throw new UsageError(say('inc.class.tooMany', { max: e.max, count }));
    throw e;
  }
  const dir = await classDir();
  await mkdir(dir, { recursive: true });
  const rec: ClassRecord = { blueprint: resolve(file), remote: flags.remote, created: new Date().toISOString(), students: [] };
  for (let n = 1; n <= count; n++) {
    const mine = plan[n - 1] ?? [];
    const f = join(dir, `student-${String(n).padStart(2, '0')}.yaml`);
    await writeFile(f, studentBlueprint(text, n, subnets, mine));
    rec.students.push({ n, lab: studentLabName(v.resolved.name, n), file: f, subnets: mine });
  }
  await writeFile(join(dir, 'class.json'), JSON.stringify(rec, null, 2) + '\n');
  // Quotas first: each student's project with limits from the blueprint's totals.
  const hv = new IncusProvider({ remote: flags.remote });
  const totals = { instances: v.resolved.nodes.length, vcpus: v.resolved.nodes.reduce((s, x) => s + x.vcpus, 0), memoryMiB: v.resolved.nodes.reduce((s, x) => s + x.memoryMiB, 0) };
  for (const s of rec.students) await hv.ensureProject(labRef(s.lab), totals);
  const results = await pool(rec.students, PARALLEL, async (s) => {
    process.stdout.write(`${say('inc.class.upStudent', { n: s.n, count, lab: s.lab, subnets: s.subnets.join(', ') })}\n`);
    const r = await halab(['up', s.file, '--provider', 'incus'], flags.remote, signal);
    if (r.exitCode !== 0) process.stderr.write(`${say('inc.class.upFailed', { n: s.n, lab: s.lab, reason: (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n') })}\n`);
    return r.exitCode;
  });
  const failed = results.filter((c) => c !== 0).length;
  if (failed === 0) process.stdout.write(`${say('inc.class.upDone', { count })}\n`);
  return failed === 0 ? EXIT.ok : EXIT.failed;
}

/** The newest drill report of a lab: its name and verdict. */
async function lastDrill(labDir: string): Promise<{ drill: string; verdict: string; at: string } | undefined> {
  let best: { drill: string; verdict: string; at: string } | undefined;
  for (const id of await readdir(join(labDir, 'reports')).catch(() => [] as string[])) {
    const r = JSON.parse(await readFile(join(labDir, 'reports', id, 'report.json'), 'utf8').catch(() => 'null')) as { drill?: string; verdict?: string; startedAt?: string; finishedAt?: string } | null;
    if (!r?.verdict) continue;
    const at = r.finishedAt ?? r.startedAt ?? id;
    if (!best || at > best.at) best = { drill: r.drill ?? id, verdict: r.verdict, at };
  }
  return best;
}

async function classStatus(flags: { json?: boolean }): Promise<number> {
  const rec = await readRecord();
  if (!rec) {
    process.stdout.write(`${say('inc.class.noClass', { file: join(await classDir(), 'class.json') })}\n`);
    return EXIT.failed;
  }
  const hv = new IncusProvider({ remote: rec.remote });
  const rows = [];
  for (const s of rec.students) {
    const lab = labRef(s.lab);
    const vms = await hv.list(lab).catch(() => []);
    const drill = await lastDrill(lab.dir);
    rows.push({ student: s.n, lab: s.lab, subnets: s.subnets, running: vms.filter((x) => x.state === 'running').length, total: vms.length, drill });
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT.ok;
  }
  const head = [say('inc.class.colStudent'), say('inc.class.colLab'), say('inc.class.colHealth'), say('inc.class.colDrill')];
  process.stdout.write(`${table(head, rows.map((r) => [String(r.student), r.lab, say('inc.class.health', { running: r.running, total: r.total }), r.drill ? `${r.drill.drill}: ${r.drill.verdict}` : say('inc.class.noDrill')]))}\n`);
  return EXIT.ok;
}

async function classDown(signal: AbortSignal): Promise<number> {
  const rec = await readRecord();
  if (!rec) {
    process.stdout.write(`${say('inc.class.noClass', { file: join(await classDir(), 'class.json') })}\n`);
    return EXIT.ok;
  }
  const hv = new IncusProvider({ remote: rec.remote });
  const codes = await pool(rec.students, PARALLEL, async (s) => {
    const r = await halab(['down', s.file, '--provider', 'incus'], rec.remote, signal);
    // Also what a lab that never came up left (its project with quotas).
    await hv.cleanupLab(labRef(s.lab), { keepGuards: true }).catch(() => undefined);
    if (r.exitCode === 0) process.stdout.write(`${say('inc.class.downStudent', { n: s.n, lab: s.lab })}\n`);
    else process.stderr.write(`${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}\n`);
    return r.exitCode;
  });
  if (codes.some((c) => c !== 0)) return EXIT.failed;
  await rm(await classDir(), { recursive: true, force: true });
  process.stdout.write(`${say('inc.class.downDone')}\n`);
  return EXIT.ok;
}
