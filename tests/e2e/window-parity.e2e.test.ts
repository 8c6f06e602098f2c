/**
 * What the CLI could do and the window now does too, in Korean and English,
 * through web mode with the real backend (no guests):
 * - the Drills screen after a refused db-primary-down (a report.json as the
 *   runner leaves it, made with the real promotion decision and drill
 *   definition on recorded semi-sync status values): why it was refused, that
 *   semi-sync had fallen back to async, how many transactions the replica
 *   lacked, and "Run again and force promotion" behind a confirm dialog. The
 *   confirmed request is checked for `forcePromotion: true` and then stopped
 *   in the browser: a real drill would probe the lab's VIP, and no lab runs
 *   here (network safety). The backend's handling is unit-tested
 *   (tests/unit/window-parity.test.ts).
 * - "Report to hand in": HTML, Markdown and PDF downloads of `halab report`'s
 *   document for a lab with that one drill report.
 * - `halab graph --format mermaid`: the flowchart from the Picture menu.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSemiSync, type ReplicaStatus } from '../../src-main/configs/mysql-status';
import { DRILL_DEFS, type DrillEnv } from '../../src-main/drills/catalog';
import { joinMsgs } from '../../src-main/drills/drill-kit';
import { promotionDecision } from '../../src-main/drills/promotion';
import { check, type DrillMeasurements, type DrillReport } from '../../src-main/shared/drills/report';
import { msg, render } from '../../src-main/shared/i18n';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { englishSentences } from '../helpers/english';
import { openSession, screenshot, type Session } from './support/harness';
import { AppPage } from './support/pages';

const labsDir = mkdtempSync(join(tmpdir(), 'halab-e2e-parity-'));
process.env.HALAB_LABS_DIR = labsDir;
const LAB = 'vmware-3tier-ha-fast';
const ID = '2026-12-01T01-00-00-000Z-db-primary-down';

/** The primary's semi-sync status just before the fault: enabled, fallen back to async (MariaDB 10.11 batch output). */
const FELL_BACK = 'Variable_name\tValue\nRpl_semi_sync_master_clients\t0\nRpl_semi_sync_master_no_tx\t3\nRpl_semi_sync_master_status\tOFF\nRpl_semi_sync_master_yes_tx\t12\nVariable_name\tValue\nrpl_semi_sync_master_enabled\tON\nrpl_semi_sync_master_timeout\t1000\nrpl_semi_sync_master_wait_point\tAFTER_SYNC\n';

function writeLab(): void {
  const ctx = makeCtx(loadLab(LAB), 'mariadb');
  const ss = parseSemiSync(FELL_BACK)!;
  const status: ReplicaStatus = { ioRunning: 'Connecting', sqlRunning: 'Yes', secondsBehind: null, sourceHost: 'db-master', sourcePort: 3306, lastIoError: '', lastSqlError: '', sqlState: '', receivedGtids: '0-1-57', executedGtids: '', usingGtid: true, raw: {} };
  const d = promotionDecision({ status, applied: '0-1-57', received: '0-1-57', primaryLast: '0-1-60', semiSyncAtFault: ss });
  const def = DRILL_DEFS['db-primary-down'];
  const m: DrillMeasurements = { outageMs: 0, requests: 100, failed: 40, failedPct: 40, inFlightAtFault: 1, failedAfterFault: 39, latency: { p50: 3, p95: 9, p99: 12, max: 1000 }, rowsAcknowledged: 30, rowsLost: 0, semiSyncAtFault: { enabled: ss.enabled, active: ss.active, clients: ss.clients, waitPoint: ss.waitPoint, timeoutMs: ss.timeoutMs, yesTx: ss.yesTx, noTx: ss.noTx }, transactionsLost: d.missingTransactions, gtidPrimaryAtFault: '0-1-60' };
  const expectations = def.expectations({ ctx, refused: d.reasons } as unknown as DrillEnv, m);
  const failed = expectations.filter((c) => !c.ok).map((c) => c.nameMsg!);
  const verdictMsg = msg('drill.verdict.failed', { checks: joinMsgs(failed) });
  const hypothesisMsg = def.hypothesis(ctx);
  const r: DrillReport = {
    id: ID, lab: LAB, drill: 'db-primary-down', title: render('en', def.title), titleMsg: def.title, provider: 'linux', hypothesis: render('en', hypothesisMsg), hypothesisMsg, startedAt: '2026-12-01T01:00:00.000Z', faultAt: 3000, restoreAt: 23_000, endAt: 30_000,
    steadyState: [check(msg('drill.check.vmsRunning'), true, msg('drill.detail.vmsRunning', { count: 6 }))],
    fault: 'x', faultMsg: msg('drill.fault.stopDbRefused', { unit: 'mariadb', primary: 'db-master' }),
    measurements: m, expectations, verdict: 'failed', verdictText: render('en', verdictMsg), verdictMsg,
    notes: [], noteMsgs: [msg('drill.note.promotionRefused', { node: 'db-replica', reasons: joinMsgs(d.reasons) })], events: [], requests: [],
  };
  const dir = join(labsDir, LAB, 'reports', ID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2));
  // The lab was brought up here (Linux lab): the Drills screen lets the student run drills.
  writeFileSync(join(labsDir, LAB, 'lab.json'), JSON.stringify({ provider: 'linux', created: '2026-12-01T00:50:00.000Z' }));
}

describe('the window does what halab drill --force-promotion and halab report do', () => {
  let s: Session;
  let app: AppPage;
  const runs: unknown[] = [];

  beforeAll(async () => {
    writeLab();
    s = await openSession();
    app = new AppPage(s.page);
    await app.open(s.url);
    await app.language('ko');
    await s.page.getByTestId(`start-shipped-${LAB}`).click();
    await s.page.getByTestId('vm-lb-master').waitFor();
    // A confirmed forced run is recorded and stopped here: a real drill would probe the lab's VIP, and no lab runs.
    await s.page.route('**/api/invoke/drill:run', async (route) => {
      runs.push(route.request().postDataJSON());
      await route.abort();
    });
  });
  afterAll(async () => {
    await s?.close();
    rmSync(labsDir, { recursive: true, force: true });
  });

  const download = async (testId: string) => {
    const [d] = await Promise.all([s.page.waitForEvent('download', { timeout: 60_000 }), s.page.getByTestId(testId).click()]);
    return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
  };

  it('in Korean: why the promotion was refused, the forced re-run behind a confirm dialog', async () => {
    const page = s.page;
    await app.go('drills');
    const panel = page.getByTestId('force-promotion');
    await panel.getByText('장애 전에 반동기 복제가 비동기로 전환되어 있었음', { exact: false }).first().waitFor();
    await panel.getByTestId('force-fell-back').filter({ hasText: '확인하지 않은 커밋 3건' }).waitFor();
    await panel.getByTestId('force-count').filter({ hasText: '3건' }).waitFor();
    const run = panel.getByTestId('force-run');
    await expect.poll(() => run.isEnabled(), { timeout: 20_000 }).toBe(true);
    expect(englishSentences(await panel.innerText())).toEqual([]);
    await run.click();
    const dialog = page.getByTestId('dialog-force');
    await dialog.getByText('확인된 그 트랜잭션은 사라집니다', { exact: false }).waitFor();
    await dialog.getByTestId('force-confirm-count').filter({ hasText: '지난 실행에서는 3건이었습니다.' }).waitFor();
    await app.dismissToasts();
    await screenshot(page, '60-force-promotion-ko');
    // Cancel sends nothing.
    await dialog.getByTestId('force-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(runs).toEqual([]);
    await run.click();
    await page.getByTestId('dialog-force').getByTestId('force-confirm').click();
    await expect.poll(() => runs.length).toBe(1);
    expect(runs[0]).toMatchObject({ drill: 'db-primary-down', forcePromotion: true });
    expect(typeof (runs[0] as { text: string }).text).toBe('string');
  });

  it('in Korean: the report to hand in as Markdown, HTML and PDF', async () => {
    const md = await download('hand-in-md');
    expect(md.name).toBe(`${LAB}-report.md`);
    const text = md.bytes.toString('utf8');
    expect(text).toContain('데이터베이스 주 서버');
    expect(text).toContain('192.168.');
    // The drill's own texts in Korean (the blueprint's title and commands stay as the student wrote them).
    expect(text).not.toContain('Database primary fails');
    expect(text).toContain('반동기 복제가 비동기로 전환되어 있었음');
    const html = await download('hand-in-html');
    expect(html.name).toBe(`${LAB}-report.html`);
    expect(html.bytes.toString('utf8')).toMatch(/^<!doctype html>[\s\S]*lang="ko"/i);
    const pdf = await download('hand-in-pdf');
    expect(pdf.name).toBe(`${LAB}-report.pdf`);
    expect(pdf.bytes.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('in English: the same reasons and dialog in English, and the report in English', async () => {
    const page = s.page;
    await app.language('en');
    const panel = page.getByTestId('force-promotion');
    await panel.getByText('semi-sync had fallen back to async before the fault', { exact: false }).first().waitFor();
    await panel.getByTestId('force-count').filter({ hasText: 'Transactions of the primary the replica lacked in that run: 3' }).waitFor();
    await panel.getByTestId('force-run').filter({ hasText: 'Run again and force promotion' }).click();
    const dialog = page.getByTestId('dialog-force');
    await dialog.getByText('Those acknowledged transactions are then lost.', { exact: false }).waitFor();
    await dialog.getByTestId('force-confirm-count').filter({ hasText: 'In the last run that was 3 transactions.' }).waitFor();
    await dialog.getByTestId('force-cancel').click();
    const md = await download('hand-in-md');
    expect(md.bytes.toString('utf8')).toContain('Database primary fails');
    expect(md.bytes.toString('utf8')).not.toContain('데이터베이스 주 서버');
  });

  it('the Mermaid flowchart of halab graph --format mermaid from the Picture menu', async () => {
    await app.go('design');
    await s.page.getByTestId('file-export-picture').click();
    const mmd = await download('file-export-mermaid');
    expect(mmd.name).toMatch(/-topology\.mmd$/);
    const text = mmd.bytes.toString('utf8');
    expect(text).toMatch(/^(flowchart|graph) /m);
    expect(text).toContain('db-master');
  });
});
