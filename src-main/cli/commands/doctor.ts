/** `halab doctor [FILE] [--provider vmware|linux] [--quick] [--json]`: is this computer ready for a lab? */
import { runDoctor } from '../../doctor';
import { readHostSettings } from '../../lab/host-settings';
import { checkLineText } from '../../shared/i18n/check-line';
import type { Message } from '../../shared/i18n';
import type { CheckLine, DoctorReport } from '../../shared/ipc/contract';
import { cliLang, say, sayMessage } from '../lang';
import { style, UsageError } from '../output';
import { loadAndValidate, reportIssues } from './blueprint';

/** Exit codes of doctor: 0 every line ok, 1 anything else (2 stays the usage error). */
export const DOCTOR_EXIT = { ok: 0, notOk: 1 } as const;

const MARK: Record<CheckLine['level'], string> = { ok: '✓', warning: '!', error: '✗' };

/** The report as text, one check per line, detail and fix indented under it. */
export function formatDoctorReport(r: DoctorReport, color = false): string {
  const paint = (level: CheckLine['level'], s: string) => (!color ? s : level === 'ok' ? style.green(s) : level === 'warning' ? style.yellow(s, process.stdout) : style.red(s, process.stdout));
  const out: string[] = [`halab doctor (${r.provider})`];
  const lang = cliLang();
  for (const l of r.lines) {
    const w = checkLineText(l, lang);
    out.push(`${paint(l.level, `${MARK[l.level]} ${l.level === 'ok' ? '' : `${say(l.level === 'error' ? 'cli.issueError' : 'cli.issueWarning')}: `}${w.title}`)}`);
    out.push(`    ${w.detail}`);
    if (w.fix && l.level !== 'ok') out.push(`    → ${w.fix}`);
  }
  const bad = r.lines.filter((l) => l.level !== 'ok');
  const errors = bad.filter((l) => l.level === 'error').length;
  out.push(r.ok ? 'All checks passed.' : `${errors} error${errors === 1 ? '' : 's'}, ${bad.length - errors} warning${bad.length - errors === 1 ? '' : 's'}: do what each → line says, then run "halab doctor" again.`);
  return `${out.join('\n')}\n`;
}

export async function doctorCommand(file: string | undefined, flags: { provider?: string; quick?: boolean; json?: boolean }, signal: AbortSignal): Promise<number> {
  const provider = flags.provider;
  if (provider !== undefined && provider !== 'vmware' && provider !== 'linux' && provider !== 'incus') throw new UsageError(`--provider must be vmware, linux or incus, not "${provider}".`);
  let resolved;
  if (file) {
    const l = await loadAndValidate(file);
    reportIssues(l);
    if (!l.result.resolved) {
      process.stderr.write(`The blueprint ${file} has errors (above); fix them, then run "halab doctor ${file}" again.\n`);
      return DOCTOR_EXIT.notOk;
    }
    resolved = l.result.resolved;
  }
  const settings = await readHostSettings();
  const report = await runDoctor({
    ...(provider ? { provider } : {}),
    ...(resolved ? { resolved } : {}),
    quick: flags.quick === true,
    settings,
    signal,
    ...(flags.json ? {} : { onProgress: (line: string) => process.stderr.write(`  … ${line}\n`), onProgressMsg: (m: Message) => process.stderr.write(`  … ${sayMessage(m)}\n`) }),
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(formatDoctorReport(report, process.stdout.isTTY === true && !process.env.NO_COLOR));
  return report.ok ? DOCTOR_EXIT.ok : DOCTOR_EXIT.notOk;
}
