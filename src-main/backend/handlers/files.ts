/**
 * `file:*` requests: open and save blueprint files (desktop), recent files,
 * and native pickers for host settings.
 *
 * The renderer is untrusted, so it cannot name a host path and have it read
 * or written. `file:open`/`file:save` with a `path` accept only a path the
 * user chose in an Open or Save dialog during this process, or one on the
 * recent list (which only this module writes, after such a choice). Any
 * other path is refused with `not-granted`. Paths from `file:pick` are
 * settings values (a template, vmrun, a folder) and grant nothing here.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic, type SettingsStore } from '../settings-store';
import { BackendError, type Dialogs, type HandlerMap } from '../handler-types';
import { msg } from '../../shared/i18n';

const notInBrowser = () => new BackendError(msg('be.notInBrowser'), 'not-available');
const pickNotInBrowser = () => new BackendError(msg('be.pickerNotInBrowser'), 'not-available');

/** One spelling per file: absolute and normalised (`a/../b` is `b`). The renderer echoes the dialog's path, so case is never folded. */
const pathKey = (p: string): string => resolve(p);

/** The paths the user gave this process through a dialog. */
export class GrantedPaths {
  private readonly keys = new Set<string>();
  add(path: string): void {
    this.keys.add(pathKey(path));
  }
  has(path: string): boolean {
    return this.keys.has(pathKey(path));
  }
}

export function fileHandlers(
  settings: SettingsStore,
  dialogs: Dialogs | undefined,
  granted: GrantedPaths = new GrantedPaths(),
): Pick<HandlerMap, 'file:open' | 'file:save' | 'file:recent' | 'file:pick'> {
  /** Refuse a path the renderer named unless a dialog or the recent list gave it. */
  async function requireGranted(path: string, verb: 'open' | 'save'): Promise<void> {
    if (granted.has(path)) return;
    const recent = await settings.recent();
    if (recent.some((r) => pathKey(r) === pathKey(path))) {
      granted.add(path);
      return;
    }
    throw new BackendError(msg(verb === 'open' ? 'be.notGrantedOpen' : 'be.notGrantedSave', { path }), 'not-granted');
  }

  return {
    'file:open': async ({ path }) => {
      if (!dialogs) throw notInBrowser();
      let chosen: string | null;
      if (path !== undefined) {
        await requireGranted(path, 'open');
        chosen = path;
      } else {
        chosen = await dialogs.openBlueprint();
        if (!chosen) return null;
        granted.add(chosen);
      }
      const text = await readFile(chosen, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new BackendError(msg('be.cannotOpen', { path: chosen, reason: e.code === 'ENOENT' ? msg('be.fileGone') : e.message }), 'io');
      });
      await settings.addRecent(chosen);
      return { path: chosen, text };
    },
    'file:save': async ({ path, text, suggestedName }) => {
      if (!dialogs) throw notInBrowser();
      let target: string | null;
      if (path !== undefined) {
        await requireGranted(path, 'save');
        target = path;
      } else {
        target = await dialogs.saveBlueprint(suggestedName ?? 'lab.yaml');
        if (!target) return null;
        granted.add(target);
      }
      await writeFileAtomic(target, text).catch((e: NodeJS.ErrnoException) => {
        throw new BackendError(msg('be.cannotSave', { path: target, reason: e.message }), 'io');
      });
      await settings.addRecent(target);
      return { path: target };
    },
    'file:recent': async () => (dialogs ? settings.recent() : []),
    'file:pick': async ({ purpose }) => {
      if (!dialogs) throw pickNotInBrowser();
      const path = await dialogs.pick(purpose);
      return path ? { path } : null;
    },
  };
}
