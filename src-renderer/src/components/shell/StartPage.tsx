/**
 * The start page, shown in place of the Design screen until a blueprint is
 * opened or created in this window: the seed lab one click away, the other
 * shipped labs, open a file, a new empty lab, and the last files.
 */
import { useEffect, useState } from 'react';
import { call } from '../../api/client';
import { en } from '../../i18n/en';
import type { MessageKey } from '../../i18n/index';
import { useT } from '../../i18n/useT';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { newEmpty, openRecent, openShipped, recentFiles, type RecentEntry } from '../../stores/file-actions';
import { useFilePicker } from '../design/Toolbar';
import '../../styles/start.css';

/** The lab of the assignment: one click from the start page. */
export const SEED_LAB = 'vmware-3tier-ha';

// The editor's state when the window opened: any load or edit replaces it.
const initial = useEditor.getState();

/** True until a blueprint is opened, created or edited in this window. */
export function useStartPageShown(): boolean {
  return useEditor((s) => s.data === initial.data && s.file === initial.file);
}

/** A shipped lab's title in the UI's language (its blueprint's own title for a lab the dictionary does not know). */
export function shippedLabTitle(t: (key: MessageKey) => string, id: string, title: string): string {
  const key = `start.lab.${id}`;
  return key in en ? t(key as MessageKey) : title;
}

export function StartPage() {
  const t = useT();
  const [shipped, setShipped] = useState<{ id: string; title: string }[] | string | undefined>();
  const [recent, setRecent] = useState<RecentEntry[] | undefined>();
  const { pick, element } = useFilePicker();
  useEffect(() => {
    call('blueprint:list-shipped', {}).then(setShipped, (e: Error) => setShipped(e.message));
    void recentFiles().then(setRecent);
  }, []);
  const labTitle = (id: string, title: string) => shippedLabTitle(t, id, title);
  const others = Array.isArray(shipped) ? shipped.filter((s) => s.id !== SEED_LAB) : [];
  const seed = Array.isArray(shipped) ? shipped.find((s) => s.id === SEED_LAB) : undefined;
  return (
    <div className="start-page" data-testid="start-page">
      {element}
      <div className="start-inner">
        <h1>{t('start.title')}</h1>
        <p className="start-lead">{t('start.lead')}</p>
        <button type="button" className="start-seed primary" data-testid="start-seed" autoFocus disabled={shipped !== undefined && !seed} onClick={() => void openShipped(SEED_LAB)}>
          <b>{t('start.seed')}</b>
          <span>{t('start.seedHint')}</span>
        </button>
        <div className="start-actions">
          <button type="button" className="start-choice" data-testid="start-open" onClick={() => pick(false)}>
            <b>{t('start.open')}</b>
            <span>{t('start.openHint')}</span>
          </button>
          <button type="button" className="start-choice" data-testid="start-empty" onClick={() => newEmpty()}>
            <b>{t('start.empty')}</b>
            <span>{t('start.emptyHint')}</span>
          </button>
        </div>
        <div className="start-columns">
          <section aria-labelledby="start-new">
            <h2 id="start-new">{t('start.shipped')}</h2>
            {shipped === undefined && <p className="muted">{t('start.loading')}</p>}
            {typeof shipped === 'string' && <p className="field-error">{t('start.noShipped', { reason: shipped })}</p>}
            <ul className="start-list">
              {others.map((s) => (
                <li key={s.id}>
                  <button type="button" className="start-choice" data-testid={`start-shipped-${s.id}`} onClick={() => void openShipped(s.id)}>
                    <b>{labTitle(s.id, s.title)}</b>
                    <span className="mono">{s.id}</span>
                  </button>
                </li>
              ))}
            </ul>
            <button type="button" className="link-button" data-testid="file-new" onClick={() => useApp.getState().setDialog({ kind: 'new' })}>
              {t('start.more')}
            </button>
          </section>
          <section aria-labelledby="start-recent">
            <h2 id="start-recent">{t('start.recent')}</h2>
            {recent && recent.length === 0 && <p className="muted" data-testid="start-recent-empty">{t('start.recentEmpty')}</p>}
            <ul className="start-list" data-testid="start-recent">
              {recent?.map((r, i) => (
                <li key={r.path ?? `${r.name}-${i}`}>
                  <button type="button" className="start-choice" data-testid={`start-recent-${i}`} title={r.path ?? r.name} onClick={() => void openRecent(r)}>
                    <b>{r.name}</b>
                    {r.path && <span className="mono">{r.path}</span>}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        </div>
      </div>
    </div>
  );
}
