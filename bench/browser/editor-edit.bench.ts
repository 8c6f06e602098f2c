/**
 * Editor benchmark in Chromium: with a 100-VM blueprint open, how long an
 * edit (typing a VM's memory in the properties panel) takes to be validated
 * by the shared validator and re-rendered on the canvas, against the 16 ms
 * frame budget.
 *
 * Per edit, measured inside the page with performance.now():
 * - validate: edit dispatched → the store's validation mark;
 * - commit:   edit dispatched → React has updated the DOM (VM card shows the new size);
 * - frame:    style, layout and paint of the next frame (rAF → the task after it);
 * - work:     commit + frame = main-thread time the edit costs (must fit in 16 ms);
 * - latency:  edit → end of the next painted frame, including the wait for vsync.
 *
 * Run: npx tsx bench/browser/editor-edit.bench.ts   (builds the renderer if stale)
 */
import os from 'node:os';
import { ensureRendererBuilt, openSession } from '../../tests/e2e/support/harness';
import { AppPage } from '../../tests/e2e/support/pages';
import { bigLabYaml } from './big-lab';
import { percentileOf } from '../../src-main/shared/monitor/percentile';

const EDITS = Number(process.env.BENCH_EDITS ?? 80);
const WARMUP = 10;
const BUDGET_MS = 16;

interface Sample {
  validate: number;
  commit: number;
  frame: number;
  work: number;
  latency: number;
}

/**
 * Runs inside the page. Kept as source text: tsx would wrap named functions
 * in a helper that does not exist in the browser.
 */
const IN_PAGE = `async ({ field, edits }) => {
  const input = document.querySelector('[data-testid="' + field + '"]');
  const card = document.querySelector('[data-testid="vm-app-045"] .vm-size');
  if (!input || !card) throw new Error('benchmark target not found');
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const afterNextPaint = () => new Promise((resolve) => requestAnimationFrame(() => {
    const raf = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve({ raf, painted: performance.now() });
    ch.port2.postMessage(0);
  }));
  const out = [];
  for (let i = 0; i < edits; i++) {
    // Start each edit on a quiet main thread, just after a frame was painted.
    await afterNextPaint();
    const gib = 1 + (i % 3);
    const t0 = performance.now();
    setValue.call(input, String(gib * 1024));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await Promise.resolve();
    if (!card.textContent.includes(gib + ' GiB')) throw new Error('the canvas did not show ' + gib + ' GiB after the edit');
    const committed = performance.now();
    const mark = performance.getEntriesByName('halab:validated').pop();
    const { raf, painted } = await afterNextPaint();
    out.push({ validate: (mark ? mark.startTime : committed) - t0, commit: committed - t0, frame: painted - raf, work: committed - t0 + (painted - raf), latency: painted - t0 });
  }
  return out;
}`;

const pct = (xs: number[], p: number) => percentileOf(xs, p / 100);

async function main(): Promise<void> {
  ensureRendererBuilt();
  const session = await openSession({ viewport: { width: 1600, height: 1000 } });
  try {
    const { page } = session;
    await new AppPage(page).open(session.url);
    await page.getByTestId('file-input').setInputFiles({ name: 'bench-100.yaml', mimeType: 'application/yaml', buffer: Buffer.from(bigLabYaml(100)) });
    await page.waitForFunction(() => document.querySelectorAll('.vm-node').length === 100);
    await page.getByTestId('vm-app-045').click();
    const field = 'field-nodes.46.memoryMiB';
    await page.getByTestId(field).waitFor();

    const samples = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify({ field, edits: EDITS + WARMUP })})`)) as Sample[];
    const measured: Sample[] = samples.slice(WARMUP);
    const row = (name: keyof Sample, label: string) => {
      const xs = measured.map((s) => s[name]);
      const med = pct(xs, 50);
      const p95 = pct(xs, 95);
      return `${label.padEnd(34)} median ${med.toFixed(2).padStart(6)} ms   p95 ${p95.toFixed(2).padStart(6)} ms   p95/16ms ${(p95 / BUDGET_MS).toFixed(2)}`;
    };
    const workP95 = pct(measured.map((s) => s.work), 95);
    const workMedian = pct(measured.map((s) => s.work), 50);
    console.log(`editor edit benchmark — 100 VMs, ${measured.length} edits (after ${WARMUP} warm-up), Chromium headless`);
    console.log(row('validate', 'edit → validated'));
    console.log(row('commit', 'edit → validated + React commit'));
    console.log(row('frame', 'next frame style/layout/paint'));
    console.log(row('work', 'edit → validated → painted (work)'));
    console.log(row('latency', 'edit → end of next frame (wall)'));
    const verdict = (ms: number) => `${(ms / BUDGET_MS).toFixed(2)}× the budget — ${ms <= BUDGET_MS ? 'within one frame' : 'OVER one frame'}`;
    console.log(`budget: ${BUDGET_MS} ms per frame; median work is ${verdict(workMedian)}; p95 work is ${verdict(workP95)}`);
    console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg()[0]?.toFixed(2)} (p95 is sensitive to other load)`);
    // The typical edit must fit; the tail depends on what else the machine is doing.
    if (workMedian > BUDGET_MS) process.exitCode = 1;
  } finally {
    await session.close();
  }
}

await main();
