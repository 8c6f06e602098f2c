/**
 * `halab watch` and `halab drill` output in Korean (issue 12): the watch
 * screen and the drill's measurement table are rendered by the same
 * functions the commands print with; the refusals come from the real CLI.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { measurementRows, renderWatch } from '../../src-main/cli/commands/drill';
import { setCliLang } from '../../src-main/cli/lang';
import { run } from '../../src-main/exec/runner';
import type { DashboardState } from '../../src-main/shared/monitor/types';
import { ROOT } from '../helpers/paths';

const HANGUL = /[\uac00-\ud7a3]/;
/** Words the Korean screen keeps: names, units and technical terms. */
const KEEP = /^(seed|HA|Lab|Studio|VIP|IO|SQL|CPU|MASTER|BACKUP|FAULT|STOP|Yes|No|ms|web|lb|master|slave|app|db|req|p50|p95|p99|VRRP|Ctrl)$/;
const englishWords = (text: string) => (text.match(/[A-Za-z]{3,}/g) ?? []).filter((w) => !KEEP.test(w));

const state: DashboardState = {
  lab: 'seed',
  at: Date.UTC(2026, 0, 1, 3, 4, 5),
  seq: 1,
  vips: [{ name: 'web', address: '192.168.10.100', holders: ['lb-slave'], members: [{ node: 'lb-master', priority: 150, state: 'FAULT' }, { node: 'lb-slave', priority: 100, state: 'MASTER' }] }],
  probe: { url: 'http://192.168.10.100/', recent: [{ at: 1, status: 200, ms: 3, servedBy: 'app1' }], ratePerS: 9.5, errorPct: 0, p50: 3, p95: 7 } as DashboardState['probe'],
  replicas: [{ node: 'db-slave', source: 'db-master', ioRunning: 'Yes', sqlRunning: 'Yes', secondsBehind: 0, readOnly: true, healthy: true }],
  nodes: [{ name: 'lb-master', up: false }, { name: 'lb-slave', up: true, cpuPct: 4, memPct: 30, diskPct: 20 }],
  alerts: [{ name: 'VipMoved', instance: 'lb-slave' } as DashboardState['alerts'][number]],
  logs: [],
  errorLogCount: 2,
  events: [{ at: Date.UTC(2026, 0, 1, 3, 4, 0), kind: 'vm-down', subject: 'lb-master', message: 'lb-master stopped answering' }],
};

afterEach(() => setCliLang('en'));

describe('halab watch and drill in Korean', () => {
  it('renders the watch screen in Korean, and in English as before', () => {
    setCliLang('ko');
    const ko = renderWatch(state);
    expect(ko).toContain('(멈추려면 Ctrl-C)');
    expect(ko).toContain('VIP를 거친 요청: 초당 9.5건, 오류 0%, p50 3 ms, p95 7 ms, 마지막 응답 서버 app1');
    expect(ko).toMatch(/복제 서버\s+IO\s+SQL\s+지연\s+읽기 전용\s+오류/);
    expect(ko).toMatch(/lb-master\s+멈춤/);
    expect(ko).toContain('경고: VipMoved@lb-slave');
    expect(ko).toContain('이벤트 (오류 로그 2줄):');
    expect(ko).not.toContain('lb-master stopped answering');
    expect(ko).not.toMatch(/\b(AM|PM)\b/);
    const lines = ko.split('\n').filter((l) => englishWords(l.replace(/VipMoved|[\w-]+@[\w-]+/g, '')).length > 0);
    expect(lines).toEqual([]);
    setCliLang('en');
    const en = renderWatch(state);
    expect(en).toContain('Through the VIP: 9.5 req/s, 0% errors, p50 3 ms, p95 7 ms, last from app1');
    expect(en).toContain('Events (error log lines: 2):');
  });

  it('names the measurements as the report does, in Korean', () => {
    setCliLang('ko');
    const rows = measurementRows({ measurements: { detectionMs: 1200, vipMoveMs: 3400, masterDownIntervalMs: 3600, firstSuccessAfterFaultMs: 3500, failed: 3, requests: 400, failedPct: 0.75, latency: { p50: 3, p95: 9, p99: 20, max: 50 }, rowsAcknowledged: 200, rowsLost: 0 } as never });
    expect(rows[0]).toEqual(['감지까지 걸린 시간', '1200 ms']);
    expect(rows.every(([name]) => HANGUL.test(name!))).toBe(true);
  });

  it('refuses an unknown drill and a lab that is not up, in Korean', { timeout: 60_000 }, async () => {
    const env = { NO_COLOR: '1', LANG: '', LC_ALL: '', LC_MESSAGES: '', HALAB_LABS_DIR: join(ROOT, 'tests', '.no-such-labs') };
    const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { okExitCodes: [0, 1, 2, 3], cwd: ROOT, env });
    const unknown = await halab('--lang', 'ko', 'drill', 'lab-blueprints/vmware-3tier-ha.yaml', 'lb-master-dwn');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^오류: 알 수 없는 훈련 "lb-master-dwn"입니다\. 혹시 "lb-master-down"인가요\? 훈련 목록: lb-master-down, /);
    const notUp = await halab('--lang', 'ko', 'watch', 'lab-blueprints/vmware-3tier-ha.yaml', '--once');
    expect(notUp.exitCode).toBe(3);
    expect(notUp.stderr).toBe('"vmware-3tier-ha" 랩은 이 컴퓨터에서 실행 중이 아닙니다. 먼저 "halab up lab-blueprints/vmware-3tier-ha.yaml" 명령을 실행하세요.\n');
  });
});
