/** `settings:check`, `doctor:run`, `lab:preflight`, `template:create`: the host side of a lab (`file:pick` is in files.ts, with the other dialogs). */
import { runDoctor } from '../../doctor';
import { createTemplate, TemplateError } from '../../hypervisor/vmware/template-create';
import { checkHostSettings, defaultDataDir, readHostSettings } from '../../lab/host-settings';
import { labPreflight } from '../../lab/preflight';
import { validateHere } from '../blueprint-files';
import type { EventBus } from '../events';
import { BackendError, type HandlerMap } from '../handler-types';
import type { LabService } from '../lab-service';
import { SettingsStore } from '../settings-store';
import { msg } from '../../shared/i18n';
import { MessageError } from '../../shared/i18n/message-error';

/** What the host handlers need from the backend (each helper adds what its handler needs). */
export interface HostHandlerContext {
  /** Folder of `settings.json`. */
  dataDir?: string;
  /** Runs `template:create` as a task (task:update events, task:cancel). */
  labs?: LabService;
  /** `doctor:run` reports what it is doing as `log:line` events (source `doctor`): the boot check takes minutes. */
  events?: EventBus;
}

export function hostHandlers(host: HostHandlerContext = {}): Pick<HandlerMap, 'settings:check' | 'doctor:run' | 'lab:preflight' | 'template:create'> {
  return {
    'settings:check': (values) => checkHostSettings(values, { dataDir: host.dataDir }),
    'doctor:run': async ({ text, provider, quick }) => {
      const r = text === undefined ? undefined : validateHere(text);
      if (r && !r.resolved) throw new BackendError(msg('be.invalidBlueprintDoctor'), 'invalid-blueprint');
      const settings = await readHostSettings({ dataDir: host.dataDir });
      const onProgress = host.events ? (line: string) => host.events?.emit('log:line', { at: Date.now(), source: 'doctor', line }) : undefined;
      return runDoctor({ settings, quick: quick === true, ...(provider ? { provider } : {}), ...(r?.resolved ? { resolved: r.resolved } : {}), ...(onProgress ? { onProgress } : {}) });
    },
    'lab:preflight': async ({ text, provider }) => {
      const r = validateHere(text);
      if (!r.resolved) throw new BackendError(msg('be.invalidBlueprintDesign'), 'invalid-blueprint');
      return labPreflight(r.resolved, provider, await readHostSettings({ dataDir: host.dataDir }));
    },
    'template:create': async ({ os, from }) => {
      const labs = host.labs;
      if (!labs) throw new BackendError(msg('be.noLabService'), 'not-available');
      const s = await readHostSettings({ dataDir: host.dataDir });
      const store = new SettingsStore(host.dataDir ?? defaultDataDir());
      const taskId = labs.runTask('template', `template:${os}`, msg('be.task.template', { os }), (signal, report) =>
        createTemplate({
          os,
          ...(from ? { from } : {}),
          labsDir: s.labsDir,
          ...(s.vmrunPath ? { vmrunPath: s.vmrunPath } : {}),
          signal,
          onProgress: (p) => report({ step: p.line, ...(p.lineMsg ? { stepMsg: p.lineMsg } : {}), ...(p.fraction !== undefined ? { progress: p.fraction } : {}) }),
          record: async (o, vmx) => {
            const now = await store.get();
            await store.set({ templates: { ...now.templates, [o]: vmx } });
          },
        }).catch((e: unknown) => {
          // The task's error is one string: what went wrong and what to do.
          if (!(e instanceof TemplateError)) throw e;
          if (e.msg) throw new MessageError(e.fixMsg ? msg('tpl.failedFix', { error: e.msg, fix: e.fixMsg }) : e.msg);
          throw e.fix ? new Error(`${e.message} ${e.fix}`) : e;
        }),
      );
      return { taskId };
    },
  };
}
