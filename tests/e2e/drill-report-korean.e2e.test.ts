/**
 * A drill report on the Drills screen in the UI's language (issue 12) with
 * its RTO/RPO against the objectives (issue 14): a report.json as the
 * runner leaves it (codes and arguments, made with the real drill
 * definition and measurement functions) sits in the labs folder; in Korean
 * the list, the report view and the exported Markdown read in Korean with
 * no English sentence; switched to English, the same report reads in
 * English. No guests: web mode with the real backend.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_DEFS } from '../../src-main/drills/catalog';
import { topologyLabels } from '../../src-main/report/catalog';
import { toTopologySvg } from '../../src-main/shared/blueprint/topology-svg';
import { check, judgeObjectives, measureRequests, type DrillReport, type DrillRequest } from '../../src-main/shared/drills/report';
import { msg, render } from '../../src-main/shared/i18n';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { englishSentences } from '../helpers/english';
import { openSession, screenshot, type Session } from './support/harness';
import { AppPage, DrillsPage } from './support/pages';

const labsDir = mkdtempSync(join(tmpdir(), 'halab-e2e-reports-'));
process.env.HALAB_LABS_DIR = labsDir;
const ID = '2026-12-01T01-00-00-000Z-lb-master-down';

/** lb-master-down on lb-pair-minimal as the runner records it: a 3.7 s outage from 3 s, nothing stored to lose. */
function writeReport(): DrillReport {
  const resolved = loadLab('lb-pair-minimal');
  const ctx = makeCtx(resolved, 'mariadb');
  const def = DRILL_DEFS['lb-master-down'];
  const requests: DrillRequest[] = [];
  for (let i = 0; i < 300; i++) {
    const t = i * 50;
    const down = t >= 2980 && t < 6690;
    const kind = i % 4 === 3 ? 'write' : 'read';
    requests.push({ t, kind, status: down ? 0 : kind === 'write' ? 201 : 200, ms: down ? 1000 : 6, ok: !down, servedBy: down ? undefined : 'app1' });
  }
  const measurements = { ...measureRequests(requests, 3000, 3100), rowsAcknowledged: 70, vipMoveMs: 3650, vipBackMs: 2400, masterDownIntervalMs: 3609, detectionMs: 40 };
  const expectations = [...def.expectations({ ctx } as never, measurements), check(msg('drill.check.restored'), true, msg('drill.detail.restoredIn', { ms: 2400 }))];
  const hypothesisMsg = def.hypothesis(ctx);
  const r: DrillReport = {
    id: ID, lab: resolved.name, drill: 'lb-master-down', title: render('en', def.title), titleMsg: def.title, provider: 'linux',
    hypothesis: render('en', hypothesisMsg), hypothesisMsg, startedAt: '2026-12-01T01:00:00.000Z', faultAt: 3000, restoreAt: 9000, endAt: 15_000,
    steadyState: [check(msg('drill.check.vmsRunning'), true, msg('drill.detail.vmsRunning', { count: 3 }))],
    fault: 'hard power-off of lb1 through the linux hypervisor', faultMsg: msg('drill.fault.powerOff', { node: 'lb1', hypervisor: 'linux' }),
    measurements,
    objectives: judgeObjectives({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 }, { ms: measurements.firstSuccessAfterFaultMs, basis: msg('drill.rto.firstSuccess') }, { basis: msg('drill.rpo.noDatabase') }, 4.67),
    expectations, restore: expectations.at(-1),
    verdict: 'passed', verdictText: render('en', msg('drill.verdict.passed')), verdictMsg: msg('drill.verdict.passed'),
    notes: [render('en', msg('drill.note.noDatabase'))], noteMsgs: [msg('drill.note.noDatabase')],
    events: [
      { at: 0, t: 3040, kind: 'drill', subject: 'lb-master-down', message: 'Fault injected', data: { msg: msg('drill.ev.fault') } },
      { at: 0, t: 6650, kind: 'vip-moved', subject: 'web 192.168.20.100', message: 'VIP 192.168.20.100 is now on lb2 (was lb1)', data: { vip: 'web', to: 'lb2', from: ['lb1'] } },
    ],
    requests,
  };
  const dir = join(labsDir, resolved.name, 'reports', ID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), JSON.stringify(r, null, 2));
  for (const l of ['en', 'ko'] as const) writeFileSync(join(dir, `topology.${l}.svg`), toTopologySvg(resolved, { labels: topologyLabels(l) }));
  return r;
}

describe('a drill report on the Drills screen, in the UI language', () => {
  let s: Session;
  let app: AppPage;
  let drills: DrillsPage;

  beforeAll(async () => {
    writeReport();
    s = await openSession();
    app = new AppPage(s.page);
    drills = new DrillsPage(s.page);
    await app.open(s.url);
    await app.language('ko');
    await s.page.getByTestId('start-shipped-lb-pair-minimal').click();
    await s.page.getByTestId('vm-lb1').waitFor();
  });
  afterAll(async () => {
    await s?.close();
    rmSync(labsDir, { recursive: true, force: true });
  });

  it('in Korean: the list, the report with RTO/RPO against the objectives, and the exported Markdown', async () => {
    const page = s.page;
    await app.go('drills');
    const row = page.getByTestId(`report-${ID}`);
    await row.filter({ hasText: '로드밸런서 마스터의 전원이 꺼짐' }).waitFor();
    await row.filter({ hasText: '가설이 맞았습니다' }).waitFor();
    await row.click();
    const view = page.getByTestId('report-view');
    await view.getByRole('heading', { name: '로드밸런서 마스터의 전원이 꺼짐' }).waitFor();
    await view.getByTestId('objective-rto').filter({ hasText: '충족' }).waitFor();
    await view.getByTestId('objective-rpo').filter({ hasText: '측정하지 못함' }).waitFor();
    await view.getByTestId('report-expectations').getByText('VIP가 백업 노드로 옮겨짐').waitFor();
    await view.getByTestId('report-timeline').getByText('장애 주입').waitFor();
    await view.getByTestId('report-timeline').getByText('VIP 192.168.20.100 주소가 이제 lb2 노드에 있음 (이전 노드: lb1)').waitFor();
    await app.dismissToasts();
    await screenshot(page, '46-drill-report-ko');
    const text = await view.innerText();
    expect(englishSentences(text)).toEqual([]);

    const md = await drills.export('md');
    expect(md.text).toContain('# 훈련 보고서: 로드밸런서 마스터의 전원이 꺼짐');
    expect(md.text).toContain('## 목표: RTO와 RPO');
    expect(md.text).toMatch(/\| RTO \(서비스가 돌아오기까지 걸린 시간\) \| \d+ ms \| 30분 \| ✅ 충족 \|/);
    expect(md.text).toMatch(/!\[lb-pair-minimal\]\(data:image\/svg\+xml;base64,/);
    expect(englishSentences(md.text)).toEqual([]);
  });

  it('switched to English, the same report reads in English', async () => {
    const page = s.page;
    await app.language('en');
    const view = page.getByTestId('report-view');
    await view.getByRole('heading', { name: 'Load balancer master loses power' }).waitFor();
    await view.getByTestId('objective-rto').filter({ hasText: 'met' }).waitFor();
    await view.getByTestId('report-expectations').getByText('VIP moved to the backup').waitFor();
    const md = await drills.export('md');
    expect(md.text).toContain('# Drill report: Load balancer master loses power');
    expect(md.text).toContain('## Objectives: RTO and RPO');
  });
});
