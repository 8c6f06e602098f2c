/**
 * The doctor's template boot probe in Korean (issue 12): its check line and
 * its progress lines are catalog messages. Runs the real probe against the
 * fake vmrun (no guest; guestinfo withheld, so it stops at cloud-init), as
 * tests/unit/doctor-probe.test.ts does.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeTemplate } from '../../src-main/doctor/template-probe';
import { VmrunClient } from '../../src-main/hypervisor/vmware/vmrun-client';
import { render, type Message } from '../../src-main/shared/i18n';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import { createFakeVmwareHost, DEFAULT_NETWORKING, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';
import { freePort } from '../helpers/local-sshd';

let host: FakeVmwareHost;
let client: VmrunClient;

beforeEach(async () => {
  host = await createFakeVmwareHost({ FAKE_VMRUN_IP_DELAY_MS: '300' });
  await writeFile(join(host.etcDir, 'networking'), DEFAULT_NETWORKING.replace(/172\.16\.86\./g, '127.0.0.').replace(/172\.16\.134\./g, '127.0.134.'));
  client = new VmrunClient({ vmrunPath: FAKE_VMRUN, platform: 'linux', retryDelayMs: 50 });
  await client.snapshot(host.template, 'halab-base');
});
afterEach(async () => {
  delete process.env.FAKE_VMRUN_NO_GUESTINFO;
  await host.cleanup();
});

describe('template probe in Korean', () => {
  it('says what the guest did and how to fix the template, and reports progress as messages', { timeout: 60_000 }, async () => {
    process.env.FAKE_VMRUN_NO_GUESTINFO = '1';
    const progress: Message[] = [];
    const r = await probeTemplate({
      client,
      os: 'ubuntu-22.04',
      template: host.template,
      hasSnapshot: true,
      labsDir: join(host.root, 'labs'),
      sshUser: 'root',
      platform: 'linux',
      etcDir: host.etcDir,
      pollMs: 150,
      bootTimeoutMs: 2500,
      sshWaitMs: 1500,
      sshPort: await freePort(),
      logMsg: (m) => progress.push(m),
    });
    expect(r).toMatchObject({ level: 'error', title: "Template ubuntu-22.04: cloud-init's VMware datasource did not run", titleMsg: { code: 'probe.datasource' } });
    const ko = checkLineText(r, 'ko');
    expect(ko.title).toBe('템플릿 ubuntu-22.04: cloud-init의 VMware 데이터 소스가 실행되지 않음');
    expect(ko.detail).toContain('게스트가 guestinfo.local-ipv4를 알리지 않았습니다');
    expect(ko.fix).toMatch(/^"halab template create ubuntu-22\.04" 명령으로 템플릿을 다시 만들거나.*"datasource_list: \[ VMware, None \]" 줄을 넣은 뒤/);
    expect(checkLineText(r, 'en').fix).toBe(r.fix);
    expect(progress.map((m) => m.code)).toEqual(['probe.log.cloning', 'probe.log.booting', 'probe.log.deleted']);
    expect(render('ko', progress[2]!)).toBe('ubuntu-22.04: 시험용 복제본을 지웠습니다');
    expect(render('ko', progress[0]!)).toMatch(/^ubuntu-22\.04: 시험용 연결 복제본을 만드는 중 \(원본 /);
  });
});
