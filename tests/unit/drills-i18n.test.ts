/**
 * Drill texts through the message catalog, and the objectives: every drill's
 * title, hypothesis, fault, checks and the runner's verdicts render in
 * English and Korean (the Korean ones in Hangul, with no placeholder or
 * English sentence left); RTO/RPO against the objectives, met or missed;
 * the availability estimate with and without the student's failure rate;
 * the timeline's events in Korean; the objectives in the blueprint (schema,
 * warnings, plan line); and a Korean drill report with no English sentence.
 */
import { describe, expect, it } from 'vitest';
import { DRILL_DEFS, type DrillEnv } from '../../src-main/drills/catalog';
import { joinMsgs } from '../../src-main/drills/drill-kit';
import { renderHtmlReport, renderMarkdownReport } from '../../src-main/drills/report-render';
import { computePlan } from '../../src-main/shared/blueprint/plan';
import type { DrillName } from '../../src-main/shared/blueprint/schema';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { check, judgeObjective, judgeObjectives, lossToMs, measureRequests, type DrillMeasurements, type DrillReport, type DrillRequest } from '../../src-main/shared/drills/report';
import { availabilityEstimate, durationMsg, eventText, objectiveRows, objectivesStatedMsg, secondsMsg } from '../../src-main/shared/drills/report-text';
import { msg, render, type Lang, type Message } from '../../src-main/shared/i18n';
import { loadLab, makeCtx } from '../golden/configs/support/render';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../golden/configs/support/render';
import { englishSentences } from '../helpers/english';

const HANGUL = /[\uac00-\ud7a3]/;

const en = (m: Message) => render('en', m);
const ko = (m: Message) => render('ko', m);

function bothLanguages(m: Message, what: string): void {
  const e = en(m);
  const k = ko(m);
  expect(e, what).not.toMatch(/\{\w+\}/);
  expect(k, what).not.toMatch(/\{\w+\}/);
  expect(e, what).not.toMatch(HANGUL);
  expect(k, `${what}: ${k}`).toMatch(HANGUL);
  expect(englishSentences(k), `${what}: ${k}`).toEqual([]);
}

const fast = loadLab('vmware-3tier-ha-fast');
const ctx = makeCtx(fast, 'mariadb');
const base: DrillMeasurements = { outageMs: 3700, requests: 300, failed: 74, failedPct: 24.67, inFlightAtFault: 1, failedAfterFault: 73, latency: { p50: 8, p95: 16, p99: 20, max: 1000 }, rowsAcknowledged: 58, rowsLost: 0, promotedMs: 1800, firstSuccessAfterFaultMs: 3760, vipMoveMs: 3650, vipBackMs: 2400, masterDownIntervalMs: 3609 };
const MINE: DrillName[] = ['lb-master-down', 'lb-nginx-stop', 'lb-keepalived-stop', 'app-down', 'db-primary-down', 'split-brain', 'maintenance'];

describe('drill texts in English and Korean', () => {
  it('every registered drill has a title in both languages', () => {
    for (const [name, def] of Object.entries(DRILL_DEFS)) {
      expect(def.name).toBe(name);
      bothLanguages(def.title, `${name} title`);
    }
  });

  for (const name of MINE) {
    it(`${name}: hypothesis and every expectation, passed and failed, render in both`, () => {
      const def = DRILL_DEFS[name];
      bothLanguages(def.hypothesis(ctx), `${name} hypothesis`);
      const env = (refused?: Message[]) => ({ ctx, refused, servedAfterFault: new Set(['app2']), faultAt: 0, monitor: { eventsSince: () => [{ at: 4000, kind: 'vip-split', subject: 'web 192.168.10.100', message: '', data: { holders: ['lb-master', 'lb-slave'] } }] } }) as unknown as DrillEnv;
      const good = def.expectations(env(), { ...base, semiSyncAtFault: { enabled: true, active: true, clients: 1, waitPoint: 'AFTER_SYNC', timeoutMs: 1000, yesTx: 5, noTx: 0 }, transactionsLost: 0 });
      const bad = def.expectations(env([msg('drill.promo.whyAsync')]), { ...base, vipMoveMs: undefined, vipBackMs: undefined, firstSuccessAfterFaultMs: undefined, rowsLost: 2, failedAfterFault: 9, promotedMs: undefined, transactionsLost: 3, promotionForced: true });
      expect(good.length).toBeGreaterThan(0);
      for (const c of [...good, ...bad]) {
        bothLanguages(c.nameMsg!, `${name} check`);
        bothLanguages(c.detailMsg!, `${name} detail`);
        // The English beside the message is the message in English (for JSON readers).
        expect(c.name).toBe(en(c.nameMsg!));
        expect(c.detail).toBe(en(c.detailMsg!));
      }
    });
  }

  it('the runner\'s own texts: steady state, verdicts, notes, progress, promotion reasons', () => {
    const failed = [check(msg('drill.check.vipMoved'), false, msg('drill.detail.vipNeverHeld', { node: 'lb2' })), check(msg('drill.check.requestsSucceed'), false, msg('drill.detail.noSuccess'))];
    const msgs: Message[] = [
      msg('drill.verdict.passed'),
      msg('drill.verdict.failed', { checks: joinMsgs(failed.map((c) => msg('drill.item', { name: c.nameMsg!, detail: c.detailMsg! }))) }),
      msg('drill.verdict.refusedSteady', { checks: msg('drill.itemColon', { name: msg('drill.check.vmsRunning'), detail: msg('drill.detail.notRunning', { nodes: 'lb1' }) }) }),
      msg('drill.verdict.notListed', { drill: 'app-down', drills: msg('drill.none') }),
      msg('drill.verdict.error', { error: msg('drill.error.noVip') }),
      msg('drill.note.notRecovered', { seconds: 30 }),
      msg('drill.note.noDatabase'),
      msg('drill.note.promotionRefused', { node: 'db2', reasons: joinMsgs([msg('drill.promo.notReplica'), msg('drill.promo.noGtid')]) }),
      msg('drill.log.steady'),
      msg('drill.log.primaryStopped', { primary: 'db1', gtid: msg('drill.unknown'), replica: 'db2' }),
      msg('drill.promo.refuseLoss', { loss: msg('drill.promo.loss', { gap: msg('drill.promo.gap', { primary: '0-1-60', received: '0-1-57', missing: 3 }), why: msg('drill.promo.whyFellBack', { clients: 0, noTx: 3 }) }) }),
      msg('drill.detail.replica', { io: 'Yes', sql: 'Yes', behind: 0, gtid: msg('drill.detail.replicaGtid', { gtid: '0-1-9' }), error: '' }),
    ];
    for (const m of msgs) bothLanguages(m, m.code);
    expect(en(msgs[1]!)).toBe('The hypothesis did not hold: VIP moved to the backup (lb2 never held the VIP); requests succeed again (no request succeeded after the fault).');
    expect(ko(msgs[1]!)).toBe('가설이 맞지 않았습니다: VIP가 백업 노드로 옮겨짐 (lb2 노드가 VIP를 한 번도 갖지 못함); 요청이 다시 성공함 (장애 후 성공한 요청이 없음).');
  });

  it('the timeline: the runner\'s events carry their message, the monitor\'s are rebuilt from kind and data', () => {
    const ev = (kind: string, subject: string, message: string, data?: Record<string, unknown>) => ({ at: 0, t: 0, kind, subject, message, data }) as DrillReport['events'][number];
    expect(eventText('ko', ev('drill', 'lb-master-down', 'Fault injected', { msg: msg('drill.ev.fault') }))).toBe('장애 주입');
    expect(eventText('ko', ev('vip-moved', 'web 192.168.20.100', 'VIP 192.168.20.100 is now on lb2 (was lb1)', { vip: 'web', to: 'lb2', from: ['lb1'] }))).toBe('VIP 192.168.20.100 주소가 이제 lb2 노드에 있음 (이전 노드: lb1)');
    expect(eventText('en', ev('vip-moved', 'web 192.168.20.100', '', { vip: 'web', to: 'lb2', from: ['lb1'] }))).toBe('VIP 192.168.20.100 is now on lb2 (was lb1)');
    expect(eventText('ko', ev('keepalived-state', 'lb2', 'lb2 is MASTER for VIP 192.168.20.100', { vip: 'web', state: 'MASTER' }))).toBe('VIP 192.168.20.100: lb2 노드의 상태는 MASTER');
    expect(eventText('ko', ev('probe-failing', 'http://x/', 'Requests through the VIP fail (HTTP no answer)'))).toBe('VIP를 통한 요청이 실패함 (HTTP 응답 없음)');
    expect(eventText('ko', ev('vm-down', 'lb1', 'lb1 does not answer'))).toBe('lb1 노드가 응답하지 않음');
    // A kind this version does not know stays as recorded.
    expect(eventText('ko', ev('pg-leader', 'pg1', 'pg1 leads'))).toBe('pg1 leads');
  });
});

describe('RTO and RPO against the objectives', () => {
  it('met, missed, or not judged (no objective, nothing measured)', () => {
    expect(judgeObjective(3760, 30)).toBe(true);
    expect(judgeObjective(30_000, 30)).toBe(true);
    expect(judgeObjective(30_001, 30)).toBe(false);
    expect(judgeObjective(undefined, 30)).toBeUndefined();
    expect(judgeObjective(3760, undefined)).toBeUndefined();
  });

  it('writes lost become seconds at the drill\'s write rate; 0 lost is 0 s; no rate, no figure', () => {
    expect(lossToMs(0, undefined)).toBe(0);
    expect(lossToMs(10, 5)).toBe(2000);
    expect(lossToMs(3, undefined)).toBeUndefined();
    expect(lossToMs(undefined, 5)).toBeUndefined();
  });

  it('seed 002 (RTO 30 min, RPO 1 h): a 3.8 s failover with nothing lost meets both; a tight objective is missed', () => {
    const seed = { availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 };
    const ok = judgeObjectives(seed, { ms: 3760, basis: msg('drill.rto.firstSuccess') }, { lost: 0, basis: msg('drill.rpo.rows') }, 5);
    expect(ok.rto).toMatchObject({ measuredMs: 3760, objectiveSeconds: 1800, met: true });
    expect(ok.rpo).toMatchObject({ measuredMs: 0, objectiveSeconds: 3600, met: true, lost: 0, writesPerSecond: 5 });
    const tight = judgeObjectives({ rtoSeconds: 2, rpoSeconds: 1 }, { ms: 3760, basis: msg('drill.rto.firstSuccess') }, { lost: 20, basis: msg('drill.rpo.rows') }, 5);
    expect(tight.rto.met).toBe(false);
    expect(tight.rpo).toMatchObject({ measuredMs: 4000, met: false });
    const rows = objectiveRows(tight);
    expect(rows.map((r) => render('ko', r.verdict))).toEqual(['미달', '미달']);
    expect(rows.map((r) => render('en', r.measured))).toEqual(['3760 ms', '4000 ms']);
    expect(render('ko', rows[1]!.how[1]!)).toBe('확인된 쓰기 20건 손실 (초당 확인된 쓰기 5건 기준)');
    const none = judgeObjectives({}, { ms: 3760, basis: msg('drill.rto.firstSuccess') }, { basis: msg('drill.rpo.noDatabase') }, 5);
    expect(objectiveRows(none).map((r) => render('ko', r.verdict))).toEqual(['목표 없음', '목표 없음']);
    expect(render('ko', objectiveRows(none)[1]!.measured)).toBe('측정하지 못함');
  });

  it('states the objectives in the unit they were likely written in', () => {
    expect(render('ko', objectivesStatedMsg({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 }))).toBe('블루프린트에 적힌 목표: 가용성 99.9%, RTO 30분, RPO 1시간.');
    expect(render('en', objectivesStatedMsg({ rtoSeconds: 45 }))).toBe('Objectives stated in the blueprint: RTO 45 s.');
    expect(render('en', objectivesStatedMsg({}))).toMatch(/^The blueprint states no objectives/);
    expect(render('en', secondsMsg(90))).toBe('90 s');
    expect(render('ko', durationMsg(31_536_000))).toBe('8.8시간');
    expect(render('en', durationMsg(45_000))).toBe('45 s');
  });
});

/** A drill report as the runner leaves it: 20 requests a second, a 3.7 s outage from 3 s. */
function report(drill: DrillName, objectives: DrillReport['objectives'], startedAt = '2026-12-01T01:00:00.000Z'): DrillReport {
  const requests: DrillRequest[] = [];
  for (let i = 0; i < 300; i++) {
    const t = i * 50;
    const down = t >= 2980 && t < 6690;
    requests.push({ t, kind: i % 4 === 3 ? 'write' : 'read', status: down ? 0 : 200, ms: down ? 1000 : 6, ok: !down });
  }
  const def = DRILL_DEFS[drill];
  return {
    id: `${startedAt}-${drill}`, lab: 'lb-pair-minimal', drill, title: en(def.title), titleMsg: def.title, provider: 'linux', hypothesis: '', hypothesisMsg: msg('drill.hyp.lb-master-down', { master: 'lb1', backup: 'lb2', vip: '192.168.20.100' }), startedAt, faultAt: 3000, restoreAt: 9000, endAt: 15_000,
    steadyState: [check(msg('drill.check.vmsRunning'), true, msg('drill.detail.vmsRunning', { count: 3 }))],
    fault: '', faultMsg: msg('drill.fault.powerOff', { node: 'lb1', hypervisor: 'linux' }),
    measurements: { ...measureRequests(requests, 3000, 3100), rowsAcknowledged: 70, vipMoveMs: 3650, masterDownIntervalMs: 3609 },
    objectives, expectations: [check(msg('drill.check.vipMoved'), true, msg('drill.detail.vipTook', { node: 'lb2', vip: '192.168.20.100', ms: 3650 }))],
    restore: check(msg('drill.check.restored'), true, msg('drill.detail.restoredIn', { ms: 2400 })),
    verdict: 'passed', verdictText: '', verdictMsg: msg('drill.verdict.passed'), notes: [], noteMsgs: [msg('drill.note.noDatabase')],
    events: [{ at: 0, t: 3040, kind: 'drill', subject: drill, message: 'Fault injected', data: { msg: msg('drill.ev.fault') } }, { at: 0, t: 6650, kind: 'vip-moved', subject: 'web 192.168.20.100', message: 'VIP 192.168.20.100 is now on lb2', data: { to: 'lb2', from: ['lb1'] } }],
    requests,
  };
}

describe('availability estimated from the drills', () => {
  const seed = { availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 };
  const judged = (ms: number, planned = false) => judgeObjectives(seed, { ms, basis: msg('drill.rto.firstSuccess') }, { lost: 0, basis: msg('drill.rpo.rows') }, 5, planned);

  it('measured: the share of the drill windows the service answered; per failure: the worst RTO; the budget the objective allows', () => {
    const a = availabilityEstimate([report('lb-master-down', judged(3760)), report('app-down', judged(120)), report('maintenance', judged(50, true))], seed);
    expect(a.counted).toBe(2);
    expect(a.worstMs).toBe(3760);
    expect(a.worstDrill).toBe('lb-master-down');
    // Two windows of 15 s, each with a ~3.7 s outage (the planned drill is left out).
    expect(a.windowTotalMs).toBe(2 * (299 * 50 + 6));
    expect(a.windowPct).toBeGreaterThan(70);
    expect(a.windowPct).toBeLessThan(80);
    expect(a.budgetMs).toBe(31_536_000);
    expect(a.failuresWithinBudget).toBe(Math.floor(31_536_000 / 3760));
    // No failure rate stated: no yearly figure is claimed, and it says so.
    expect(a.estimatedPct).toBeUndefined();
    const text = a.lines.map((m) => render('ko', m)).join('\n');
    expect(text).toContain('연간 가용성 수치는 내지 않습니다');
    expect(text).toContain('가정:');
    for (const m of a.lines) bothLanguages(m, m.code);
  });

  it('with the student\'s failure rate: downtime per failure × failures a year, against the objective', () => {
    const a = availabilityEstimate([report('lb-master-down', judged(3760))], { ...seed, failuresPerYear: 12 });
    expect(a.estimatedDownMs).toBe(12 * 3760);
    expect(a.estimatedPct).toBe(99.999);
    expect(a.met).toBe(true);
    const slow = availabilityEstimate([report('lb-master-down', judged(3_600_000))], { ...seed, failuresPerYear: 12 });
    expect(slow.met).toBe(false);
    expect(slow.lines.map((m) => render('en', m)).join(' ')).toContain('Against the objective of 99.9 %: missed.');
  });

  it('no drill with a measured recovery: nothing estimated, and it says so', () => {
    const a = availabilityEstimate([], seed);
    expect(a.lines.map((m) => render('en', m))).toEqual(['No drill report has a measured recovery time yet, so availability cannot be estimated.']);
  });
});

describe('a drill report in Korean', () => {
  const r = report('lb-master-down', judgeObjectives({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 }, { ms: 3760, basis: msg('drill.rto.firstSuccess') }, { basis: msg('drill.rpo.noDatabase') }, 4.67));
  for (const lang of ['ko', 'en'] as Lang[]) {
    it(`Markdown and HTML (${lang}) state RTO and RPO against the objectives`, () => {
      const md = renderMarkdownReport(r, { lang });
      const html = renderHtmlReport(r, { lang });
      if (lang === 'ko') {
        expect(md).toContain('## 목표: RTO와 RPO');
        expect(md).toContain('블루프린트에 적힌 목표: 가용성 99.9%, RTO 30분, RPO 1시간.');
        expect(md).toContain('| RTO (서비스가 돌아오기까지 걸린 시간) | 3760 ms | 30분 | ✅ 충족 |');
        expect(md).toContain('| RPO (잃어버린 데이터를 쓰기 시간으로 환산) | 측정하지 못함 | 1시간 | 판정 안 함 |');
        expect(md).toContain('# 훈련 보고서: 로드밸런서 마스터의 전원이 꺼짐');
        expect(md).toContain('| 3040 ms | 장애 주입 |');
        expect(html).toContain('<tr class="met"><td>RTO (서비스가 돌아오기까지 걸린 시간)</td><td>3760 ms</td><td>30분</td><td>✔ 충족</td></tr>');
        expect(englishSentences(md)).toEqual([]);
        expect(englishSentences(html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' '))).toEqual([]);
      } else {
        expect(md).toContain('| RTO (time until the service is back) | 3760 ms | 30 min | ✅ met |');
        expect(md).toContain('- RTO: How it was measured: from the fault to the first successful request through the VIP after it');
      }
    });
  }

  it('a report written before the catalog shows its recorded English', () => {
    const old: DrillReport = { ...report('lb-master-down', undefined), titleMsg: undefined, title: 'Load balancer master loses power', verdictMsg: undefined, verdictText: 'The hypothesis held.', noteMsgs: undefined, notes: ['old note'] };
    const md = renderMarkdownReport(old, { lang: 'ko' });
    expect(md).toContain('# 훈련 보고서: Load balancer master loses power');
    expect(md).toContain('The hypothesis held.');
    expect(md).toContain('- old note');
    expect(md).not.toContain('목표: RTO와 RPO');
  });
});

describe('objectives in the blueprint', () => {
  const text = readFileSync(join(REPO, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8');
  const withObjectives = (o: string) => `${text.trimEnd()}\nobjectives: ${o}\n`;

  it('the fast lab states seed 002\'s objectives and plan shows them', () => {
    expect(fast.lab.objectives).toEqual({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 });
    const plan = computePlan(fast);
    expect(plan.serviceMsgs.map((m) => render('ko', m))).toContain('블루프린트에 적힌 목표: 가용성 99.9%, RTO 30분, RPO 1시간.');
    expect(plan.services).toContain('Objectives stated in the blueprint: availability 99.9 %, RTO 30 min, RPO 1 h.');
  });

  it('refuses values out of range and unknown keys', () => {
    expect(validateBlueprintText(withObjectives('{ availability: 100 }')).ok).toBe(false);
    expect(validateBlueprintText(withObjectives('{ rtoSeconds: -1 }')).ok).toBe(false);
    expect(validateBlueprintText(withObjectives('{ rto: 30 }')).ok).toBe(false);
    const good = validateBlueprintText(withObjectives('{ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600, failuresPerYear: 12 }'));
    expect(good.ok).toBe(true);
    expect(good.resolved!.lab.objectives).toEqual({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600, failuresPerYear: 12 });
  });

  it('warns where the lab cannot meet them: an RTO below VRRP\'s master-down interval', () => {
    const v = validateBlueprintText(withObjectives('{ rtoSeconds: 2 }'));
    expect(v.ok).toBe(true);
    const w = v.issues.find((i) => i.code === 'objective-rto-below-vrrp')!;
    expect(w.severity).toBe('warning');
    expect(w.message).toBe('The RTO of 2 s is shorter than the VRRP master-down interval of the VIP group web (3609 ms): a load balancer failover cannot be that fast.');
    expect(render('ko', w.msg!)).toMatch(HANGUL);
    expect(validateBlueprintText(withObjectives('{ rtoSeconds: 30 }')).issues.some((i) => i.code.startsWith('objective-'))).toBe(false);
  });

  it('warns that RPO 0 needs semi-sync, and that objectives without drills measure nothing', () => {
    const seed = readFileSync(join(REPO, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
    expect(validateBlueprintText(`${seed.trimEnd()}\nobjectives: { rpoSeconds: 0 }\n`).issues.map((i) => i.code)).toContain('objective-rpo-zero-async');
    expect(validateBlueprintText(withObjectives('{ rpoSeconds: 0 }').replace(/^drills:[\s\S]*?(?=^objectives)/m, 'drills: []\n')).issues.map((i) => i.code)).toContain('objective-no-drills');
  });
});
