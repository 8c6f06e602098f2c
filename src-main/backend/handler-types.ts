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

/** Native dialogs; only the desktop shell provides them. */
export interface Dialogs {
  openBlueprint(): Promise<string | null>;
  saveBlueprint(suggestedName: string): Promise<string | null>;
}
