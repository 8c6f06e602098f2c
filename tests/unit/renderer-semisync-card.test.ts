/**
 * The Dashboard's semi-sync card, rendered to static HTML from a monitor
 * reading in English and Korean: on, fallen back to async (the
 * warning), unread, and an asynchronous lab.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { SemiSyncCard as Card } from '../../src-main/shared/monitor/types';
import { SemiSyncView } from '../../src-renderer/src/components/dashboard/SemiSyncCard';

// The app store reads the browser's language when it is made: Node has no navigator.
vi.hoisted(() => {
  if (typeof globalThis.navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: { language: 'en-US' }, configurable: true });
});

const html = (lang: 'en' | 'ko', card: Card | undefined, configured = true) => renderToStaticMarkup(createElement(SemiSyncView, { card, configured, lang }));
const FELL_BACK: Card = { node: 'db-master', status: { enabled: true, active: false, clients: 0, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 12, noTx: 3 } };

describe('SemiSyncCard', () => {
  it('on: its timeout, replicas and wait point; no warning', () => {
    const h = html('en', { node: 'db-master', status: { enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 40, noTx: 0 } });
    expect(h).toContain('data-state="on"');
    expect(h).toContain('card-ok');
    expect(h).toContain('timeout 1000 ms · replicas connected: 1 · wait point AFTER_SYNC');
    expect(h).not.toContain('semisync-warning');
  });

  it('fallen back to async: a warning, in English and Korean', () => {
    const en = html('en', FELL_BACK);
    expect(en).toContain('data-state="fell-back"');
    expect(en).toContain('FELL BACK TO ASYNC');
    expect(en).toMatch(/data-testid="semisync-warning">Commits are no longer confirmed by a replica: if the primary fails now, confirmed rows can be lost\./);
    const ko = html('ko', FELL_BACK);
    expect(ko).toContain('비동기로 전환됨');
    expect(ko).toContain('대기 시간 1000 ms · 연결된 복제 서버 0대 · 대기 지점 AFTER_SYNC');
    expect(ko).toContain('복제 서버가 확인한 커밋 12건 · 확인하지 않은 커밋 3건');
  });

  it('unread, not yet read, and an asynchronous lab', () => {
    expect(html('ko', { node: 'db-master', error: 'connect ECONNREFUSED' })).toMatch(/data-state="unread".*db-master 서버에서 읽지 못함/);
    expect(html('en', undefined)).toMatch(/card-muted.*…/);
    expect(html('en', undefined, false)).toMatch(/data-state="async".*off: this lab replicates asynchronously/);
  });
});
