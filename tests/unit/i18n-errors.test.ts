/**
 * Backend errors and the VMnet manager's reasons speak through the message
 * catalog (issue 12): each refusal crosses IPC with `msg` beside its English
 * `message`, and renders in English and Korean.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import { EventBus } from '../../src-main/backend/events';
import { BackendError } from '../../src-main/backend/handler-types';
import { fileHandlers } from '../../src-main/backend/handlers/files';
import { LabService } from '../../src-main/backend/lab-service';
import { SettingsStore } from '../../src-main/backend/settings-store';
import { clashOf, wantedSettings, vnetIndex } from '../../src-main/hypervisor/vmware/vmnet-settings';
import { toHypervisorError, VmrunError } from '../../src-main/hypervisor/vmware/vmrun-errors';
import { chooseHypervisor } from '../../src-main/hypervisor/factory';
import { applyNetworking, NetworkingFile } from '../../src-main/hypervisor/vmware/vmnet-linux';
import { msg } from '../../src-main/shared/i18n';
import { render, type Message } from '../../src-main/shared/i18n';
import { errorText } from '../../src-main/shared/i18n/message-error';
import { ROOT } from '../helpers/paths';
import { readFileSync } from 'node:fs';
import { issueText } from '../../src-main/shared/blueprint/issues';
import { zodReason } from '../../src-main/shared/blueprint/reasons';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';

const HANGUL = /[\uac00-\ud7a3]/;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'halab-i18n-err-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The error a promise or function gives. */
async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('no error');
}

describe('backend errors in both languages', () => {
  it('crosses IPC with the English message and the catalog message; both languages render', async () => {
    const backend = createBackend({ mode: 'web', version: 't', dataDir: tmp() });
    const shipped = await backend.invoke('blueprint:read-shipped', { id: 'no-such-lab' });
    expect(shipped.ok).toBe(false);
    if (shipped.ok) return;
    expect(shipped.error).toMatchObject({ code: 'not-found', message: 'There is no shipped blueprint "no-such-lab".', msg: { code: 'be.noShipped', args: { id: 'no-such-lab' } } });
    expect(render('en', shipped.error.msg!)).toBe(shipped.error.message);
    expect(render('ko', shipped.error.msg!)).toBe('기본 제공 블루프린트가 없습니다: "no-such-lab"');

    const unknown = await backend.invoke('no:such' as never, {} as never);
    expect(!unknown.ok && render('ko', unknown.error.msg!)).toBe('알 수 없는 요청입니다: "no:such"');
    const invalid = await backend.invoke('blueprint:read-shipped', { id: 'BAD ID' });
    expect(!invalid.ok && invalid.error.message).toBe('The request "blueprint:read-shipped" was refused: its data is not valid.');
    expect(!invalid.ok && render('ko', invalid.error.msg!)).toBe('요청을 거부했습니다 ("blueprint:read-shipped"): 보낸 데이터가 올바르지 않습니다.');

    // A broken blueprint: the first issue comes along as a message, so it is Korean too.
    const broken = readFileSync(join(ROOT, 'tests/blueprints/invalid/duplicate-address.yaml'), 'utf8');
    const exported = await backend.invoke('blueprint:export', { text: broken, format: 'yaml' });
    expect(!exported.ok && exported.error.message).toMatch(/^The blueprint has errors \(1\); fix them before exporting\. First: /);
    const ko = !exported.ok ? render('ko', exported.error.msg!) : '';
    expect(ko).toMatch(/^블루프린트에 오류가 1개 있어 내보낼 수 없습니다\. 먼저 고치세요\. 첫 번째 오류: .*10\.0\.0\.31 주소는 이미 .*에서 쓰고 있습니다\.$/);
    const up = await backend.invoke('lab:up', { text: broken });
    expect(!up.ok && up.error.code).toBe('invalid-blueprint');
    expect(!up.ok && render('ko', up.error.msg!)).toMatch(/^블루프린트에 오류가 있습니다\. 먼저 고치세요 \(.*주소는 이미/);
    await backend.close();
  });

  it('names the refused setting in Korean (invalid-setting)', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('HALAB_')) delete process.env[k];
    const backend = createBackend({ mode: 'web', version: 't', dataDir: tmp() });
    try {
      const bad = await backend.invoke('settings:set', { sshUser: 'Bad User' });
      expect(!bad.ok && bad.error.message).toMatch(/^The SSH user was not saved: Not a valid Linux user name\./);
      const ko = !bad.ok ? render('ko', bad.error.msg!) : '';
      expect(ko).toMatch(/^SSH 사용자 값을 저장하지 않았습니다: /);
      expect(ko.replace(/^SSH 사용자 값을 저장하지 않았습니다: /, '')).toMatch(HANGUL);
    } finally {
      process.env = saved;
      await backend.close();
    }
  });

  it('lab service and file refusals carry messages; errorText renders them for the CLI', async () => {
    const labs = new LabService(new EventBus(), { dataDir: tmp() });
    const noTask = await errorOf(() => labs.wait('t-1'));
    expect(noTask).toBeInstanceOf(BackendError);
    expect((noTask as BackendError).code).toBe('not-found');
    expect(errorText(noTask, 'en')).toBe('There is no task t-1.');
    expect(errorText(noTask, 'ko')).toBe('작업이 없습니다: t-1');
    const noReport = await errorOf(() => labs.report('seed', 'r1', 'json'));
    expect(errorText(noReport, 'ko')).toBe('seed 랩에 보고서가 없습니다: r1');
    await labs.close();

    const files = fileHandlers(new SettingsStore(tmp()), undefined);
    const web = await errorOf(() => files['file:open']({ path: '/x.yaml' }));
    expect((web as Error).message).toBe('Opening and saving files by path is only available in the desktop app; in the browser use upload and download.');
    expect(errorText(web, 'ko')).toBe('경로로 파일을 열고 저장하는 기능은 데스크톱 앱에서만 됩니다. 브라우저에서는 업로드와 다운로드를 쓰세요.');
    // A plain string still works (older call sites).
    expect(new BackendError('plain', 'x').msg).toBeUndefined();
  });
});

describe('the VMnet manager says why, in both languages', () => {
  const spec = { name: 'vmnet8', type: 'nat' as const, subnet: '192.168.10.0/24', hostAddress: '192.168.10.5', natGateway: '192.168.10.2' };

  it('refuses a host address VMware does not give', () => {
    const e = (() => {
      try {
        wantedSettings(spec, 'linux');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect((e as Error).message).toBe('vmnet8: VMware always gives the host 192.168.10.1, but the blueprint says 192.168.10.5.');
    expect(errorText(e, 'ko')).toBe('vmnet8: VMware에서 호스트 주소는 항상 192.168.10.1입니다. 블루프린트의 값: 192.168.10.5. 블루프린트에서 vmnet8 네트워크의 호스트 주소를 고치세요 (값 192.168.10.1).');
    expect(errorText(e, 'en')).toBe(`${(e as Error).message} ${(e as { fix: string }).fix}`);
    expect(errorText((() => { try { vnetIndex('net9'); } catch (err) { return err; } })(), 'ko')).toBe('VMware 네트워크 이름이 아닙니다: "net9". 블루프린트에서 vmnet2 … vmnet19 같은 이름을 쓰세요.');
  });

  it('explains a vmnet8 clash with both choices', () => {
    const c = clashOf({ ...spec, hostAddress: '192.168.10.1' }, { subnet: '172.16.86.0', netmask: '255.255.255.0', dhcp: true, nat: true });
    expect(c.message).toMatch(/^vmnet8 \(VMware's NAT network\) on this PC is 172\.16\.86\.0\/24 \(DHCP on, NAT on\), but the blueprint wants 192\.168\.10\.0\/24\./);
    expect(render('en', c.msg as Message)).toBe(c.message);
    const ko = render('ko', c.msg as Message);
    expect(ko).toContain('이 PC의 vmnet8(VMware의 NAT 네트워크) 설정은 172.16.86.0/24 (DHCP 켜짐, NAT 켜짐)이고, 블루프린트가 원하는 값은 192.168.10.0/24입니다.');
    expect(ko).toContain('(2) 블루프린트에서 vmnet8의 서브넷을 고칩니다 (새 값 172.16.86.0/24).');
  });
});

describe('format rules, zod and YAML reasons in both languages', () => {
  const invalid = (name: string) => validateBlueprintText(readFileSync(join(ROOT, 'tests/blueprints/invalid', `${name}.yaml`), 'utf8')).issues;

  it('words the format rules of schema.ts in Korean, fix included', () => {
    const schedule = invalid('backup-schedule-newline').find((i) => i.code === 'invalid-format')!;
    expect(schedule.message).toContain('it must be a systemd OnCalendar expression on one line');
    expect(issueText(schedule, 'ko').message).toContain('필요한 형식: 한 줄짜리 systemd OnCalendar 표현식: 영문자, 숫자, 공백과');
    expect(issueText(schedule, 'ko').fix).toBe('"*-*-* 04:00:00"이나 "Mon..Fri 02:30"처럼 쓰세요. 잘못된 문자를 뺀 값: "*-*-* 04:00:00 ExecStartPre /bin/sh -c id".');
    const control = invalid('control-character').find((i) => i.code === 'invalid-format')!;
    expect(issueText(control, 'ko').fix).toMatch(/^제어 문자를 지우세요: "Lab \[31mred"\.$/);
    // Identifiers of one length share a pattern: the rule names no kind rather than a wrong one.
    const user = invalid('db-user-name').find((i) => i.code === 'invalid-format')!;
    expect(user.message).toBe('"user" is the text "app.user"; it must be a name of 1–32 letters, digits and _.');
    expect(issueText(user, 'ko')).toEqual({ message: '"user" 값이 텍스트 "app.user"입니다. 필요한 형식: 이름: 영문자, 숫자, _로 된 1–32자', fix: '이렇게 쓰세요: "app_user".' });
  });

  it("maps the YAML parser's errors to catalog words and keeps its own text in raw", () => {
    const [tab] = validateBlueprintText('apiVersion: halab/v1\nkind: Lab\nmetadata:\n\tname: x\n').issues;
    expect(tab).toMatchObject({ code: 'yaml-syntax', raw: 'Tabs are not allowed as indentation', line: 4 });
    expect(issueText(tab!, 'en').message).toBe('YAML syntax: a tab is used for indentation (YAML indents with spaces)');
    expect(issueText(tab!, 'ko').message).toBe('YAML 문법 오류: 들여쓰기에 탭을 썼습니다 (YAML은 공백으로 들여씁니다)');
    for (const i of invalid('yaml-syntax')) expect(issueText(i, 'ko').message).toMatch(/^YAML 문법 오류: [^A-Za-z]*$/);
  });

  it('carries the reason of a malformed admin source and of zod kinds without an own message', () => {
    const seed = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
    const bad = seed.replace('adminSources: [192.168.10.1/32, 10.0.0.1/32]', 'adminSources: ["10.0.0.300/8"]');
    expect(bad).not.toBe(seed);
    const admin = validateBlueprintText(bad).issues.find((i) => i.path.join('.') === 'services.firewall.adminSources.0');
    expect(admin && issueText(admin, 'ko').message).toBe('관리 접속 허용 대역 "10.0.0.300/8"의 형식이 올바르지 않습니다 ("10.0.0.300": IPv4 주소가 아닙니다).');
    expect(render('ko', zodReason({ code: 'custom', params: { msg: { code: 'fmt.maxPositions', args: { max: 500 } } } }))).toBe('위치는 최대 500개까지');
    expect(render('ko', zodReason({ code: 'not_multiple_of', divisor: 4 }))).toBe('4의 배수여야 합니다');
    expect(render('en', zodReason({ code: 'invalid_key' }))).toBe('this value is not accepted here');
  });
});

describe('the VMware driver says what failed and what to do, in both languages', () => {
  it('wraps a vmrun failure with what was being done, vmrun\'s words and the advice for its kind', () => {
    const e = toHypervisorError(new VmrunError('The file is already in use', 'file-in-use', 'vmrun start x', '', 255), 'Starting lb-master', undefined, msg('hv.what.start', { vm: 'lb-master' }));
    expect(e.message).toBe('Starting lb-master failed: The file is already in use');
    expect(e.fix).toBe('Close the VM (and its template) in the VMware Workstation window, then try again.');
    expect(errorText(e, 'en')).toBe(`${e.message} ${e.fix}`);
    expect(errorText(e, 'ko')).toBe('실패했습니다: lb-master 가상 머신 켜기. vmrun의 응답: The file is already in use VMware Workstation 창에서 이 가상 머신(과 템플릿)을 닫은 뒤 다시 해 보세요.');
  });

  it('says in Korean that no hypervisor can run the lab, and where to read why', async () => {
    const e = await errorOf(() => chooseHypervisor('vmware', { vmrunPath: join(tmp(), 'no-vmrun') }));
    expect((e as Error).message).toMatch(/^No hypervisor can run this lab here\.\n {2}vmware: /);
    expect(errorText(e, 'ko')).toMatch(/^이 컴퓨터에서는 이 랩을 실행할 하이퍼바이저가 없습니다\. "halab doctor"를 실행하면 .*\n {2}vmware: /);
  });

  it('gives the one root command to run when VMnet changes need root', async () => {
    const dir = tmp();
    const e = await errorOf(() => applyNetworking(NetworkingFile.parse('VERSION=1,0\n'), { etcDir: dir, vmwareNetworks: '/bin/false' }, { stageDir: join(dir, 'stage'), elevation: { kind: 'none' } as never, base: null }));
    expect((e as { code?: string }).code).toBe('needs-admin');
    const ko = errorText(e, 'ko');
    expect(ko).toMatch(/^VMware 가상 네트워크를 바꾸려면 root 권한이 한 번 필요합니다 \(비밀번호 없이 쓸 수 있는 sudo도, 데스크톱 세션의 pkexec도 없습니다\)\. .*\n {2}sudo \/bin\/sh .*apply-vmnets\.sh/s);
    expect(errorText(e, 'en')).toBe(`${(e as Error).message} ${(e as { fix: string }).fix}`);
  });
});

describe('SSH to the guests says what failed in both languages', () => {
  it('an SSH that never answers names the VM, the address and what to check', async () => {
    const { connectGuest } = await import('../../src-main/guest/guest');
    const { HostKeyStore } = await import('../../src-main/guest/lab-keys');
    const { freePort } = await import('../helpers/local-sshd');
    const dir = tmp();
    const port = await freePort();
    const e = await errorOf(() => connectGuest({ name: 'lb-master', host: '127.0.0.1', port, user: 'root', privateKey: 'x', hostKeys: new HostKeyStore(dir), waitMs: 300 }));
    expect((e as Error).message).toMatch(new RegExp(`^lb-master: SSH to 127\\.0\\.0\\.1:${port} did not answer within 0 s \\(last error: .*\\)\\. Is the VM running and on that network\\?$`));
    expect(errorText(e, 'ko')).toMatch(new RegExp(`^lb-master: 127\\.0\\.0\\.1:${port} 주소로의 SSH가 0초 안에 응답하지 않았습니다 \\(마지막 오류: .*\\)\\. 가상 머신이 켜져 있고 그 네트워크에 연결되어 있나요\\?$`));
  });
});
