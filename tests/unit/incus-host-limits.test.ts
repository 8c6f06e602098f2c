/**
 * The kernel limits all unprivileged containers share (kernel keys, inotify
 * instances): how many of the lab's containers they hold, the preflight
 * line, and the refusal before a container that would not fit is started.
 * Debian's defaults held only eight: a class of 3 × 3 containers failed
 * units at random in CI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRoom, containerRoom, hostLimitsLine, readHostLimits, type HostLimits } from '../../src-main/hypervisor/incus/host-limits';
import { HypervisorError } from '../../src-main/hypervisor/types';
import { render } from '../../src-main/shared/i18n';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import { messageOf } from '../../src-main/shared/i18n/message-error';

const debian: HostLimits = { maxKeys: 200, maxKeyBytes: 20000, inotifyInstances: 128 };
/** What scripts/incus/setup.sh sets. */
const raised: HostLimits = { maxKeys: 10000, maxKeyBytes: 2_500_000, inotifyInstances: 131072 };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function procSys(values: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'halab-procsys-'));
  dirs.push(d);
  for (const [path, v] of Object.entries(values)) {
    mkdirSync(join(d, path, '..'), { recursive: true });
    writeFileSync(join(d, path), v);
  }
  return d;
}

describe('incus host limits', () => {
  it('Debian’s defaults hold eight containers (keys the tightest); setup.sh’s, four hundred', () => {
    expect(containerRoom(debian)).toEqual({ room: 8, tightest: 'kernel.keys.maxkeys' });
    expect(containerRoom(raised)).toEqual({ room: 400, tightest: 'kernel.keys.maxkeys' });
    expect(containerRoom({ ...raised, inotifyInstances: 128 })).toEqual({ room: 8, tightest: 'fs.inotify.max_user_instances' });
  });

  it('reads the three limits from /proc/sys, and nothing when one is missing', async () => {
    const full = procSys({ 'kernel/keys/maxkeys': '200\n', 'kernel/keys/maxbytes': '20000\n', 'fs/inotify/max_user_instances': '128\n' });
    expect(await readHostLimits(full)).toEqual(debian);
    expect(await readHostLimits(procSys({ 'kernel/keys/maxkeys': '200\n' }))).toBeUndefined();
  });

  it('preflight: ok with room, an error naming the limit and the fix without, in en and ko', () => {
    const ok = hostLimitsLine(debian, 3, 3);
    expect([ok.id, ok.level, ok.title]).toEqual(['host-limits', 'ok', 'This computer’s kernel limits hold about 8 containers: 3 run now, this lab adds 3']);
    const low = hostLimitsLine(debian, 6, 3);
    expect(low.level).toBe('error');
    const en = checkLineText(low, 'en');
    expect(en.title).toBe('This computer’s kernel limits hold about 8 containers, but 6 run now and this lab adds 3');
    expect(en.detail).toContain('kernel.keys.maxkeys');
    expect(en.fix).toContain('sudo bash scripts/incus/setup.sh');
    expect(hostLimitsLine(debian, 2).title).toBe('This computer’s kernel limits hold about 8 containers: 2 run now');
    expect(hostLimitsLine(debian, 8).level).toBe('warning');
    expect(checkLineText(low, 'ko').title).toBe('이 컴퓨터의 커널 한도로는 컨테이너 약 8개까지만 실행할 수 있는데, 지금 6개가 실행 중이고 이 랩이 3개를 추가합니다');
  });

  it('start: the ninth container is refused before it starts, saying what to do; the eighth starts', () => {
    expect(() => checkRoom('lb1', debian, 7)).not.toThrow();
    let err: unknown;
    try {
      checkRoom('lb1', debian, 8);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HypervisorError);
    expect((err as HypervisorError).code).toBe('bad-state');
    expect((err as HypervisorError).fix).toContain('scripts/incus/setup.sh');
    expect(render('en', messageOf(err)!)).toMatch(/^lb1 was not started: this computer’s kernel limits \(kernel\.keys\.maxkeys\) hold about 8 containers and 8 already run/);
    expect(render('ko', messageOf(err)!)).toContain('lb1을(를) 시작하지 않았습니다');
    expect(() => checkRoom('lb1', raised, 399)).not.toThrow();
  });
});
