/**
 * `halab report FILE [--lang en|ko] [--format html|md|pdf] [--output OUT]`:
 * the one document a student hands in — topology picture, plan, the last
 * provisioning result and every drill report of the lab. PDF through
 * headless Chromium where present; where not, it says so and how else.
 */
import { writeFile } from 'node:fs/promises';
import { labRef, labsRoot } from '../../lab/lab-home';
import { ChromiumMissingError, htmlToPdf } from '../../report/chromium';
import { rt } from '../../report/catalog';
import { collectHandIn, renderHandInHtml, renderHandInMarkdown } from '../../report/hand-in';
import { hostMemoryMiB } from '../../backend/blueprint-files';
import { EXIT, style, UsageError } from '../output';
import { VERSION } from '../version';
import { langFlag, loadAndValidate, reportIssues } from './blueprint';

export async function reportCommand(file: string | undefined, flags: { lang?: string; format?: string; output?: string }, signal?: AbortSignal): Promise<number> {
  const format = flags.format ?? (flags.output?.toLowerCase().endsWith('.pdf') ? 'pdf' : flags.output?.toLowerCase().endsWith('.md') ? 'md' : 'html');
  if (format !== 'html' && format !== 'md' && format !== 'pdf') throw new UsageError(`--format must be html, md or pdf, not "${format}".`);
  const lang = await langFlag(flags.lang);
  if (format === 'pdf' && !flags.output && process.stdout.isTTY) throw new UsageError('A PDF is a binary file: give --output FILE.pdf (or redirect the output to a file).');
  const l = await loadAndValidate(file);
  const code = reportIssues(l);
  if (!l.result.resolved) return code;
  const resolved = l.result.resolved;
  const h = await collectHandIn({ file: l.file, resolved, labDir: labRef(resolved.name, labsRoot()).dir, hostMemoryMiB: hostMemoryMiB(), version: VERSION });
  for (const s of h.skippedReports) process.stderr.write(`${style.yellow('warning:')} ${s} is not a readable drill report; left out.\n`);
  let out: string | Buffer;
  if (format === 'md') out = renderHandInMarkdown(h, lang);
  else {
    const html = renderHandInHtml(h, lang);
    if (format === 'html') out = html;
    else {
      try {
        out = await htmlToPdf(html, { signal });
      } catch (e) {
        if (e instanceof ChromiumMissingError) {
          process.stderr.write(`${style.red('failed:')} ${rt(lang, 'cli.pdfMissing')}\n`);
          return EXIT.failed;
        }
        throw e;
      }
    }
  }
  if (flags.output) {
    await writeFile(flags.output, out);
    process.stderr.write(`${style.green('✓')} ${rt(lang, 'cli.wrote', { file: flags.output })}\n`);
  } else process.stdout.write(out);
  return code;
}
