/**
 * The hand-in lab report (`halab report`): its catalog in both languages,
 * the language choice, the provisioning result read from a journal the real
 * step engine wrote, a drill report made by the real measurement functions
 * and drill definitions on a recorded-style request sequence, HTML/Markdown
 * in Korean and English, and the PDF made by the real CLI through headless
 * Chromium, rasterised with pdftoppm and checked.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { DRILL_DEFS, type DrillEnv } from '../../src-main/drills/catalog';
import { renderHtmlReport, renderMarkdownReport } from '../../src-main/drills/report-render';
import { applySteps, type Step } from '../../src-main/provision/engine';
import { pickLanguage, REPORT_CATALOG, rt, type ReportKey } from '../../src-main/report/catalog';
import { collectHandIn, readJournal, renderHandInHtml, renderHandInMarkdown } from '../../src-main/report/hand-in';
import { bucketize, check, judgeObjectives, masterDownIntervalMs, measureRequests, type DrillReport, type DrillRequest } from '../../src-main/shared/drills/report';
import { msg, render } from '../../src-main/shared/i18n';
import type { MonitorEvent } from '../../src-main/shared/monitor/types';
import { loadLab, makeCtx, REPO } from '../golden/configs/support/render';

const placeholders = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('report catalog', () => {
  it('has every key in English and Korean, non-empty, with the same parameters', () => {
    const en = REPORT_CATALOG.en;
    const ko = REPORT_CATALOG.ko;
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en) as ReportKey[]) {
      expect(en[k].trim(), k).not.toBe('');
      expect(ko[k].trim(), k).not.toBe('');
      expect(placeholders(ko[k]), k).toEqual(placeholders(en[k]));
    }
    // Korean text is Korean: every sentence-like message has Hangul (codes and units aside).
    const ascii = (Object.keys(ko) as ReportKey[]).filter((k) => !/[\uac00-\ud7a3]/.test(ko[k]) && /[a-z]{4,} [a-z]{3,}/i.test(ko[k]));
    expect(ascii).toEqual([]);
  });

  it('takes --lang, else LC_ALL/LC_MESSAGES/LANG, else English; refuses other languages', () => {
    expect(pickLanguage('ko', {})).toBe('ko');
    expect(pickLanguage(undefined, { LANG: 'ko_KR.UTF-8' })).toBe('ko');
    expect(pickLanguage(undefined, { LANG: 'ko_KR.UTF-8', LC_ALL: 'en_US.UTF-8' })).toBe('en');
    expect(pickLanguage(undefined, {})).toBe('en');
    expect(() => pickLanguage('fr', {})).toThrow(/--lang must be en or ko, not "fr"/);
    expect(rt('ko', 'cli.wrote', { file: 'a.pdf' })).toBe('a.pdf을(를) 썼습니다');
  });
});

/**
 * An lb-master-down drill on lb-pair-minimal as a run records it: 20 requests
 * per second through the VIP for 15 s; lb1 powered off at 3000 ms (the
 * command took 120 ms); requests fail until the backup holds the VIP; back
 * on lb1 after the restore at 9000 ms. The measurements, hypothesis and
 * expectations come from the real functions the drill runner uses.
 */
function measuredDrill(startedAt = '2026-11-30T09:00:00.000Z'): DrillReport {
  const lab = loadLab('lb-pair-minimal');
  const ctx = makeCtx(lab, 'mariadb');
  const def = DRILL_DEFS['lb-master-down'];
  const faultAt = 3000;
  const faultEnd = 3120;
  const vipMoveMs = 3650;
  const restoreAt = 9000;
  const requests: DrillRequest[] = [];
  for (let i = 0; i < 300; i++) {
    const t = i * 50;
    const down = t >= faultAt - 20 && t < faultAt + vipMoveMs + 40;
    const kind = i % 4 === 3 ? 'write' : 'read';
    const ms = down ? 1000 : 4 + ((i * 7919) % 17);
    requests.push({ t, kind, status: down ? 0 : kind === 'write' ? 201 : 200, ms, ok: !down, servedBy: down ? undefined : 'app1', no: !down && kind === 'write' ? `R-${String(i).padStart(5, '0')}` : undefined });
  }
  const events: (MonitorEvent & { t: number })[] = [
    { at: 0, t: faultAt + 40, kind: 'probe-failing', subject: 'web', message: 'requests through 192.168.20.100 fail' },
    { at: 0, t: faultAt + 900, kind: 'vm-down', subject: 'lb1', message: 'lb1 does not answer' },
    { at: 0, t: faultAt + vipMoveMs, kind: 'vip-moved', subject: 'web', message: 'VIP 192.168.20.100 is now on lb2' },
    { at: 0, t: faultAt + vipMoveMs + 60, kind: 'probe-ok', subject: 'web', message: 'requests through 192.168.20.100 succeed' },
    { at: 0, t: restoreAt + 2400, kind: 'vip-moved', subject: 'web', message: 'VIP 192.168.20.100 is now on lb1' },
  ];
  const measurements = {
    ...measureRequests(requests, faultAt, faultEnd),
    detectionMs: 40,
    vipMoveMs,
    vipBackMs: 2400,
    masterDownIntervalMs: masterDownIntervalMs(lab.lab.services.vips[0]!.advertInterval, 100),
    rowsAcknowledged: requests.filter((r) => r.ok && r.kind === 'write').length,
  };
  const expectations = def.expectations({ ctx } as unknown as DrillEnv, measurements);
  const failed = expectations.filter((c) => !c.ok);
  return {
    id: `${startedAt.replace(/[:.]/g, '-')}-lb-master-down`,
    lab: lab.name,
    drill: 'lb-master-down',
    title: render('en', def.title),
    titleMsg: def.title,
    provider: 'linux',
    hypothesis: render('en', def.hypothesis(ctx)),
    hypothesisMsg: def.hypothesis(ctx),
    startedAt,
    faultAt,
    restoreAt,
    endAt: 15_000,
    steadyState: [check(msg('drill.check.vmsRunning'), true, msg('drill.detail.vmsRunning', { count: 3 })), check(msg('drill.check.vipOnMaster'), true, msg('drill.detail.vipHeldBy', { vip: '192.168.20.100', nodes: 'lb1' }))],
    fault: 'hard power-off of lb1 through the linux hypervisor',
    faultMsg: msg('drill.fault.powerOff', { node: 'lb1', hypervisor: 'linux' }),
    measurements,
    objectives: judgeObjectives({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 }, { ms: measurements.firstSuccessAfterFaultMs, basis: msg('drill.rto.firstSuccess') }, { basis: msg('drill.rpo.noDatabase') }, 15),
    expectations,
    restore: check(msg('drill.check.restored'), true, msg('drill.detail.restoredIn', { ms: 2400 })),
    verdict: failed.length ? 'failed' : 'passed',
    verdictText: failed.length ? 'The hypothesis did not hold.' : 'The hypothesis held: every expectation was met.',
    verdictMsg: failed.length ? msg('drill.verdict.failed', { checks: '' }) : msg('drill.verdict.passed'),
    notes: ['This lab has no database: the app keeps reservations in memory, so lost rows are not counted.'],
    noteMsgs: [msg('drill.note.noDatabase')],
    events,
    requests,
  };
}

/** A lab folder as `halab up` and `halab drill` leave it: state, a journal written by the real engine, reports. */
async function labFolder(root: string, opts: { failApp?: boolean; drills?: DrillReport[] } = {}): Promise<string> {
  const dir = join(root, 'lb-pair-minimal');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.json'), JSON.stringify({ provider: 'linux', created: '2026-11-30T08:40:00.000Z', blueprint: 'lab-blueprints/lb-pair-minimal.yaml' }));
  const step = (id: string, vm: string, deps: string[], outcome: 'changed' | 'unchanged' | 'fail'): Step => ({
    id, title: `${id.split(':')[0]} ${vm}`, vm, deps,
    run: async () => {
      if (outcome === 'fail') throw new Error(`apt-get install nginx failed on ${vm}: no network`);
      return outcome;
    },
  });
  const steps = ['lb1', 'lb2', 'app1'].flatMap((vm) => [step(`vm:${vm}`, vm, [], 'unchanged'), step(`system:${vm}`, vm, [`vm:${vm}`], 'changed'), step(`packages:${vm}`, vm, [`system:${vm}`], opts.failApp && vm === 'app1' ? 'fail' : 'changed')]);
  steps.push(step('verify:lab', 'lb1', steps.map((s) => s.id), 'changed'));
  const result = await applySteps(steps, { journalPath: join(dir, 'journal.jsonl'), concurrency: 2 });
  expect(result.ok).toBe(!opts.failApp);
  for (const r of opts.drills ?? []) {
    mkdirSync(join(dir, 'reports', r.id), { recursive: true });
    writeFileSync(join(dir, 'reports', r.id, 'report.json'), JSON.stringify(r, null, 2));
  }
  return dir;
}

describe('drill measured on recorded requests', () => {
  const r = measuredDrill();
  it('passes its real expectations, and its reports embed the topology and both charts', () => {
    expect(r.verdict).toBe('passed');
    expect(r.measurements!.failed).toBeGreaterThan(60);
    expect(r.measurements!.masterDownIntervalMs).toBe(3609);
    expect(bucketize(r.requests).length).toBe(30);
    const html = renderHtmlReport(r, { lang: 'ko', topologySvg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" data-topology="1"></svg>' });
    expect(html).toContain('data-topology="1"');
    expect(html).toContain('aria-label="VIP를 통한 요청"');
    expect(html).toContain('aria-label="지연 시간 (0.5초마다 p95)"');
    expect(html).toContain('@media print');
    expect(html).toContain('<html lang="ko">');
    expect(html).toContain('통과');
    const md = renderMarkdownReport(r, { lang: 'ko' });
    expect(md).toContain('# 훈련 보고서: 로드밸런서 마스터의 전원이 꺼짐');
    expect(md).toMatch(/!\[VIP를 통한 요청\]\(data:image\/svg\+xml;base64,/);
    const chart = Buffer.from(/!\[VIP를 통한 요청\]\(data:image\/svg\+xml;base64,([^)]+)\)/.exec(md)![1]!, 'base64').toString('utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart).toContain('fill="#d64545"');
  });
});

describe('hand-in lab report', () => {
  const resolved = loadLab('lb-pair-minimal');

  it('reads the last result of every step from the journal the engine wrote, including failures', async () => {
    const root = mkdtempSync(join(tmpdir(), 'halab-report-'));
    const dir = await labFolder(root, { failApp: true });
    const steps = readJournal(readFileSync(join(dir, 'journal.jsonl'), 'utf8'));
    expect(steps.find((s) => s.step === 'packages:app1')).toMatchObject({ status: 'failed', vm: 'app1', title: 'packages app1', error: expect.stringMatching(/no network/) });
    expect(steps.find((s) => s.step === 'verify:lab')?.status).toBe('skipped');
    expect(steps.find((s) => s.step === 'vm:lb1')?.status).toBe('done');
    expect(steps.find((s) => s.step === 'system:lb1')?.status).toBe('changed');
    // A crash leaves a start without an end, and a cut line.
    const crashed = readJournal(`${readFileSync(join(dir, 'journal.jsonl'), 'utf8')}{"type":"start","step":"vm:lb1","title":"vm lb1","vm":"lb1","at":99999999999999}\n{"type":"do`);
    expect(crashed.find((s) => s.step === 'vm:lb1')?.status).toBe('interrupted');
    const h = await collectHandIn({ file: 'lab-blueprints/lb-pair-minimal.yaml', resolved, labDir: dir, version: '0.1.0', now: new Date('2026-11-30T10:00:00Z') });
    const html = renderHandInHtml(h, 'ko');
    expect(html).toContain('마지막 실행이 끝나지 않았습니다');
    expect(html).toContain('apt-get install nginx failed on app1: no network');
    expect(html).toContain('이 실습에서 아직 훈련을 실행하지 않았습니다');
  });

  it('says "not provisioned yet" with what to do when the lab folder has no journal', async () => {
    const h = await collectHandIn({ file: 'lab-blueprints/lb-pair-minimal.yaml', resolved, labDir: join(tmpdir(), 'halab-none', 'lb-pair-minimal'), version: '0.1.0' });
    expect(h.provision).toBeUndefined();
    expect(renderHandInMarkdown(h, 'en')).toContain('Not provisioned yet: this computer has no record of the lab "lb-pair-minimal"');
    expect(renderHandInMarkdown(h, 'en')).toContain('Run "halab up lab-blueprints/lb-pair-minimal.yaml" and make the report again.');
    expect(renderHandInHtml(h, 'ko')).toContain('아직 프로비저닝하지 않았습니다');
  });

  it('puts topology, IP table, resources, provisioning and every drill (oldest first) into one Korean document', async () => {
    const root = mkdtempSync(join(tmpdir(), 'halab-report-'));
    const later = measuredDrill('2026-11-30T09:30:00.000Z');
    const dir = await labFolder(root, { drills: [later, measuredDrill()] });
    mkdirSync(join(dir, 'reports', 'broken'), { recursive: true });
    writeFileSync(join(dir, 'reports', 'broken', 'report.json'), '{not json');
    const h = await collectHandIn({ file: 'lab-blueprints/lb-pair-minimal.yaml', resolved, labDir: dir, hostMemoryMiB: 16384, version: '0.1.0', now: new Date('2026-11-30T10:00:00Z') });
    expect(h.skippedReports).toEqual([join(dir, 'reports', 'broken', 'report.json')]);
    expect(h.drills.map((d) => d.startedAt)).toEqual(['2026-11-30T09:00:00.000Z', '2026-11-30T09:30:00.000Z']);
    const html = renderHandInHtml(h, 'ko');
    for (const s of ['실습 보고서', '구성도', '네트워크 (VMnet)', '가상 머신과 주소', '자원', '마지막 프로비저닝 결과', '장애 조치 훈련', '모든 단계가 끝났습니다', '훈련 보고서 2개']) expect(html, s).toContain(s);
    for (const a of ['192.168.20.11', '192.168.20.12', '192.168.20.21', '192.168.20.0/24']) expect(html).toContain(`<td>${a}</td>`);
    expect(html).toContain('VM 3대, vCPU 3개, 메모리 3 GiB');
    // Objectives (none stated in this lab) and the availability estimated from the two drills, its method named.
    expect(html).toContain('<h3>목표</h3><p>블루프린트에 목표(objectives: availability, rtoSeconds, rpoSeconds)가 없어서 측정값만 보여 줍니다.</p>');
    expect(html).toContain('<h3 id="availability">훈련으로 추정한 가용성</h3>');
    expect(html).toMatch(/장애 한 번당 중단 시간: 측정된 복구 시간\(RTO\) 중 가장 긴 값은 \d+ ms입니다/);
    expect(html).toContain('연간 가용성 수치는 내지 않습니다');
    expect((html.match(/<table class="objectives">/g) ?? []).length).toBe(2);
    expect(html).toContain('data-vm="lb1"');
    expect((html.match(/<section class="drill"/g) ?? []).length).toBe(2);
    expect((html.match(/aria-label="VIP를 통한 요청"/g) ?? []).length).toBe(2);
    expect(html).not.toMatch(/<script|src=|href="http/);
    // No English heading or label of ours in the Korean document.
    for (const k of Object.keys(REPORT_CATALOG.en) as ReportKey[]) {
      const en = REPORT_CATALOG.en[k];
      if (/^[A-Z][a-z]+( [a-z]+){2,}/.test(en) && !en.includes('{')) expect(html, k).not.toContain(`>${en}<`);
    }
    const md = renderHandInMarkdown(h, 'en');
    expect(md).toContain('| lb1 | load balancer | 1 | 1 GiB | 20 GiB | ubuntu-22.04 (linked) | ens33 | vmnet8 | 192.168.20.11 |');
    expect(md).toContain('Every step of the last run completed.');
    expect(md).toContain('### Drill report: Load balancer master loses power');
  });

  it('halab report makes a PDF with headless Chromium that pdftoppm renders (page 1 kept for a look)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'halab-report-'));
    await labFolder(root, { drills: [measuredDrill()] });
    const out = join(root, 'lab-report.pdf');
    const env = { NO_COLOR: '1', HALAB_LABS_DIR: root, HALAB_DATA_DIR: join(root, 'data') };
    const r = await run(['node', join(REPO, 'bin/halab.mjs'), 'report', 'lab-blueprints/lb-pair-minimal.yaml', '--lang', 'ko', '--format', 'pdf', '--output', out], { cwd: REPO, env, okExitCodes: [0, 1, 2, 3], timeoutMs: 120_000 });
    expect(r.stderr).toContain('lab-report.pdf을(를) 썼습니다');
    expect(r.exitCode).toBe(0);
    const pdf = readFileSync(out);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await run(['pdftotext', '-layout', out, '-'], { timeoutMs: 60_000 });
    for (const s of ['실습 보고서', '구성도', '192.168.20.11', '마지막 프로비저닝 결과', '훈련 보고서']) expect(text.stdout, s).toContain(s);
    const pages = (await run(['pdfinfo', out])).stdout.match(/Pages:\s+(\d+)/)?.[1];
    expect(Number(pages)).toBeGreaterThanOrEqual(2);
    await run(['pdftoppm', '-png', '-r', '60', '-f', '1', '-l', '2', out, join(root, 'page')], { timeoutMs: 60_000 });
    const pngs = readdirSync(root).filter((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(pngs.length).toBe(2);
    const first = readFileSync(join(root, pngs.sort()[0]!));
    // A4 at 60 dpi: 496 × 702 px.
    expect([first.readUInt32BE(16), first.readUInt32BE(20)]).toEqual([496, 702]);
    // HALAB_REPORT_KEEP=FILE.pdf keeps the PDF to look at.
    if (process.env.HALAB_REPORT_KEEP) writeFileSync(process.env.HALAB_REPORT_KEEP, pdf);
    // Without Chromium: a clear failure with what to do, no file.
    const none = join(root, 'none.pdf');
    const r2 = await run(['node', join(REPO, 'bin/halab.mjs'), 'report', 'lab-blueprints/lb-pair-minimal.yaml', '--format', 'pdf', '--output', none], { cwd: REPO, env: { ...env, HALAB_CHROMIUM: '/nonexistent/chromium' }, okExitCodes: [0, 1, 2, 3] });
    expect(r2.exitCode).toBe(3);
    expect(r2.stderr).toContain('No headless Chromium was found, so no PDF can be made on this computer');
    expect(r2.stderr).toContain('--format html');
    expect(existsSync(none)).toBe(false);
  }, 180_000);
});
