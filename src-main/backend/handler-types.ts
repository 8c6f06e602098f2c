/** Types shared by the request handlers. */
import type { z } from 'zod';
import type { RequestChannel, RequestResults, requestSchemas } from '../shared/ipc/contract';
import { render, type Message } from '../shared/i18n';

export type HandlerMap = {
  [C in RequestChannel]: (payload: z.output<(typeof requestSchemas)[C]>) => Promise<RequestResults[C]>;
};

/**
 * An error meant for the user, with a stable code. Given a catalog message,
 * `message` is its English text and `msg` the message itself, which the
 * window (in its language) and the CLI (`--lang`) render.
 */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  readonly msg?: Message;
  constructor(
    message: string | Message,
    readonly code: string,
  ) {
    super(typeof message === 'string' ? message : render('en', message));
    if (typeof message !== 'string') this.msg = message;
  }
}

/** What `file:pick` is choosing: a template's `.vmx`, an `.ova` to import, a folder, or the vmrun program. */
export type PickPurpose = z.output<(typeof requestSchemas)['file:pick']>['purpose'];

/**
 * Native dialogs; only the desktop shell provides them. Each returns the
 * path the user chose, or null when they cancelled. A path from
 * `openBlueprint`/`saveBlueprint` is the only kind `file:open`/`file:save`
 * accept (besides the recent list): the renderer is untrusted.
 */
export interface Dialogs {
  openBlueprint(): Promise<string | null>;
  saveBlueprint(suggestedName: string): Promise<string | null>;
  /** A native file or folder picker for a host setting or an import (Settings, template create). */
  pick(purpose: PickPurpose): Promise<string | null>;
}
