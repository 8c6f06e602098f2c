/** `settings:check`, `doctor:run`, `lab:preflight`, `template:create`: the host side of a lab (`file:pick` is in files.ts, with the other dialogs). */
import { networkPreflight, preflightProvider } from '../../hypervisor/vmware/preflight';
import { checkHostSettings, readHostSettings } from '../../lab/host-settings';
import { labHome } from '../../lab/runtime';
import { networkSpecs } from '../../provision/vm-specs';
import { validateHere } from '../blueprint-files';
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
    'lab:preflight': async ({ text, provider }) => {
      const r = validateHere(text);
      if (!r.resolved) throw new BackendError('The blueprint has errors; fix them first (see the Design screen).', 'invalid-blueprint');
      const s = await readHostSettings({ dataDir: host.dataDir });
      const { lab, state } = await labHome(r.resolved.name, s);
      const o = { ...(s.vmwareEtcDir ? { vmwareEtcDir: s.vmwareEtcDir } : {}), ...(s.vmrunPath ? { vmrunPath: s.vmrunPath } : {}), lab };
      const kind = await preflightProvider(provider, state?.provider, o);
      if (!kind) return { provider: null, clashes: [], lines: [{ id: 'provider', level: 'error', title: 'No provider', detail: 'Neither VMware Workstation nor the Linux lab can run here.', fix: 'Run halab doctor to see why.' }] };
      return networkPreflight(kind, networkSpecs(r.resolved), o);
    },
    'template:create': pending('template:create'),
  };
}
