/**
 * What the window can now do that the CLI could (issues 12 and 13): the
 * `drill:run` forcePromotion option and the `report:handIn` channel through
 * the real backend (zod validation, the labs folder, the real report code,
 * PDF through the real headless Chromium, and the catalog's words when there
 * is none); the Drills screen's model of a refused promotion on a report
 * made with the real drill definition and promotion decision; and the
 * monitor's semi-sync reading, driven through the scripted pool stand-in.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import { EventBus } from '../../src-main/backend/events';
import { labHandlers } from '../../src-main/backend/handlers/labs';
import { handInName } from '../../src-main/backend/handlers/report';
import { renderWatch } from '../../src-main/cli/commands/drill';
import { setCliLang } from '../../src-main/cli/lang';
import { LabService } from '../../src-main/backend/lab-service';
import { parseSemiSync, type ReplicaStatus } from '../../src-main/configs/mysql-status';
import { DRILL_DEFS, type DrillEnv } from '../../src-main/drills/catalog';
import { joinMsgs } from '../../src-main/drills/drill-kit';
import { promotionDecision } from '../../src-main/drills/promotion';
import { LabMonitor } from '../../src-main/monitor/lab-monitor';
import { pollSemiSync } from '../../src-main/monitor/semisync-status';
import { check, type DrillMeasurements, type DrillReport } from '../../src-main/shared/drills/report';
import { msg, render } from '../../src-main/shared/i18n';
import type { HandInFile } from '../../src-main/shared/ipc/contract';
import { applyDelta } from '../../src-main/shared/monitor/delta';
import type { DashboardState } from '../../src-main/shared/monitor/types';
import { flattenJoin, lastPromotionReport, promotionRefusal } from '../../src-renderer/src/lib/force-promotion';
import { loadLab, makeCtx, REPO } from '../golden/configs/support/render';
import { ok, ScriptedGuestPool } from '../helpers/scripted-guest-pool';

const FAST = readFileSync(join(REPO, 'lab-blueprints/vmware-3tier-ha-fast.yaml'), 'utf8');

/** A MariaDB 10.11 primary whose replica stopped acknowledging: semi-sync enabled, fallen back to async. */
const FELL_BACK = `Variable_name\tValue
Rpl_semi_sync_master_clients\t0
Rpl_semi_sync_master_no_tx\t3
Rpl_semi_sync_master_status\tOFF
Rpl_semi_sync_master_yes_tx\t12
Variable_name\tValue
rpl_semi_sync_master_enabled\tON
rpl_semi_sync_master_timeout\t1000
rpl_semi_sync_master_wait_point\tAFTER_SYNC
`;

let dir = '';
const savedEnv = { labs: process.env.HALAB_LABS_DIR, chromium: process.env.HALAB_CHROMIUM };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'halab-parity-'));
  process.env.HALAB_LABS_DIR = join(dir, 'labs');
});
afterAll(() => {
  if (savedEnv.labs === undefined) delete process.env.HALAB_LABS_DIR;
  else process.env.HALAB_LABS_DIR = savedEnv.labs;
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  if (savedEnv.chromium === undefined) delete process.env.HALAB_CHROMIUM;
  else process.env.HALAB_CHROMIUM = savedEnv.chromium;
});

const backend = () => createBackend({ mode: 'web', version: 't', dataDir: join(dir, 'data') });

describe('IPC: drill:run forcePromotion and report:handIn payloads', () => {
  it('drill:run takes forcePromotion as a boolean only; report:handIn takes text, lang en|ko, format html|md|pdf and nothing else', async () => {
    const b = backend();
    const bad = async (channel: string, payload: unknown) => {
      const r = await b.invoke(channel, payload);
      expect(r.ok, JSON.stringify(payload)).toBe(false);
      return r.ok ? undefined : r.error;
    };
    expect((await bad('drill:run', { text: FAST, drill: 'db-primary-down', forcePromotion: 'yes' }))?.issues).toEqual([{ path: 'forcePromotion', message: expect.any(String) }]);
    expect((await bad('report:handIn', { text: FAST, lang: 'ko', format: 'docx' }))?.code).toBe('invalid-payload');
    expect((await bad('report:handIn', { text: FAST, lang: 'fr', format: 'html' }))?.issues?.[0]?.path).toBe('lang');
    expect((await bad('report:handIn', { text: FAST, format: 'html' }))?.issues?.[0]?.path).toBe('lang');
    expect((await bad('report:handIn', { text: FAST, lang: 'en', format: 'md', path: '/etc/passwd' }))?.code).toBe('invalid-payload');
    expect((await bad('report:handIn', { text: 'title: [', lang: 'en', format: 'md' }))?.code).toBe('invalid-blueprint');
    await b.close();
  });

  it('drill:run hands forcePromotion to the lab service as `halab drill --force-promotion` does, and nothing without it', async () => {
    const labs = new LabService(new EventBus(), { dataDir: join(dir, 'data') });
    const spy = vi.spyOn(labs, 'drill');
    const h = labHandlers(labs);
    // Each task is canceled at once (nothing is up here); the next may start once it has ended.
    const settle = async (taskId: string) => {
      labs.cancel(taskId);
      await vi.waitFor(() => expect(labs.list().find((t) => t.id === taskId)?.state).not.toBe('running'), { timeout: 30_000, interval: 20 });
    };
    await settle((await h['drill:run']({ text: FAST, drill: 'db-primary-down', forcePromotion: true })).taskId);
    await settle((await h['drill:run']({ text: FAST, drill: 'db-primary-down' })).taskId);
    await settle((await h['drill:run']({ text: FAST, drill: 'app-down', lang: 'ko' })).taskId);
    expect(spy.mock.calls.map((c) => [c[0].name, c[1], c[2]])).toEqual([
      ['vmware-3tier-ha-fast', 'db-primary-down', { forcePromotion: true }],
      ['vmware-3tier-ha-fast', 'db-primary-down', {}],
      ['vmware-3tier-ha-fast', 'app-down', { lang: 'ko' }],
    ]);
    await labs.close();
  });
});

describe('report:handIn', () => {
  it('a lab never brought up still gives the plan part, in Korean and in English, named after the blueprint file', async () => {
    const b = backend();
    const r = await b.invoke('report:handIn', { text: FAST, lang: 'ko', format: 'md', fileName: 'vmware-3tier-ha-fast.yaml' });
    expect(r.ok).toBe(true);
    const f = (r as { data: HandInFile }).data;
    expect(f).toMatchObject({ name: 'vmware-3tier-ha-fast-report.md', mime: 'text/markdown', skipped: [] });
    expect(f.text).toContain('vmware-3tier-ha-fast.yaml');
    expect(f.text).toMatch(/[\uac00-\ud7a3]/);
    expect(f.text).toContain('192.168.'); // the IP table
    const en = (await b.invoke('report:handIn', { text: FAST, lang: 'en', format: 'html' })) as { ok: true; data: HandInFile };
    expect(en.data).toMatchObject({ name: 'vmware-3tier-ha-fast-report.html', mime: 'text/html' });
    expect(en.data.text).toMatch(/^<!doctype html>/i);
    expect(en.data.text).toContain('<svg');
    expect(en.data.text).not.toMatch(/[\uac00-\ud7a3]/);
    await b.close();
  });

  it('reads the drill reports of the lab folder (the labs-folder setting), and names the ones it could not read', async () => {
    const reports = join(dir, 'labs', 'vmware-3tier-ha-fast', 'reports');
    mkdirSync(join(reports, 'broken'), { recursive: true });
    writeFileSync(join(reports, 'broken', 'report.json'), '{ not json');
    mkdirSync(join(reports, 'r1'), { recursive: true });
    writeFileSync(join(reports, 'r1', 'report.json'), JSON.stringify(refusedReport()));
    const b = backend();
    const r = (await b.invoke('report:handIn', { text: FAST, lang: 'en', format: 'md' })) as { ok: true; data: HandInFile };
    expect(r.data.skipped).toEqual([join(reports, 'broken', 'report.json')]);
    expect(r.data.text).toContain('Database primary fails');
    await b.close();
    rmSync(join(dir, 'labs'), { recursive: true, force: true });
  });

  it('PDF through the real headless Chromium (base64 of a PDF)', async () => {
    const b = backend();
    const r = (await b.invoke('report:handIn', { text: FAST, lang: 'ko', format: 'pdf' })) as { ok: true; data: HandInFile };
    expect(r.ok).toBe(true);
    expect(r.data).toMatchObject({ name: 'vmware-3tier-ha-fast-report.pdf', mime: 'application/pdf' });
    const pdf = Buffer.from(r.data.base64!, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    await b.close();
  }, 120_000);

  it('without a Chromium the error says so in the catalog’s words, in either language', async () => {
    process.env.HALAB_CHROMIUM = join(dir, 'no-such-chromium');
    const b = backend();
    const r = await b.invoke('report:handIn', { text: FAST, lang: 'en', format: 'pdf' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('no-chromium');
    expect(r.error.msg).toEqual({ code: 'be.handIn.noChromium' });
    expect(r.error.message).toMatch(/No headless Chromium was found.*HALAB_CHROMIUM.*choose HTML/);
    expect(render('ko', r.error.msg!)).toMatch(/헤드리스 Chromium을 찾지 못해/);
    await b.close();
  });

  it('file names: the blueprint file’s stem, else the lab', () => {
    expect(handInName('lab', 'pdf', 'C:\\Users\\me\\my lab.yaml')).toBe('my-lab-report.pdf');
    expect(handInName('lab', 'md', '제목없음.yaml')).toBe('제목없음-report.md');
    expect(handInName('lab', 'html')).toBe('lab-report.html');
  });
});

const st = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({ ioRunning: 'Connecting', sqlRunning: 'Yes', secondsBehind: null, sourceHost: '10.0.0.31', sourcePort: 3306, lastIoError: '', lastSqlError: '', sqlState: '', receivedGtids: '0-1-57', executedGtids: '', usingGtid: true, raw: {}, ...over });

/** db-primary-down on the fast (semi-sync) lab as the runner records a refusal: the real decision and drill expectations. */
function refusedReport(over: Partial<ReplicaStatus> = {}): DrillReport {
  const ctx = makeCtx(loadLab('vmware-3tier-ha-fast'), 'mariadb');
  const ss = parseSemiSync(FELL_BACK)!;
  const d = promotionDecision({ status: st(over), applied: '0-1-57', received: '0-1-57', primaryLast: '0-1-60', semiSyncAtFault: ss });
  const def = DRILL_DEFS['db-primary-down'];
  const m: DrillMeasurements = { outageMs: 0, requests: 100, failed: 40, failedPct: 40, inFlightAtFault: 1, failedAfterFault: 39, latency: { p50: 3, p95: 9, p99: 12, max: 1000 }, rowsAcknowledged: 30, rowsLost: 0, semiSyncAtFault: { enabled: ss.enabled, active: ss.active, clients: ss.clients, waitPoint: ss.waitPoint, timeoutMs: ss.timeoutMs, yesTx: ss.yesTx, noTx: ss.noTx }, transactionsLost: d.missingTransactions };
  const expectations = def.expectations({ ctx, refused: d.reasons } as unknown as DrillEnv, m);
  return {
    id: '2026-12-01T01-00-00-000Z-db-primary-down', lab: 'vmware-3tier-ha-fast', drill: 'db-primary-down', title: render('en', def.title), titleMsg: def.title, provider: 'linux', hypothesis: 'h', startedAt: '2026-12-01T01:00:00.000Z', endAt: 20_000,
    steadyState: [check(msg('drill.check.vmsRunning'), true, msg('drill.detail.vmsRunning', { count: 6 }))], measurements: m, expectations, verdict: 'failed', verdictText: 'x', notes: [], noteMsgs: [msg('drill.note.promotionRefused', { node: 'db2', reasons: joinMsgs(d.reasons) })], events: [], requests: [],
  };
}

describe('the Drills screen’s model of a refused promotion', () => {
  it('semi-sync had fallen back to async: refused for lost rows, forcible, 3 transactions, reasons in en and ko', () => {
    const r = promotionRefusal(refusedReport())!;
    expect(r).toMatchObject({ fellBack: true, forcible: true, transactionsLost: 3, semiSync: { enabled: true, active: false, noTx: 3, timeoutMs: 1000 } });
    expect(r.reasons.map((m) => m.code)).toEqual(['drill.promo.refuseLoss']);
    expect(render('en', r.reasons[0]!)).toMatch(/semi-sync had fallen back to async before the fault/);
    expect(render('ko', r.reasons[0]!)).toMatch(/반동기 복제가 비동기로 전환되어 있었음/);
  });

  it('a stopped SQL thread is not forcible (forcing never overrides it), and a passed run is no refusal', () => {
    const r = promotionRefusal(refusedReport({ sqlRunning: 'No', lastSqlError: 'Duplicate entry' }))!;
    expect(r.forcible).toBe(false);
    expect(r.reasons.map((m) => m.code)).toEqual(['drill.promo.sqlStopped', 'drill.promo.refuseLoss']);
    const passed = refusedReport();
    passed.expectations = passed.expectations.map((c) => ({ ...c, ok: true }));
    expect(promotionRefusal(passed)).toBeUndefined();
  });

  it('reads a report written before the catalog from its English detail', () => {
    const old = refusedReport();
    old.expectations = old.expectations.map(({ nameMsg: _n, detailMsg: _d, ...c }) => c);
    expect(promotionRefusal(old)).toMatchObject({ reasons: [], forcible: true, fellBack: true, detail: expect.stringMatching(/^refused: .*--force-promotion/) });
  });

  it('finds the newest db-primary-down report in a newest-first list; flattens joined reasons', () => {
    const s = (id: string, drill: string) => ({ id, drill, title: '', verdict: 'failed' as const, startedAt: '', verdictText: '' });
    expect(lastPromotionReport([s('3', 'app-down'), s('2', 'db-primary-down'), s('1', 'db-primary-down')])?.id).toBe('2');
    expect(lastPromotionReport([])).toBeUndefined();
    expect(flattenJoin(joinMsgs([msg('drill.promo.noGtid'), msg('drill.promo.whyAsync'), msg('drill.promo.stateUnknown')])).map((m) => m.code)).toEqual(['drill.promo.noGtid', 'drill.promo.whyAsync', 'drill.promo.stateUnknown']);
    expect(flattenJoin(joinMsgs([]))).toEqual([]);
  });
});

describe('the monitor reads semi-sync on the primary', () => {
  const resolved = loadLab('vmware-3tier-ha-fast');
  const ctx = makeCtx(resolved, 'mariadb');
  const semiQuery = (o: { stdin?: string | Buffer }) => typeof o.stdin === 'string' && o.stdin.includes('rpl_semi_sync_');

  it('pollSemiSync: fallen back to async, with its timeout and counters; a primary that does not answer says so', async () => {
    const pool = new ScriptedGuestPool(resolved);
    pool.onExec((_vm, _argv, o) => (semiQuery(o) ? ok(FELL_BACK) : undefined));
    expect(await pollSemiSync(ctx, (n) => pool.get(n))).toEqual({ node: 'db-master', status: { enabled: true, active: false, clients: 0, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 12, noTx: 3 } });
    const down = await pollSemiSync(ctx, () => Promise.reject(new Error('connect ECONNREFUSED 192.168.30.31:22')));
    expect(down).toEqual({ node: 'db-master', error: 'connect ECONNREFUSED 192.168.30.31:22' });
  });

  it('LabMonitor puts it in the state and in a delta when it changes; applyDelta folds it', async () => {
    const pool = new ScriptedGuestPool(resolved);
    let out = FELL_BACK.replace('Rpl_semi_sync_master_status\tOFF', 'Rpl_semi_sync_master_status\tON').replace('master_clients\t0', 'master_clients\t1');
    pool.onExec((_vm, _argv, o) => (semiQuery(o) ? ok(out) : undefined));
    const m = new LabMonitor({ ctx, pool, probeUrl: 'http://127.0.0.1:9/', intervals: { vip: 1000, probe: 1000, nodes: 1000, replication: 10, alerts: 1000 } });
    try {
      m.start();
      await vi.waitFor(() => expect(m.state().semiSync?.status?.active).toBe(true), { timeout: 3000, interval: 5 });
      const snap = m.snapshot();
      expect(snap.semiSync).toMatchObject({ node: 'db-master', status: { enabled: true, active: true, clients: 1 } });
      out = FELL_BACK;
      let d = m.delta();
      await vi.waitFor(() => {
        d = m.delta() ?? d;
        expect(d?.semiSync?.status?.active).toBe(false);
      }, { timeout: 3000, interval: 5 });
      expect(applyDelta({ ...snap, seq: d!.seq - 1 }, d!)?.semiSync?.status).toMatchObject({ enabled: true, active: false, noTx: 3 });
    } finally {
      await m.stop();
    }
  });

  it('an asynchronous lab is not asked', async () => {
    const seed = loadLab('vmware-3tier-ha');
    const pool = new ScriptedGuestPool(seed);
    let asked = 0;
    pool.onExec((_vm, _argv, o) => void (semiQuery(o) && asked++));
    const m = new LabMonitor({ ctx: makeCtx(seed, 'mariadb'), pool, probeUrl: 'http://127.0.0.1:9/', intervals: { vip: 1000, probe: 1000, nodes: 1000, replication: 10, alerts: 1000 } });
    m.start();
    await new Promise((ok) => setTimeout(ok, 100));
    await m.stop();
    expect(m.state().semiSync).toBeUndefined();
    expect(asked).toBe(0);
  });
});

describe('halab watch shows the same semi-sync state', () => {
  const state = (semiSync: DashboardState['semiSync']): DashboardState => ({ lab: 'l', at: 0, seq: 0, vips: [], probe: { ratePerS: 0, errorPct: 0, p50: 0, p95: 0, recent: [] }, replicas: [], nodes: [], alerts: [], logs: [], errorLogCount: 0, events: [], ...(semiSync ? { semiSync } : {}) });
  afterEach(() => setCliLang('en'));

  it('on, fallen back to async (a warning), unread, in English and Korean; nothing for a lab without it', () => {
    setCliLang('en');
    expect(renderWatch(state({ node: 'db-master', status: { enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000 } }))).toContain('Semi-sync on db-master: on (timeout 1000 ms, 1 semi-sync replica(s), wait point AFTER_SYNC)');
    expect(renderWatch(state({ node: 'db-master', status: { enabled: true, active: false, clients: 0, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, noTx: 3 } }))).toContain('Semi-sync on db-master: FELL BACK TO ASYNC (timeout 1000 ms; 3 commit(s) not acknowledged by a replica)');
    expect(renderWatch(state({ node: 'db-master', error: 'connect ECONNREFUSED' }))).toContain('Semi-sync on db-master: could not be read (connect ECONNREFUSED)');
    expect(renderWatch(state(undefined))).not.toMatch(/Semi-sync/);
    setCliLang('ko');
    expect(renderWatch(state({ node: 'db-master', status: { enabled: true, active: false, clients: 0, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, noTx: 3 } }))).toContain('db-master 서버의 반동기 복제: 비동기로 전환됨 (대기 시간 1000 ms, 복제 서버가 확인하지 않은 커밋 3건)');
  });
});
