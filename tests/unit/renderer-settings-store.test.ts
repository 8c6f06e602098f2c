/**
 * The Settings screen's store against the REAL backend (createBackend, in
 * process, web mode) through a bridge that calls it directly; VMware is the
 * fake vmrun. Checks the debounce, the live check lines, the refusals on
 * Save, the web-mode file picker and the Doctor.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';
import type { EventChannel, EventPayloads, HalabBridge, IpcResult, RequestChannel, RequestPayload, RequestResults } from '../../src-main/shared/ipc/contract';
import { createFakeVmwareHost, FAKE_VMRUN, type FakeVmwareHost } from '../fake-vmrun/fake-env';

let host: FakeVmwareHost;
let dataDir: string;
let backend: Backend;
const calls: string[] = [];

// The renderer's client uses window.halab when it is there (as in Electron): here it is the real backend.
const bridge: HalabBridge = {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>) {
    calls.push(channel);
    return backend.invoke(channel, payload) as Promise<IpcResult<RequestResults[C]>>;
  },
  on<E extends EventChannel>(channel: E, listener: (p: EventPayloads[E]) => void) {
    return backend.events.subscribe((c, p) => {
      if ((c as string) === channel) listener(p as EventPayloads[E]);
    });
  },
};
(globalThis as { window?: unknown }).window = { halab: bridge };
// The app store reads the browser's language when it starts (older Node has no navigator).
if (typeof navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: { language: 'en-US' }, configurable: true });

const { useSettings, CHECK_DEBOUNCE_MS } = await import('../../src-renderer/src/stores/settings-store');
const { lineFor, templateField } = await import('../../src-renderer/src/lib/settings-model');

const count = (c: string) => calls.filter((x) => x === c).length;
const settle = () => new Promise((ok) => setTimeout(ok, CHECK_DEBOUNCE_MS + 50));
async function checked(): Promise<void> {
  await settle();
  for (let i = 0; i < 200 && useSettings.getState().checking; i++) await new Promise((ok) => setTimeout(ok, 25));
}

beforeAll(async () => {
  host = await createFakeVmwareHost();
  dataDir = mkdtempSync(join(tmpdir(), 'halab-settings-store-'));
  backend = createBackend({ mode: 'web', version: 'test', dataDir });
});

afterAll(async () => {
  await backend?.close();
  await host?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  // Each test starts from the file, as a fresh screen does.
  useSettings.setState({ saved: undefined });
  await useSettings.getState().load();
  calls.length = 0;
});

describe('the Settings store, on the real backend', () => {
  it('loads the settings and checks them at once: vmrun from HALAB_VMRUN, with its version', () => {
    const s = useSettings.getState();
    expect(s.loadError).toBeUndefined();
    expect(s.check?.vmrun).toMatchObject({ path: FAKE_VMRUN, version: '1.17.0', source: 'env' });
    expect(s.check?.overrides).toContain('HALAB_VMRUN');
    expect(lineFor(s.check, 'vmrunPath')?.level).toBe('ok');
  });

  it('checks once per pause in typing, and shows the line for what was typed last', async () => {
    const st = useSettings.getState();
    for (const v of ['s', 'st', 'stu', 'student']) st.edit({ sshUser: v });
    await checked();
    expect(count('settings:check')).toBe(1);
    expect(lineFor(useSettings.getState().check, 'sshUser')).toMatchObject({ level: 'ok' });
    expect(lineFor(useSettings.getState().check, 'sshUser')?.detail).toContain('student');
    st.edit({ sshUser: 'Not A User' });
    await checked();
    expect(lineFor(useSettings.getState().check, 'sshUser')).toMatchObject({ level: 'error' });
    expect(lineFor(useSettings.getState().check, 'sshUser')?.fix).toBeTruthy();
  });

  it('refuses to save: an unfinished row without asking the backend, a missing template with the backend\'s message', async () => {
    const st = useSettings.getState();
    st.addRow();
    const key = useSettings.getState().draft.templates.at(-1)!.key;
    st.editRow(key, { os: 'ubuntu-22.04' });
    await expect(st.save()).resolves.toBe(false);
    expect(useSettings.getState().rowsRefused).toBe(true);
    expect(count('settings:set')).toBe(0);

    const missing = join(host.root, 'nowhere', 'template.vmx');
    st.editRow(key, { path: missing });
    await checked();
    expect(lineFor(useSettings.getState().check, templateField('ubuntu-22.04'))).toMatchObject({ level: 'error' });
    await expect(st.save()).resolves.toBe(false);
    const err = useSettings.getState().saveError;
    expect(err?.code).toBe('invalid-setting');
    expect(err?.message).toContain(missing);
    expect(useSettings.getState().saved?.templates['ubuntu-22.04']).toBeUndefined();

    st.editRow(key, { path: host.template });
    await expect(st.save()).resolves.toBe(true);
    expect(useSettings.getState().saveError).toBeUndefined();
    const file = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { templates: Record<string, string> };
    expect(file.templates['ubuntu-22.04']).toBe(host.template);
  });

  it('clears the vmrun override with null (auto) and the check finds vmrun again', async () => {
    const st = useSettings.getState();
    st.edit({ vmrunPath: join(host.root, 'no-vmrun') });
    await checked();
    expect(lineFor(useSettings.getState().check, 'vmrunPath')?.level).toBe('error');
    st.edit({ vmrunPath: '' });
    await checked();
    expect(lineFor(useSettings.getState().check, 'vmrunPath')?.level).toBe('ok');
    await expect(st.save()).resolves.toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).vmrunPath).toBeUndefined();
  });

  it('keeps what was typed and not saved when the screen is opened again; Undo goes back to the file', async () => {
    const st = useSettings.getState();
    st.edit({ labsDir: join(dataDir, 'my-labs') });
    await useSettings.getState().load();
    expect(useSettings.getState().draft.labsDir).toBe(join(dataDir, 'my-labs'));
    useSettings.getState().revert();
    expect(useSettings.getState().draft.labsDir).toBe('');
    await checked();
  });

  it('in web mode the file picker answers not-available (the path field is the way in)', async () => {
    await expect(useSettings.getState().pick('template-vmx')).resolves.toBeUndefined();
    expect(useSettings.getState().pickError?.code).toBe('not-available');
  });

  it('runs the doctor (quick) for VMware: one line per check', async () => {
    useSettings.getState().setDoctor({ provider: 'vmware' });
    await useSettings.getState().runDoctor(true);
    const d = useSettings.getState().doctor;
    expect(d.running).toBeUndefined();
    expect(d.error).toBeUndefined();
    expect(d.report?.provider).toBe('vmware');
    expect(d.report?.lines.find((l) => l.id === 'vmrun')).toMatchObject({ level: 'ok' });
    expect(d.report?.lines.every((l) => l.level === 'ok' || !!l.fix)).toBe(true);
  });
});
