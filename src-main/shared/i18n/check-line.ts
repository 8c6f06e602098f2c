/**
 * Check lines (settings, doctor, preflight) from catalog messages: the
 * English `title`/`detail`/`fix` stay for `--json` and older readers, the
 * `*Msg` fields let each front end render them in its own language.
 */
import type { CheckLine } from '../ipc/contract';
import { render, type Lang, type Message } from './index';

/** A check line whose words come from the catalog. */
export function checkLine(id: string, level: CheckLine['level'], title: Message, detail: Message, fix?: Message): CheckLine {
  const line: CheckLine = { id, level, title: render('en', title), detail: render('en', detail), titleMsg: title, detailMsg: detail };
  if (fix) {
    line.fix = render('en', fix);
    line.fixMsg = fix;
  }
  return line;
}

/** A line's words in `lang` (its English text where it carries no catalog message). */
export function checkLineText(line: CheckLine, lang: Lang): { title: string; detail: string; fix?: string } {
  const title = line.titleMsg ? render(lang, line.titleMsg) : line.title;
  const detail = line.detailMsg ? render(lang, line.detailMsg) : line.detail;
  const fix = line.fixMsg ? render(lang, line.fixMsg) : line.fix;
  return fix === undefined ? { title, detail } : { title, detail, fix };
}
