/**
 * The Incus/LXD provider in the window (issue 15): `lab:status` lists it
 * beside VMware and Linux with its usability reason from the catalog (en and
 * ko), and `lab:preflight` answers for it. No daemon here: the socket is
 * pointed at a path where none listens.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import { IncusProvider } from '../../src-main/hypervisor/incus';
import { render } from '../../src-main/shared/i18n';
import { checkLineText } from '../../src-main/shared/i18n/check-line';
import type { IpcResult, LabStatusResult, PreflightResult } from '../../src-main/shared/ipc/contract';
import { ROOT } from '../helpers/paths';

const text = readFileSync(join(ROOT, 'lab-blueprints/lb-pair-minimal.yaml'), 'utf8');
const saved = { ...process.env };
beforeEach(() => {
  process.env.HALAB_INCUS_SOCKET = join(mkdtempSync(join(tmpdir(), 'halab-incus-none-')), 'unix.socket');
  process.env.HALAB_LABS_DIR = mkdtempSync(join(tmpdir(), 'halab-labs-'));
});
afterEach(() => {
  process.env = { ...saved };
});

describe('incus usability through the catalog', () => {
  it('a socket that does not exist: no daemon, in en and ko', async () => {
    const u = await new IncusProvider().checkUsable();
    expect(u.usable).toBe(false);
    expect(u.reasonMsg?.code).toBe('use.incus.noDaemon');
    expect(render('en', u.reasonMsg!)).toBe(u.reason);
    expect(render('ko', u.reasonMsg!)).toMatch(/^이 컴퓨터에서 Incus나 LXD 데몬을 찾지 못했습니다/);
    expect(render('ko', u.fixMsg!)).toContain('sudo bash scripts/incus/setup.sh');
  });

  it('a socket nobody answers on: the daemon does not answer, with the error', async () => {
    const u = await new IncusProvider({ endpoint: { kind: 'unix', socketPath: '/nonexistent/halab.socket' } }).checkUsable();
    expect(u.usable).toBe(false);
    expect(u.reasonMsg?.code).toBe('use.incus.noAnswer');
    expect(render('ko', u.reasonMsg!)).toMatch(/^Incus\/LXD 데몬이 응답하지 않습니다: /);
  });

  it('lab:status lists incus for the Provision screen; lab:preflight answers for it', async () => {
    const backend = createBackend({ mode: 'web', version: 't', dataDir: mkdtempSync(join(tmpdir(), 'halab-data-')) });
    const st = (await backend.invoke('lab:status', { text })) as IpcResult<LabStatusResult>;
    expect(st.ok).toBe(true);
    if (!st.ok) return;
    const incus = st.data.providers.find((p) => p.kind === 'incus');
    expect(st.data.providers.map((p) => p.kind)).toEqual(['vmware', 'linux', 'incus']);
    expect(incus).toMatchObject({ usable: false, reasonMsg: { code: 'use.incus.noDaemon' }, fixMsg: { code: 'use.incus.noDaemon.fix' } });

    const pf = (await backend.invoke('lab:preflight', { text, provider: 'incus' })) as IpcResult<PreflightResult>;
    expect(pf.ok).toBe(true);
    if (!pf.ok) return;
    expect(pf.data.provider).toBe('incus');
    expect(pf.data.lines[0]).toMatchObject({ id: 'provider', level: 'error', titleMsg: { code: 'use.incus.noDaemon' } });
    // Placement is still shown from the blueprint: nothing pinned, the cluster decides.
    expect(pf.data.lines.slice(1).map((l) => checkLineText(l, 'ko').title)).toEqual(['lb1 VM의 위치는 클러스터가 정합니다', 'lb2 VM의 위치는 클러스터가 정합니다', 'app1 VM의 위치는 클러스터가 정합니다']);
  });

  it('VM instances on a server without a VM driver: refused before anything is made, naming the VM (en/ko)', async () => {
    const { instanceTypeFromEnv } = await import('../../src-main/hypervisor/incus/instance');
    expect(instanceTypeFromEnv({ HALAB_INCUS_INSTANCE_TYPE: 'vm' })).toBe('virtual-machine');
    expect(instanceTypeFromEnv({})).toBe('container');
    expect(render('en', { code: 'inc.err.noVmDriver', args: { vm: 'lb1', server: 'LXD', drivers: 'lxc' } })).toBe(
      'lb1 cannot be a VM instance: LXD runs only lxc (no QEMU/KVM driver), so it can run containers only. Unset HALAB_INCUS_INSTANCE_TYPE to use containers (the default), or use a server with QEMU and KVM.',
    );
  });
});
