/** Types shared by the request handlers. */
import type { z } from 'zod';
import type { RequestChannel, RequestResults, requestSchemas } from '../shared/ipc/contract';

export type HandlerMap = {
  [C in RequestChannel]: (payload: z.output<(typeof requestSchemas)[C]>) => Promise<RequestResults[C]>;
};

/** An error meant for the user, with a stable code. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
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
