/** `file:*` requests: open and save blueprint files (desktop), recent files. */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic, type SettingsStore } from '../settings-store';
import { BackendError, type Dialogs, type HandlerMap } from '../handler-types';

const notInBrowser = () => new BackendError('Opening and saving files by path is only available in the desktop app; in the browser use upload and download.', 'not-available');

export function fileHandlers(settings: SettingsStore, dialogs: Dialogs | undefined): Pick<HandlerMap, 'file:open' | 'file:save' | 'file:recent'> {
  return {
    'file:open': async ({ path }) => {
      if (!dialogs) throw notInBrowser();
      const chosen = path ?? (await dialogs.openBlueprint());
      if (!chosen) return null;
      const text = await readFile(chosen, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new BackendError(`Cannot open ${chosen}: ${e.code === 'ENOENT' ? 'the file no longer exists' : e.message}.`, 'io');
      });
      await settings.addRecent(chosen);
      return { path: chosen, text };
    },
    'file:save': async ({ path, text, suggestedName }) => {
      if (!dialogs) throw notInBrowser();
      const target = path ?? (await dialogs.saveBlueprint(suggestedName ?? 'lab.yaml'));
      if (!target) return null;
      await writeFileAtomic(target, text).catch((e: NodeJS.ErrnoException) => {
        throw new BackendError(`Cannot save ${target}: ${e.message}. Nothing was changed; choose another place.`, 'io');
      });
      await settings.addRecent(target);
      return { path: target };
    },
    'file:recent': async () => (dialogs ? settings.recent() : []),
  };
}
