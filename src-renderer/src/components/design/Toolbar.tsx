/**
 * File and edit commands above the canvas, the file name with its unsaved
 * marker, and the design tabs (canvas, plan, YAML).
 */
import { useEffect, useRef, useState } from 'react';
import { transportMode } from '../../api/client';
import { useT } from '../../i18n/useT';
import { ExportPicture } from './ExportPicture';
import { Icon } from './Icons';
import { useApp, type DesignTab } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { exportAs, guardUnsaved, openFromDisk, openRecent, openText, recentFiles, save, type RecentEntry } from '../../stores/file-actions';

/** Web mode: ask for a file through the hidden input (desktop uses the native dialog). */
export function useFilePicker() {
  const input = useRef<HTMLInputElement>(null);
  const asNew = useRef(false);
  const pick = (importing: boolean) => {
    if (transportMode() === 'desktop' && !importing) return guardUnsaved(() => void openFromDisk());
    asNew.current = importing;
    guardUnsaved(() => input.current?.click());
  };
  const element = (
    <input
      ref={input}
      type="file"
      accept=".yaml,.yml,.json,application/yaml,application/json"
      hidden
      data-testid="file-input"
      onChange={async (e) => {
        const f = e.target.files?.[0];
        e.target.value = '';
        if (f) openText(await f.text(), f.name, undefined, asNew.current);
      }}
    />
  );
  return { pick, element };
}

export function Toolbar() {
  const t = useT();
  const lang = useApp((s) => s.language);
  const file = useEditor((s) => s.file);
  const dirty = useEditor((s) => s.data !== s.savedData);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const hasSel = useEditor((s) => s.selected.length > 0 || (s.selection !== null && s.selection.kind !== 'lab'));
  const tab = useApp((s) => s.designTab);
  const { pick, element } = useFilePicker();
  const [recent, setRecent] = useState<RecentEntry[] | undefined>();
  const menu = useRef<HTMLDivElement>(null);
  // The Recent menu closes on Escape and on a click anywhere outside it.
  useEffect(() => {
    if (!recent) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setRecent(undefined);
        menu.current?.querySelector<HTMLButtonElement>('[data-testid="file-recent"]')?.focus();
      }
    };
    const onDown = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node)) setRecent(undefined);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('pointerdown', onDown);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('pointerdown', onDown);
    };
  }, [recent]);
  const ed = useEditor.getState;
  const tabs: DesignTab[] = ['canvas', 'plan', 'yaml'];
  return (
    <div className="toolbar" role="toolbar" data-testid="toolbar">
      {element}
      <div className="tool-group">
        <button type="button" data-testid="file-new" onClick={() => guardUnsaved(() => useApp.getState().setDialog({ kind: 'new' }))}>
          {t('file.new')}
        </button>
        <button type="button" data-testid="file-open" onClick={() => pick(false)}>
          {t('file.open')}
        </button>
        <div className="menu" ref={menu}>
          <button type="button" data-testid="file-recent" aria-expanded={recent !== undefined} onClick={async () => setRecent(recent ? undefined : await recentFiles())}>
            {t('file.recent')} ▾
          </button>
          {recent && (
            <ul className="menu-list" data-testid="recent-list">
              {recent.length === 0 && <li className="muted">{t('file.recentEmpty')}</li>}
              {recent.map((r) => (
                <li key={r.path ?? r.name}>
                  <button type="button" onClick={() => {
                    setRecent(undefined);
                    guardUnsaved(() => void openRecent(r));
                  }}>
                    {r.name}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <button type="button" data-testid="file-save" onClick={() => void save(false)}>
          {t('file.save')}
        </button>
        <button type="button" data-testid="file-save-as" onClick={() => void save(true)}>
          {t('file.saveAs')}
        </button>
        <button type="button" data-testid="file-import" onClick={() => pick(true)}>
          {t('file.import')}
        </button>
        <button type="button" data-testid="file-export-yaml" onClick={() => void exportAs('yaml')}>
          {t('file.exportYaml')}
        </button>
        <button type="button" data-testid="file-export-json" onClick={() => void exportAs('json')}>
          {t('file.exportJson')}
        </button>
        <ExportPicture />
      </div>
      <div className="tool-group icons">
        <button type="button" title={t('toolbar.undo')} aria-label={t('toolbar.undo')} data-testid="edit-undo" disabled={!canUndo} onClick={() => ed().undo()}><Icon name="undo" /></button>
        <button type="button" title={t('toolbar.redo')} aria-label={t('toolbar.redo')} data-testid="edit-redo" disabled={!canRedo} onClick={() => ed().redo()}><Icon name="redo" /></button>
        <button type="button" title={t('toolbar.copy')} aria-label={t('toolbar.copy')} data-testid="edit-copy" disabled={!hasSel} onClick={() => ed().copy()}><Icon name="copy" /></button>
        <button type="button" title={t('toolbar.paste')} aria-label={t('toolbar.paste')} data-testid="edit-paste" onClick={() => ed().paste()}><Icon name="paste" /></button>
        <button type="button" title={t('toolbar.delete')} aria-label={t('toolbar.delete')} data-testid="edit-delete" disabled={!hasSel} onClick={() => ed().deleteSelection()}><Icon name="trash" /></button>
        <button type="button" title={t('toolbar.fit')} aria-label={t('toolbar.fit')} data-testid="view-fit" onClick={() => useEditor.setState({ fitRequest: useEditor.getState().fitRequest + 1 })}><Icon name="fit" /></button>
        <button type="button" title={t('toolbar.layout')} aria-label={t('toolbar.layout')} data-testid="view-layout" onClick={() => ed().autoLayout()}><Icon name="layout" /></button>
      </div>
      <div className="file-name" data-testid="file-name" title={file.path ?? file.name}>
        {file.name === 'untitled.yaml' && !file.path && lang === 'ko' ? t('file.untitled') : file.name}
        {dirty && (
          <span className="dirty" data-testid="dirty" title={t('file.unsaved')} aria-label={t('file.unsaved')}>
            ●
          </span>
        )}
      </div>
      <div className="tabs" role="tablist">
        {tabs.map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} className={tab === k ? 'on' : undefined} data-testid={`tab-${k}`} onClick={() => useApp.getState().setDesignTab(k)}>
            {t(`design.tab.${k}`)}
          </button>
        ))}
      </div>
    </div>
  );
}
