/** `lab:*`, `task:*`, `monitor:*` and `drill:*` requests. */
import type { ResolvedLab } from '../../shared/blueprint/model';
import type { BlueprintProvider } from '../../shared/blueprint/rules-provider';
import { validateHere } from '../blueprint-files';
import { BackendError, type HandlerMap } from '../handler-types';
import type { LabService } from '../lab-service';
import { msg } from '../../shared/i18n';

/** The resolved lab of a blueprint text, or a clear error; with a provider, its own rules count as errors. */
function resolve(text: string, provider?: BlueprintProvider): ResolvedLab {
  const r = validateHere(text, provider);
  if (!r.resolved) {
    const first = r.issues.find((i) => i.severity === 'error');
    throw new BackendError(first ? msg('be.invalidBlueprintFirst', { first: first.msg ?? first.message }) : msg('be.invalidBlueprint'), 'invalid-blueprint');
  }
  return r.resolved;
}

export function labHandlers(labs: LabService): Pick<HandlerMap, 'lab:status' | 'lab:up' | 'lab:down' | 'task:cancel' | 'task:list' | 'monitor:start' | 'monitor:stop' | 'drill:run' | 'drill:reports' | 'drill:report'> {
  return {
    'lab:status': async ({ text }) => labs.status(resolve(text)),
    'lab:up': async ({ text, provider, stage, reconfigureVmnet8 }) => ({ taskId: labs.up(resolve(text, provider), { provider, stage, reconfigureVmnet8 }) }),
    'lab:down': async ({ text }) => ({ taskId: labs.down(resolve(text)) }),
    'task:cancel': async ({ id }) => ({ canceled: labs.cancel(id) }),
    'task:list': async () => labs.list(),
    'monitor:start': async ({ text }) => {
      const r = resolve(text);
      await labs.startMonitor(r);
      return { lab: r.name };
    },
    'monitor:stop': async ({ lab }) => ({ stopped: await labs.stopMonitor(lab) }),
    // forcePromotion and lang as `halab drill --force-promotion --lang` pass them.
    'drill:run': async ({ text, drill, forcePromotion, lang }) => ({ taskId: labs.drill(resolve(text), drill, { ...(forcePromotion ? { forcePromotion: true } : {}), ...(lang ? { lang } : {}) }) }),
    'drill:reports': async ({ lab }) => labs.reports(lab),
    'drill:report': async ({ lab, id, format, lang }) => labs.report(lab, id, format, lang),
  };
}
