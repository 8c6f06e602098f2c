/**
 * Progress of a step graph on the terminal: one line per finished step, and
 * on a TTY a live status line (running steps per VM, done/total, a bar).
 * Texts in the run's language (`--lang`): step titles, errors, skip reasons
 * and log lines from their catalog messages. A finished step is named by its
 * id in English (as the journal and `--json` name it) and by its title in
 * Korean. `--json` prints the events as they are (codes and arguments).
 */
import type { StepEvent } from '../provision/engine';
import type { Message } from '../shared/i18n';
import { cliLang, say, sayMessage } from './lang';
import { style } from './output';

/** A text in the run's language: its catalog message when it has one; in English the event's own text (step ids, as before). */
const text = (m: Message | undefined, english: string) => (m && cliLang() !== 'en' ? sayMessage(m) : english);

/** `total`: the step count, or how to read it (it is known once the provider is). */
export function progressPrinter(totalOf: number | (() => number), opts: { verbose?: boolean; json?: boolean } = {}) {
  const tty = process.stderr.isTTY && !opts.json;
  const running = new Map<string, string>();
  const titles = new Map<string, string>();
  const name = (step: string) => (cliLang() === 'en' ? step : (titles.get(step) ?? step));
  let done = 0;
  let statusShown = false;
  const clear = () => {
    if (statusShown) process.stderr.write('\r\x1b[2K');
    statusShown = false;
  };
  const status = () => {
    if (!tty) return;
    const width = 20;
    const total = typeof totalOf === 'number' ? totalOf : totalOf();
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
      case 'start': {
        const title = text(e.titleMsg, e.title);
        running.set(e.step, title);
        titles.set(e.step, title);
        if (!tty) line(`… ${title}`);
        else status();
        break;
      }
      case 'log':
        if (opts.verbose) line(`    ${e.vm ?? e.step}: ${text(e.lineMsg, e.line)}`);
        break;
      case 'done':
        running.delete(e.step);
        done++;
        line(`${style.green(e.changed ? '✓' : '=', process.stderr)} ${name(e.step)}${e.changed ? '' : ` ${say('out.noChange')}`} ${say('out.seconds', { s: (e.ms / 1000).toFixed(1) })}`);
        break;
      case 'failed':
        running.delete(e.step);
        done++;
        line(style.red(`✗ ${name(e.step)}: ${text(e.errorMsg, e.error)}`));
        break;
      case 'skipped':
        done++;
        if (e.titleMsg) titles.set(e.step, sayMessage(e.titleMsg));
        line(style.yellow(`- ${say('out.skipped', { step: name(e.step), reason: text(e.reasonMsg, e.reason) })}`));
        break;
    }
  };
}
