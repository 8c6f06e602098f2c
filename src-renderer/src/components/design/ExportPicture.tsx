/**
 * Export the topology as a picture for the report: SVG (drawn by the
 * backend from the open blueprint, in the UI's language) or PNG (that SVG
 * drawn on a canvas at twice its size).
 */
import { call } from '../../api/client';
import { useT } from '../../i18n/useT';
import { downloadBlob, svgToPngBlob } from '../../lib/picture-export';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';

async function exportPicture(format: 'svg' | 'png'): Promise<void> {
  const app = useApp.getState();
  const ed = useEditor.getState();
  if (ed.issues.errors > 0 || !ed.validation.resolved) {
    app.toast('error', 'picture.invalid');
    return;
  }
  const name = `${ed.file.name.replace(/\.(ya?ml|json)$/i, '')}-topology.${format}`;
  try {
    const { svg } = await call('blueprint:graph', { text: ed.serialize(), format: 'svg', lang: app.language });
    if (!svg) throw new Error('no picture came back');
    downloadBlob(name, format === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgToPngBlob(svg, 2));
    app.toast('info', 'picture.exported', { name });
  } catch (e) {
    app.toast('error', 'picture.failed', { reason: (e as Error).message });
  }
}

export function ExportPicture() {
  const t = useT();
  return (
    <>
      <button type="button" data-testid="file-export-svg" title={t('picture.exportTitle')} onClick={() => void exportPicture('svg')}>
        {t('picture.exportSvg')}
      </button>
      <button type="button" data-testid="file-export-png" title={t('picture.exportTitle')} onClick={() => void exportPicture('png')}>
        {t('picture.exportPng')}
      </button>
    </>
  );
}
