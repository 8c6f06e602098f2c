/**
 * Progress of a step graph on the terminal: one line per finished step, and
 * on a TTY a live status line (running steps per VM, done/total, a bar).
 */
import type { StepEvent } from '../provision/engine';
import { style } from './output';

export function progressPrinter(total: number, opts: { verbose?: boolean; json?: boolean } = {}) {
  const tty = process.stderr.isTTY && !opts.json;
  const running = new Map<string, string>();
  let done = 0;
  let statusShown = false;
  const clear = () => {
    if (statusShown) process.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  const status = () => {
    if (!tty) return;
    const width = 20;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    const now = [...running.values()].slice(0, 3).join(', ');
    const cols = process.stderr.columns || 100;
    process.stderr.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${now}`.slice(0, cols - 1));
    statusShown = true;
  };
  const line = (text: string) => {
    clear();
    process.stderr.write(`${text}\n`);
    status();
  };
  return (e: StepEvent) => {
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    switch (e.type) {
      case 'start':
        running.set(e.step, e.title);
        if (!tty) line(`… ${e.title}`);
        else status();
        break;
      case 'log':
        if (opts.verbose) line(`    ${e.vm ?? e.step}: ${e.line}`);
        break;
      case 'done':
        running.delete(e.step);
        done++;
        line(`${style.green(e.changed ? '✓' : '=', process.stderr)} ${e.step}${e.changed ? '' : ' (no change)'} ${(e.ms / 1000).toFixed(1)}s`);
        break;
      case 'failed':
        running.delete(e.step);
        done++;
        line(style.red(`✗ ${e.step}: ${e.error}`));
        break;
      case 'skipped':
        done++;
        line(style.yellow(`- ${e.step} skipped (${e.reason})`));
        break;
    }
  };
}
