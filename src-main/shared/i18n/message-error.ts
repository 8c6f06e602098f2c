/**
 * Errors that speak through the catalog. A `MessageError` carries a
 * `Message` (`msg`); its `message` is the English text (logs, the journal,
 * `--json`, older readers). Whoever shows it to a person renders `msg` in
 * their language: `errorText(e, lang)`. Subclasses (the backend's
 * `BackendError`, the provisioning steps' errors) keep their own names and
 * fields. `messageOf` also accepts any error-like object with a valid `msg`
 * (errors that crossed JSON).
 *
 * Browser-safe.
 */
import { isMessageCode, render, type Lang, type Message } from './index';

export class MessageError extends Error {
  override name = 'MessageError';
  constructor(
    readonly msg: Message,
    options?: { cause?: unknown },
  ) {
    super(render('en', msg), options);
  }
}

/** Is `m` a catalog message (for values that came over JSON)? */
export function isMessage(m: unknown): m is Message {
  if (typeof m !== 'object' || m === null) return false;
  const { code, args } = m as { code?: unknown; args?: unknown };
  return isMessageCode(code) && (args === undefined || (typeof args === 'object' && args !== null));
}

/** The catalog message an error carries, if any. */
export function messageOf(e: unknown): Message | undefined {
  const m = (e as { msg?: unknown } | null | undefined)?.msg;
  return isMessage(m) ? m : undefined;
}

/** An error's text in `lang`: its message rendered when it carries one, else its own (English) text. */
export function errorText(e: unknown, lang: Lang): string {
  const m = messageOf(e);
  if (m) return render(lang, m);
  return (e as Error | undefined)?.message ?? String(e);
}

