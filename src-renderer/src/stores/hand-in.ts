/**
 * "Report to hand in" from the window: `report:handIn` (what `halab report`
 * writes: topology, plan, last provisioning, every drill report) for the
 * open blueprint in the UI's language. Web mode downloads it; the desktop
 * saves Markdown/HTML through `file:save` and hands the PDF (binary), or a
 * text over `file:save`'s 4 MiB, to the browser's download, which Electron
 * saves through its own save dialog.
 */
import { create } from 'zustand';
import { call, transportMode } from '../api/client';
import { downloadBlob } from '../lib/picture-export';
import { useApp } from './app-store';
import { useEditor } from './editor-store';

export type HandInFormat = 'html' | 'md' | 'pdf';

const FILE_SAVE_MAX = 4 * 1024 * 1024;

/** The format being made (buttons show it busy), if any. */
export const useHandIn = create<{ busy?: HandInFormat }>()(() => ({}));

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function handIn(format: HandInFormat): Promise<void> {
  const app = useApp.getState();
  const ed = useEditor.getState();
  if (ed.issues.errors > 0 || !ed.validation.resolved) {
    app.toast('error', 'handIn.invalid');
    return;
  }
  if (useHandIn.getState().busy) return;
  useHandIn.setState({ busy: format });
  try {
    const f = await call('report:handIn', { text: ed.serialize(), lang: app.language, format, fileName: ed.file.name });
    // file:save carries text up to 4 MiB (a blueprint's limit); a bigger report goes the download way too.
    if (transportMode() === 'web' || f.base64 !== undefined || (f.text?.length ?? 0) > FILE_SAVE_MAX) {
      downloadBlob(f.name, f.base64 !== undefined ? new Blob([bytes(f.base64)], { type: f.mime }) : new Blob([f.text ?? ''], { type: f.mime }));
      app.toast('info', 'handIn.saved', { name: f.name });
    } else {
      const r = await call('file:save', { text: f.text ?? '', suggestedName: f.name });
      if (r) app.toast('info', 'handIn.saved', { name: r.path.split(/[\\/]/).pop() ?? f.name });
    }
    if (f.skipped.length) app.toast('error', 'handIn.skipped', { count: f.skipped.length });
  } catch (e) {
    app.toast('error', 'handIn.failed', { reason: (e as Error).message });
  } finally {
    useHandIn.setState({ busy: undefined });
  }
}
