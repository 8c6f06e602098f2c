/**
 * The language of this `halab` run: `--lang en|ko` (a global flag, taken out
 * of the arguments by main.ts before the command runs), else LC_ALL /
 * LC_MESSAGES / LANG, else English. Commands render catalog messages with
 * `say()`; `--json` output keeps codes and arguments instead.
 */
import { pickLang, render, t, type Lang, type Message, type MessageCode, type MessageArgs } from '../shared/i18n';

let current: Lang | undefined;

/** Set the run's language (main.ts, once). */
export function setCliLang(lang: Lang): void {
  current = lang;
}

/** The run's language (from the environment when main.ts has not set it, e.g. in tests calling commands directly). */
export function cliLang(): Lang {
  return current ?? pickLang(undefined, process.env);
}

/** A catalog message in the run's language. */
export function say<C extends MessageCode>(code: C, ...args: [MessageArgs<C>] | []): string {
  return (t as (l: Lang, c: C, a?: MessageArgs<C>) => string)(cliLang(), code, args[0]);
}

/** A `Message` value in the run's language. */
export function sayMessage(m: Message): string {
  return render(cliLang(), m);
}

/**
 * Take `--lang X` / `--lang=X` out of argv, wherever it is. Returns the rest
 * and the flag's value (undefined when absent; '' when given without one).
 */
export function extractLangFlag(argv: string[]): { rest: string[]; flag: string | undefined } {
  const rest: string[] = [];
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--lang') {
      flag = argv[i + 1] ?? '';
      i++;
    } else if (a.startsWith('--lang=')) flag = a.slice('--lang='.length);
    else rest.push(a);
  }
  return { rest, flag };
}
