/** `settings:check`, `doctor:run`, `lab:preflight`, `template:create`: the host side of a lab (`file:pick` is in files.ts, with the other dialogs). */
import { checkHostSettings } from '../../lab/host-settings';
import { BackendError, type HandlerMap } from '../handler-types';

/** What the host handlers need from the backend (each helper adds what its handler needs). */
export interface HostHandlerContext {
  /** Folder of `settings.json`. */
  dataDir?: string;
}

// PLACEHOLDER while the runtime, doctor and template work lands (this session); replaced before submission.
const pending = (what: string) => () => Promise.reject(new BackendError(`${what} is not available yet.`, 'not-available'));

export function hostHandlers(host: HostHandlerContext = {}): Pick<HandlerMap, 'settings:check' | 'doctor:run' | 'lab:preflight' | 'template:create'> {
  return {
    'settings:check': (values) => checkHostSettings(values, { dataDir: host.dataDir }),
    'doctor:run': pending('doctor:run'),
    'lab:preflight': pending('lab:preflight'),
    'template:create': pending('template:create'),
  };
}
