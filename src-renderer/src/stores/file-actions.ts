/**
 * File operations for both transports: new, open, import, save, save as,
 * export and recent files. Desktop uses the backend's native dialogs
 * (`file:open`, `file:save`); web mode uploads through a file input and
 * downloads through the browser, keeping recent documents in localStorage.
 */
import { parseBlueprintYaml } from '../../../src-main/shared/blueprint/yaml-doc';
import { create } from 'zustand';
import { call, transportMode } from '../api/client';
import { translate } from '../i18n';
import { emptyDraft, toDraft } from '../lib/draft';
import { downloadBlob } from '../lib/picture-export';
import { useApp } from './app-store';
import { useEditor } from './editor-store';

/** A recent file: a path on the desktop, a stored copy in web mode. */
export interface RecentEntry {
  name: string;
  path?: string;
  text?: string;
}

const RECENT_KEY = 'halab.recent';
const RECENT_MAX = 6;
const RECENT_MAX_CHARS = 512 * 1024;

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

function rememberWeb(name: string, text: string): void {
  if (text.length > RECENT_MAX_CHARS) return;
  const list = webRecent().filter((r) => r.name !== name);
  try {
    window.localStorage.setItem(RECENT_KEY, JSON.stringify([{ name, text }, ...list].slice(0, RECENT_MAX)));
  } catch {
    // Storage full or disabled: recent files are a convenience, not worth an error.
  }
}

function webRecent(): RecentEntry[] {
  try {
    const v = JSON.parse(window.localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as RecentEntry[]).filter((r) => typeof r?.name === 'string') : [];
  } catch {
    return [];
  }
}

/** Recent files, newest first. */
export async function recentFiles(): Promise<RecentEntry[]> {
  if (transportMode() === 'web') return webRecent();
  try {
    return (await call('file:recent', {})).map((path) => ({ name: baseName(path), path }));
  } catch {
    return [];
  }
}

/**
 * Load blueprint text (YAML or JSON) into the editor. Returns false and shows
 * a toast saying what is wrong when it is not a blueprint.
 */
export function openText(text: string, name: string, path?: string, asNew = false): boolean {
  const app = useApp.getState();
  const parsed = parseBlueprintYaml(text);
  const first = parsed.syntaxIssues[0];
  if (first) {
    app.toast('error', 'file.yamlError', { line: first.line ?? 1, message: first.message.replace(/^YAML syntax: /, '') });
    return false;
  }
  const data = parsed.data as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || Array.isArray(data) || data.apiVersion !== 'halab/v1') {
    app.toast('error', 'file.notBlueprint');
    return false;
  }
  // JSON is YAML too, but a JSON file should not keep JSON's flow style when saved as YAML.
  const doc = name.toLowerCase().endsWith('.json') ? undefined : parsed.doc;
  useEditor.getState().load(toDraft(data), doc, asNew ? { name: name.replace(/\.json$/i, '.yaml') } : { name, path });
  if (transportMode() === 'web' && !asNew) rememberWeb(name, text);
  app.setScreen('design');
  app.toast('info', 'file.opened', { name });
  return true;
}

/** Run `then` now, or after the student confirms discarding unsaved changes. */
export function guardUnsaved(then: () => void): void {
  if (useEditor.getState().isDirty()) useApp.getState().setDialog({ kind: 'guard', then });
  else then();
}

/** Desktop: the native open dialog (or a known path). Web: the caller shows the file input. */
export async function openFromDisk(path?: string): Promise<void> {
  try {
    const r = await call('file:open', path ? { path } : {});
    if (r) openText(r.text, baseName(r.path), r.path);
  } catch (e) {
    useApp.getState().toast('error', 'file.openFailed', { name: path ? baseName(path) : '', reason: (e as Error).message });
  }
}

/** Start a new lab from a shipped blueprint. */
export async function openShipped(id: string): Promise<void> {
  try {
    const r = await call('blueprint:read-shipped', { id });
    openText(r.text, `${id}.yaml`, undefined, true);
  } catch (e) {
    useApp.getState().toast('error', 'file.openFailed', { name: id, reason: (e as Error).message });
  }
}

/** Hand text to the browser as a file download (web mode). */
export function download(name: string, text: string, type: string): void {
  downloadBlob(name, new Blob([text], { type }));
}

/** The file's name; a new lab's is "untitled.yaml" in the UI's language (제목없음.yaml in Korean). */
function defaultName(file: { name: string; path?: string }): string {
  return file.name === 'untitled.yaml' && !file.path ? translate(useApp.getState().language, 'file.untitled') : file.name;
}

/** Web mode's "Save as…" prompt: the name proposed, and who is waiting for the answer. */
interface SaveAsPrompt {
  proposed?: string;
  answer?: (name: string | null) => void;
}
export const useSaveAsPrompt = create<SaveAsPrompt>()(() => ({}));

/** Ask for a file name (web "Save as…"); null when the student cancels. */
export function askFileName(proposed: string): Promise<string | null> {
  useSaveAsPrompt.getState().answer?.(null);
  return new Promise((resolve) => {
    useSaveAsPrompt.setState({
      proposed,
      answer: (name) => {
        useSaveAsPrompt.setState({ proposed: undefined, answer: undefined });
        resolve(name);
      },
    });
  });
}

/**
 * A typed file name made a download name: trimmed, ".yaml" added unless it
 * ends in .yaml/.yml. An i18n key instead when it is empty or names a folder
 * (a browser saves into its downloads folder and would mangle "/" or "\\").
 */
export function fileNameFrom(typed: string): { name: string } | { error: 'saveAs.empty' | 'saveAs.badName' } {
  const n = typed.trim();
  if (n === '' || /^\.+(ya?ml)?$/i.test(n)) return { error: 'saveAs.empty' };
  if (/[\\/:*?"<>|]/.test(n)) return { error: 'saveAs.badName' };
  return { name: /\.ya?ml$/i.test(n) ? n : `${n}.yaml` };
}

/** Save to the current file (desktop), or ask where (save as). Web mode downloads; its "Save as…" asks for a name first. */
export async function save(saveAs = false): Promise<boolean> {
  const ed = useEditor.getState();
  const app = useApp.getState();
  let text = ed.serialize();
  let name = defaultName(ed.file);
  if (transportMode() === 'web') {
    if (saveAs) {
      const typed = await askFileName(name);
      if (typed === null) return false;
      name = typed;
      text = useEditor.getState().serialize();
    }
    download(name, text, 'application/yaml');
    rememberWeb(name, text);
    ed.markSaved({ name });
    app.toast('info', 'file.saved', { name });
    return true;
  }
  try {
    const r = await call('file:save', { path: saveAs ? undefined : ed.file.path, text, suggestedName: name });
    if (!r) return false;
    ed.markSaved({ name: baseName(r.path), path: r.path });
    app.toast('info', 'file.saved', { name: baseName(r.path) });
    return true;
  } catch (e) {
    app.toast('error', 'file.saveFailed', { reason: (e as Error).message });
    return false;
  }
}

/** Export as YAML or JSON without changing the current file. */
export async function exportAs(format: 'yaml' | 'json'): Promise<void> {
  const ed = useEditor.getState();
  const app = useApp.getState();
  const stem = defaultName(ed.file).replace(/\.(ya?ml|json)$/i, '');
  const name = `${stem}.${format}`;
  const text = format === 'yaml' ? ed.serialize() : `${JSON.stringify(ed.data, null, 2)}\n`;
  if (transportMode() === 'web') {
    download(name, text, format === 'yaml' ? 'application/yaml' : 'application/json');
    app.toast('info', 'file.exported', { name });
    return;
  }
  try {
    const r = await call('file:save', { text, suggestedName: name });
    if (r) app.toast('info', 'file.exported', { name: baseName(r.path) });
  } catch (e) {
    app.toast('error', 'file.saveFailed', { reason: (e as Error).message });
  }
}

/** Reopen a recent file. */
export async function openRecent(entry: RecentEntry): Promise<void> {
  if (entry.path) await openFromDisk(entry.path);
  else if (entry.text !== undefined) openText(entry.text, entry.name);
}

/** Start an empty lab. */
export function newEmpty(): void {
  useEditor.getState().load(emptyDraft(), undefined, { name: 'untitled.yaml' });
}
