/** `settings:check`, `file:pick`, `doctor:run`, `lab:preflight`, `template:create`: the host side of a lab. */
import { BackendError, type HandlerMap } from '../handler-types';

// PLACEHOLDER while the runtime, doctor and template work lands (this session); replaced before submission.
const pending = (what: string) => () => Promise.reject(new BackendError(`${what} is not available yet.`, 'not-available'));

export function hostHandlers(): Pick<HandlerMap, 'settings:check' | 'file:pick' | 'doctor:run' | 'lab:preflight' | 'template:create'> {
  return {
    'settings:check': pending('settings:check'),
    'file:pick': pending('file:pick'),
    'doctor:run': pending('doctor:run'),
    'lab:preflight': pending('lab:preflight'),
    'template:create': pending('template:create'),
  };
}
