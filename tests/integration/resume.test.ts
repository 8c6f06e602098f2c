/**
 * A `halab up` killed mid-way (SIGKILL: no chance to clean up) and started
 * again completes the lab; the journal shows where the first run stopped.
 * Then, on the same lab: a real `lb-master-down` drill judged against seed
 * 002's objectives, and the hand-in report made from it in Korean (HTML and
 * Markdown). Real Linux lab, root; never skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBackground } from '../../src-main/exec/runner';
import { journalPath } from '../../src-main/lab/lab-home';
import { linuxLabFixture } from '../helpers/linux-lab-fixture';
import { ROOT } from '../helpers/paths';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { englishSentences } from '../helpers/english';

const fx = linuxLabFixture('lab-blueprints/lb-pair-minimal.yaml');
const { file: FILE, lab, env, halab } = fx;

const doneSteps = (): string[] => {
  const file = journalPath(lab);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; step: string }).filter((e) => e.type === 'done').map((e) => e.step);
};

beforeAll(() => fx.prepare());
afterAll(() => fx.down(), 120_000);

describe('a killed halab up', () => {
  it('resumes: the second run finishes the lab and the VIP answers', async () => {
    const first = spawnBackground(['node', join(ROOT, 'bin/halab.mjs'), 'up', FILE, '--provider', 'linux'], { env });
    // Kill it once some VMs are up but before the lab is complete (bounded wait).
    const until = Date.now() + 240_000;
    while (Date.now() < until && !doneSteps().some((s) => s.endsWith(':ssh'))) await new Promise((ok) => setTimeout(ok, 100));
    first.kill('SIGKILL');
    await first.exited;
    const before = doneSteps();
    expect(before.some((s) => s.endsWith(':ssh'))).toBe(true);
    expect(before).not.toContain('lab:verify');

    const second = await halab('up', FILE, '--provider', 'linux', '--json');
    expect(second.exitCode, second.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(second.stdout.trim().split('\n').at(-1)!);
    expect(result.ok).toBe(true);
    expect(doneSteps()).toContain('lab:verify');
    const r = await fetch('http://192.168.20.100/', { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-served-by')).toBe('app1');
  }, 600_000);
});

describe('a real drill on the resumed lab, reported in Korean', () => {
  // The same lab with seed 002's objectives (availability 99.9 %, RTO 30 min, RPO 1 h): same name, same lab folder.
  const dir = mkdtempSync(join(tmpdir(), 'halab-objectives-'));
  const withObjectives = join(dir, 'lb-pair-minimal.yaml');
  writeFileSync(withObjectives, `${readFileSync(FILE, 'utf8').trimEnd()}\nobjectives: { availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 }\n`);
  let report: DrillReport;

  it('lb-master-down passes, and its report judges the measured RTO and RPO against the objectives', async () => {
    // The lab the test above resumed; a second up changes nothing, and brings the lab up should that test have failed.
    // Its exit code is the test above's concern: the drill's own steady-state checks refuse a lab that is not healthy.
    await halab('up', withObjectives, '--provider', 'linux');
    const r = await halab('drill', withObjectives, 'lb-master-down', '--json');
    expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
    report = JSON.parse(r.stdout) as DrillReport;
    expect(report.verdict, `${report.verdictText}\n${JSON.stringify(report.measurements)}`).toBe('passed');
    // JSON keeps codes and arguments beside the English.
    expect(report.titleMsg).toEqual({ code: 'drill.title.lb-master-down' });
    expect(report.verdictMsg).toEqual({ code: 'drill.verdict.passed' });
    expect(report.expectations.every((c) => c.nameMsg && c.detailMsg)).toBe(true);
    const o = report.objectives!;
    expect(o.objectives).toEqual({ availability: 99.9, rtoSeconds: 1800, rpoSeconds: 3600 });
    // RTO: fault → first success through the VIP, a few seconds here, within 30 min.
    expect(o.rto.measuredMs).toBe(report.measurements!.firstSuccessAfterFaultMs);
    expect(o.rto.measuredMs!).toBeGreaterThan(0);
    expect(o.rto.met).toBe(true);
    // RPO: this lab has no database, so nothing stored could be lost and nothing is judged.
    expect(o.rpo.basis.code).toBe('drill.rpo.noDatabase');
    expect(o.rpo.met).toBeUndefined();
    console.log(`lb-master-down on lb-pair-minimal: RTO ${o.rto.measuredMs} ms (objective 1800 s), VIP moved in ${report.measurements!.vipMoveMs} ms`);
  }, 600_000);

  it('halab report --lang ko: Korean headings, the topology picture, the charts, the objectives verdict, no English sentence', async () => {
    const md = join(dir, 'report.md');
    const html = join(dir, 'report.html');
    for (const [format, out] of [['md', md], ['html', html]]) {
      const r = await halab('report', withObjectives, '--lang', 'ko', '--format', format!, '--output', out!);
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    }
    const m = readFileSync(md, 'utf8');
    const h = readFileSync(html, 'utf8');
    // Kept for a look (never compared): the report a student would hand in.
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(ROOT, 'test-results', 'lab-report-ko.md'), m);
    writeFileSync(join(ROOT, 'test-results', 'lab-report-ko.html'), h);
    for (const heading of ['# 실습 보고서: Load balancer pair (minimal)', '## 1. 구성도', '## 2. 구성 계획', '### 목표', '## 3. 마지막 프로비저닝 결과', '## 4. 장애 조치 훈련', '### 훈련으로 추정한 가용성', '### 훈련 보고서: 로드밸런서 마스터의 전원이 꺼짐', '#### 가설', '#### 측정값', '#### 목표: RTO와 RPO', '#### 기대 결과', '#### 시간순 기록']) expect(m, heading).toContain(`${heading}\n`);
    // The topology picture and both charts, embedded.
    const pictures = [...m.matchAll(/!\[([^\]]*)\]\(data:image\/svg\+xml;base64,([^)]+)\)/g)].map((x) => ({ alt: x[1], svg: Buffer.from(x[2]!, 'base64').toString('utf8') }));
    expect(pictures.map((p) => p.alt)).toEqual(['구성도', 'VIP를 통한 요청', '지연 시간 (0.5초마다 p95)']);
    expect(pictures[0]!.svg).toContain('data-vm="lb1"');
    expect(pictures[1]!.svg).toContain('fill="#2e9d5b"');
    expect(h).toMatch(/<figure class="topology"><svg[^>]*>/);
    expect(h).toContain('aria-label="VIP를 통한 요청"');
    expect(h).toContain('aria-label="지연 시간 (0.5초마다 p95)"');
    // The objectives and the verdict against them.
    expect(m).toContain('블루프린트에 적힌 목표: 가용성 99.9%, RTO 30분, RPO 1시간.');
    expect(m).toMatch(/\| RTO \(서비스가 돌아오기까지 걸린 시간\) \| \d+ ms \| 30분 \| ✅ 충족 \|/);
    expect(m).toContain('| RPO (잃어버린 데이터를 쓰기 시간으로 환산) | 측정하지 못함 | 1시간 | 판정 안 함 |');
    expect(h).toMatch(/<tr class="met"><td>RTO \(서비스가 돌아오기까지 걸린 시간\)<\/td><td>\d+ ms<\/td><td>30분<\/td><td>✔ 충족<\/td><\/tr>/);
    expect(m).toContain('연간 가용성 수치는 내지 않습니다');
    expect(m).toMatch(/장애 한 번당 중단 시간: 측정된 복구 시간\(RTO\) 중 가장 긴 값은 \d+ ms입니다/);
    // No English sentence; the lab's title is the student's own text.
    expect(englishSentences(m.replaceAll('Load balancer pair (minimal)', ''))).toEqual([]);
  }, 120_000);
});
