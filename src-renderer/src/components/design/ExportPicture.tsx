/**
 * Export the topology as a picture for the report: SVG (drawn by the
 * backend from the open blueprint, in the UI's language) or PNG (that SVG
 * drawn on a canvas at twice its size), or the Mermaid flowchart as text
 * (`halab graph --format mermaid`, to paste into a Markdown report).
 */
import { useEffect, useRef, useState } from 'react';
import { call } from '../../api/client';
import { useT } from '../../i18n/useT';
import { downloadBlob, svgToPngBlob } from '../../lib/picture-export';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

async function exportPicture(format: 'svg' | 'png' | 'mmd'): Promise<void> {
  const app = useApp.getState();
  const ed = useEditor.getState();
  if (ed.issues.errors > 0 || !ed.validation.resolved) {
    app.toast('error', 'picture.invalid');
    return;
  }
  const name = `${ed.file.name.replace(/\.(ya?ml|json)$/i, '')}-topology.${format}`;
  try {
    if (format === 'mmd') {
      // `halab graph --format mermaid`: the flowchart as text, to paste into a Markdown report.
      const { mermaid } = await call('blueprint:graph', { text: ed.serialize(), format: 'mermaid' });
      downloadBlob(name, new Blob([mermaid], { type: 'text/plain' }));
      app.toast('info', 'picture.exported', { name });
      return;
    }
    const { svg } = await call('blueprint:graph', { text: ed.serialize(), format: 'svg', lang: app.language });
    if (!svg) throw new Error('no picture came back');
    downloadBlob(name, format === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgToPngBlob(svg, 2));
    app.toast('info', 'picture.exported', { name });
  } catch (e) {
    app.toast('error', 'picture.failed', { reason: (e as Error).message });
  }
}

/** "Picture ▾": SVG or PNG; Escape or a click outside closes the menu. */
export function ExportPicture() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onDown = (e: MouseEvent) => !box.current?.contains(e.target as Node) && setOpen(false);
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onDown);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onDown);
    };
  }, [open]);
  const pick = (format: 'svg' | 'png' | 'mmd') => {
    setOpen(false);
    void exportPicture(format);
  };
  return (
    <div className="menu" ref={box}>
      <button type="button" data-testid="file-export-picture" title={t('picture.exportTitle')} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t('picture.menu')} ▾
      </button>
      {open && (
        <ul className="menu-list" role="menu" data-testid="picture-menu">
          <li>
            <button type="button" role="menuitem" data-testid="file-export-svg" onClick={() => pick('svg')}>
              {t('picture.exportSvg')}
            </button>
          </li>
          <li>
            <button type="button" role="menuitem" data-testid="file-export-png" onClick={() => pick('png')}>
              {t('picture.exportPng')}
            </button>
          </li>
          <li>
            <button type="button" role="menuitem" data-testid="file-export-mermaid" onClick={() => pick('mmd')}>
              {t('picture.exportMermaid')}
            </button>
          </li>
        </ul>
      )}
    </div>
  );
}
