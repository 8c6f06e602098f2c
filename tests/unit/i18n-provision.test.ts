/**
 * Provisioning speaks through the message catalog (issue 12): every step of
 * the seed lab has a catalog title that reads as Korean, step errors and skip
 * reasons carry messages the engine forwards, and the Provision screen's
 * progress model renders them in the UI's language.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHypervisor } from '../../src-main/hypervisor/factory';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { labRef } from '../../src-main/lab/lab-home';
import { renderContext } from '../../src-main/lab/render-context';
import { refuseRootForVmware, RootRefusedError } from '../../src-main/lab/runtime';
import { applySteps, type StepEvent } from '../../src-main/provision/engine';
import { buildSteps, buildStepsCount, titled } from '../../src-main/provision/provisioner';
import { vmSpec } from '../../src-main/provision/vm-specs';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { msg, render } from '../../src-main/shared/i18n';
import { errorText, MessageError, messageOf } from '../../src-main/shared/i18n/message-error';
import { joinMessages } from '../../src-main/shared/i18n/message-list';
import { applyStep, logLine, taskText, type StepEvent as UiStepEvent } from '../../src-renderer/src/lib/lab-steps';
import { ROOT } from '../helpers/paths';

const HANGUL = /[\uac00-\ud7a3]/;
/** Technical words a Korean text keeps as they are (program, protocol and product names). */
const TECHNICAL = new Set(['VMnet', 'SSH', 'VIP', 'VRRP', 'ufw', 'IO', 'SQL', 'HTTP', 'AFTER_SYNC', 'SFTP', 'chroot', 'keepalived', 'journalctl', 'systemctl', 'status', 'iptables', 'save', 'grep', 'halab', 'up', 'down']);

/** ASCII words of 3+ letters in `text` that are neither one of `names` nor a technical word. */
function englishWords(text: string, names: string[]): string[] {
  let rest = text;
  for (const n of [...names].sort((a, b) => b.length - a.length)) rest = rest.split(n).join(' ');
  return (rest.match(/[A-Za-z_]{3,}/g) ?? []).filter((w) => !TECHNICAL.has(w));
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('provisioning step titles from the catalog', () => {
  it('gives every step of the seed lab a title message that reads as Korean, and keeps the English title', async () => {
    const text = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
    const resolved = validateBlueprintText(text).resolved!;
    expect(resolved).toBeDefined();
    const root = mkdtempSync(join(tmpdir(), 'halab-i18n-prov-'));
    dirs.push(root);
    const hv = createHypervisor('linux');
    const lab = labRef(resolved.name, root);
    const ctx = await renderContext(hv, lab, resolved);
    const pool = new GuestPool({ hv, lab, resolved, key: { privateKey: '', publicKey: 'ssh-ed25519 AAAA test', path: join(root, 'key') } as never });
    const steps = buildSteps({ hv, lab, resolved }, ctx, pool, [], 'ssh-ed25519 AAAA test');
    expect(steps.length).toBe(buildStepsCount(resolved, 'all', 'linux'));
    for (const id of ['net:vmnet8', 'vm:db-slave:create', 'vm:lb-master:firewall', 'db:db-master:init', 'db:db-slave:replica', 'lab:verify']) expect(steps.map((s) => s.id)).toContain(id);
    const names = [...resolved.nodes.map((n) => n.hostname), ...resolved.networks.flatMap((n) => [n.name, n.subnet])];
    const bad: string[] = [];
    for (const s of steps) {
      expect(s.titleMsg, s.id).toBeDefined();
      expect(render('en', s.titleMsg!)).toBe(s.title);
      const ko = render('ko', s.titleMsg!);
      if (!HANGUL.test(ko) || englishWords(ko, names).length) bad.push(`${s.id}: ${ko}`);
    }
    expect(bad).toEqual([]);
    expect(render('ko', steps.find((s) => s.id === 'vm:lb-master:packages')!.titleMsg!)).toBe('lb-master의 패키지 설치');
    expect(render('ko', steps.find((s) => s.id === 'lab:verify')!.titleMsg!)).toBe('랩이 제대로 동작하는지 확인');
  });
});

describe('step errors and skip reasons as catalog messages', () => {
  it('forwards a MessageError as errorMsg and names the missing dependency by its title', async () => {
    const events: StepEvent[] = [];
    const r = await applySteps(
      [
        { id: 'vm:db1:packages', ...titled(msg('prov.step.packages', { vm: 'db1' })), deps: [], run: async () => { throw new MessageError(msg('prov.err.offlineMissing', { vm: 'db1', packages: 'mariadb-server' })); } },
        { id: 'vm:db1:firewall', ...titled(msg('prov.step.firewall', { vm: 'db1' })), deps: ['vm:db1:packages'], run: async () => 'changed' },
        { id: 'plain', title: 'plain', deps: [], run: async () => { throw new Error('boom'); } },
      ],
      { onEvent: (e) => events.push(e) },
    );
    const failed = events.find((e) => e.type === 'failed' && e.step === 'vm:db1:packages');
    expect(failed).toMatchObject({ error: expect.stringContaining('the Linux lab base image lacks mariadb-server'), errorMsg: { code: 'prov.err.offlineMissing' } });
    expect(render('ko', (failed as Extract<StepEvent, { type: 'failed' }>).errorMsg!)).toBe('db1: Linux 랩 기본 이미지에 없는 패키지가 있습니다 (mariadb-server). 랩 가상 머신은 인터넷에 연결되지 않습니다. resources/linux-lab/packages.txt에 추가하면 다음 실행 때 이미지를 다시 만듭니다.');
    // A plain error keeps working: no message, its text as before.
    expect(events.find((e) => e.type === 'failed' && e.step === 'plain')).toEqual({ type: 'failed', step: 'plain', vm: undefined, error: 'boom', at: expect.any(Number) });
    const skipped = events.find((e) => e.type === 'skipped') as Extract<StepEvent, { type: 'skipped' }>;
    expect(skipped.reason).toBe('vm:db1:packages did not complete');
    expect(render('ko', skipped.reasonMsg!)).toBe('앞 단계(db1의 패키지 설치)가 끝나지 않음');
    expect(r.failed.find((f) => f.step === 'vm:db1:packages')?.errorMsg?.code).toBe('prov.err.offlineMissing');
  });

  it('forwards message log lines with their English text', async () => {
    const events: StepEvent[] = [];
    await applySteps([{ id: 'a', title: 'a', deps: [], run: async (c) => (c.log(msg('prov.log.wrote', { path: '/etc/hosts' })), c.log('> plain'), 'changed') }], { onEvent: (e) => events.push(e) });
    const logs = events.filter((e) => e.type === 'log');
    expect(logs[0]).toMatchObject({ line: 'wrote /etc/hosts', lineMsg: { code: 'prov.log.wrote' } });
    expect(render('ko', (logs[0] as Extract<StepEvent, { type: 'log' }>).lineMsg!)).toBe('/etc/hosts 파일을 썼습니다');
    expect(logs[1]).not.toHaveProperty('lineMsg');
  });

  it('says in Korean what is wrong and what to do for a missing template, the root rule and a damaged file', () => {
    const node = validateBlueprintText(readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8')).resolved!.nodes[0]!;
    let err: unknown;
    try {
      vmSpec(node, { provider: 'vmware', sshPublicKey: 'k', templates: {} });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/^No VMware template is set for "ubuntu-22\.04" \(used by lb-master\)\. Make one with "halab template create ubuntu-22\.04".*HALAB_TEMPLATE_UBUNTU_22_04\.$/);
    expect(errorText(err, 'ko')).toMatch(/^템플릿 "ubuntu-22\.04"에 맞는 VMware 템플릿이 설정되어 있지 않습니다 \(lb-master 가상 머신이 사용\)\. "halab template create ubuntu-22\.04" 명령으로/);
    expect(errorText(err, 'ko')).toContain('HALAB_TEMPLATE_UBUNTU_22_04 환경 변수를 설정하세요.');
    let root: unknown;
    try {
      refuseRootForVmware('vmware', { uid: 0, env: { SUDO_USER: 'kim' } });
    } catch (e) {
      root = e;
    }
    expect(root).toBeInstanceOf(RootRefusedError);
    expect((root as RootRefusedError).code).toBe('root-refused');
    expect((root as Error).message).toMatch(/^Refusing to bring up a VMware lab as root \(started with sudo by kim\)/);
    expect(errorText(root, 'ko')).toMatch(/^root 권한으로는 VMware 랩을 만들지 않습니다 \(sudo로 실행한 사용자: kim\)/);
    expect(errorText(new Error('plain'), 'ko')).toBe('plain');
  });

  it('joins lists of messages item by item in the reader language', () => {
    const list = joinMessages([msg('prov.drift.ufwInactive'), msg('prov.drift.ruleMissing', { rule: 'allow 22/tcp' })], 'semicolon');
    expect(render('en', msg('prov.err.firewallDiffers', { vm: 'lb1', drift: list }))).toBe('lb1: the firewall still differs from the blueprint after a rebuild: ufw is inactive; rule missing: allow 22/tcp. Look at "ufw status verbose" and "iptables-save" on lb1.');
    expect(render('ko', msg('prov.err.firewallDiffers', { vm: 'lb1', drift: list }))).toBe('lb1: 방화벽을 다시 만든 뒤에도 블루프린트와 다릅니다: ufw가 꺼져 있음; 빠진 규칙: allow 22/tcp. lb1에서 "ufw status verbose"와 "iptables-save" 결과를 확인하세요.');
    expect(messageOf({ msg: { code: 'no.such.code' } })).toBeUndefined();
  });
});

describe('the Provision screen renders step messages in the UI language', () => {
  const ev = (e: Partial<UiStepEvent> & Pick<UiStepEvent, 'type' | 'step' | 'text'>): UiStepEvent => ({ taskId: 't', at: 1, vm: 'db1', ...e });

  it('shows titles, errors and skip reasons in Korean, falling back to the text without a message', () => {
    const start = ev({ type: 'start', step: 'vm:db1:packages', text: 'packages of db1', msg: msg('prov.step.packages', { vm: 'db1' }) });
    let rows = applyStep({}, start, 'ko');
    expect(rows.db1?.current).toBe('db1의 패키지 설치');
    const failed = ev({ type: 'failed', step: 'vm:db1:packages', text: 'db1: the database server did not answer within 60 s.', msg: msg('lab.err.dbSilent', { vm: 'db1', seconds: 60 }) });
    expect(logLine(failed, 'ko', rows.db1?.running['vm:db1:packages'])).toBe('[db1] ✗ db1의 패키지 설치: db1: 데이터베이스 서버가 60초 안에 응답하지 않았습니다.');
    rows = applyStep(rows, failed, 'ko');
    expect(rows.db1?.error).toBe('db1의 패키지 설치: db1: 데이터베이스 서버가 60초 안에 응답하지 않았습니다.');
    expect(applyStep({}, start, 'en').db1?.current).toBe('packages of db1');
    expect(logLine(ev({ type: 'done', step: 's', text: 'changed', msg: msg('prov.done.changed') }), 'ko')).toBe('[db1] ✓ s (변경됨)');
    expect(logLine(ev({ type: 'log', step: 's', text: '> apt-get install' }), 'ko')).toBe('[db1] > apt-get install');
  });

  it('renders task titles, steps and errors from their messages', () => {
    const task = { id: 'x', kind: 'up' as const, lab: 'seed', state: 'failed' as const, title: 'Provision seed', titleMsg: msg('prov.task.up', { lab: 'seed' }), step: 'start db1', stepMsg: msg('prov.step.start', { vm: 'db1' }), error: 'boom' };
    expect(taskText(task, 'title', 'ko')).toBe('seed 랩 프로비저닝');
    expect(taskText(task, 'step', 'ko')).toBe('db1 가상 머신 켜기');
    expect(taskText(task, 'error', 'ko')).toBe('boom');
    expect(taskText(task, 'title', 'en')).toBe('Provision seed');
  });
});
