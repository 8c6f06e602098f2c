/**
 * `report:handIn`: `halab report` from the window. The same document the CLI
 * writes (topology, plan, the last provisioning result and every drill
 * report of the lab folder), made by the report module's exported functions
 * in the language asked; PDF through the headless Chromium helper. A lab
 * never brought up still yields the plan part.
 */
import { labRef } from '../../lab/lab-home';
import { readHostSettings } from '../../lab/host-settings';
import { ChromiumMissingError, htmlToPdf } from '../../report/chromium';
import { collectHandIn, renderHandInHtml, renderHandInMarkdown } from '../../report/hand-in';
import { msg } from '../../shared/i18n';
import type { HandInFile } from '../../shared/ipc/contract';
import { hostMemoryMiB, validateHere } from '../blueprint-files';
import { BackendError, type HandlerMap } from '../handler-types';

export interface ReportHandlerContext {
  /** Folder of `settings.json` (the labs folder setting). */
  dataDir?: string;
  version: string;
  /** Make the PDF (tests pass a Chromium path or a stand-in); default: `htmlToPdf`. */
  toPdf?: (html: string) => Promise<Buffer>;
}

/** `<name>-report.<ext>` from the blueprint's file name (its stem), else the lab's name. */
export function handInName(lab: string, format: 'html' | 'md' | 'pdf', fileName?: string): string {
  const stem = fileName?.split(/[\\/]/).pop()?.replace(/\.(ya?ml|json)$/i, '').replace(/[^\p{L}\p{N}._-]+/gu, '-') || lab;
  return `${stem}-report.${format}`;
}

export function reportHandlers(o: ReportHandlerContext): Pick<HandlerMap, 'report:handIn'> {
  return {
    'report:handIn': async ({ text, lang, format, fileName }): Promise<HandInFile> => {
      const r = validateHere(text);
      if (!r.resolved) throw new BackendError(msg('be.invalidBlueprintDesign'), 'invalid-blueprint');
      const settings = await readHostSettings({ dataDir: o.dataDir });
      const h = await collectHandIn({ file: fileName ?? `${r.resolved.name}.yaml`, resolved: r.resolved, labDir: labRef(r.resolved.name, settings.labsDir).dir, hostMemoryMiB: hostMemoryMiB(), version: o.version });
      const name = handInName(r.resolved.name, format, fileName);
      const skipped = h.skippedReports;
      if (format === 'md') return { name, mime: 'text/markdown', text: renderHandInMarkdown(h, lang), skipped };
      const html = renderHandInHtml(h, lang);
      if (format === 'html') return { name, mime: 'text/html', text: html, skipped };
      let pdf: Buffer;
      try {
        pdf = await (o.toPdf ?? ((x: string) => htmlToPdf(x)))(html);
      } catch (e) {
        if (e instanceof ChromiumMissingError) throw new BackendError(msg('be.handIn.noChromium'), 'no-chromium');
        throw new BackendError(msg('be.handIn.failed', { reason: (e as Error).message }), 'report-failed');
      }
      return { name, mime: 'application/pdf', base64: pdf.toString('base64'), skipped };
    },
  };
}
