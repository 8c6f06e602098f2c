/**
 * `file:*` in the backend, plain Node with a real settings folder and real
 * files. The dialogs are the desktop shell's seam (`Dialogs`): here they
 * answer what a user would have clicked, and record that they were asked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBackend } from '../../src-main/backend/backend';
import type { Dialogs, PickPurpose } from '../../src-main/backend/handler-types';
import { fileHandlers } from '../../src-main/backend/handlers/files';
import { SettingsStore } from '../../src-main/backend/settings-store';

let dir = '';
let data = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'halab-files-'));
  data = join(dir, 'data');
  mkdirSync(join(dir, 'labs'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Dialogs that answer from a queue, as a user clicking through them would. */
function userAnswers(answers: { open?: (string | null)[]; save?: (string | null)[]; pick?: (string | null)[] }) {
  const asked: string[] = [];
  const dialogs: Dialogs = {
    openBlueprint: async () => (asked.push('open'), answers.open?.shift() ?? null),
    saveBlueprint: async (name) => (asked.push(`save:${name}`), answers.save?.shift() ?? null),
    pick: async (purpose: PickPurpose) => (asked.push(`pick:${purpose}`), answers.pick?.shift() ?? null),
  };
  return { dialogs, asked };
}

describe('file:open / file:save accept only paths a dialog or the recent list gave', () => {
  it('refuses to read a host file the renderer names without a dialog', async () => {
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'top secret');
    const { dialogs, asked } = userAnswers({});
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    const r = await backend.invoke('file:open', { path: secret });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('not-granted');
    expect(r.error.message).toContain(secret);
    expect(r.error.message).toMatch(/Open/);
    expect(JSON.stringify(r)).not.toContain('top secret');
    expect(asked).toEqual([]);
    // Nor through another spelling of a path that was never granted.
    const r2 = await backend.invoke('file:open', { path: join(dir, 'labs', '..', 'secret.txt') });
    expect(r2.ok ? null : r2.error.code).toBe('not-granted');
    await backend.close();
  });

  it('refuses to write a host file the renderer names without a dialog, and leaves it as it was', async () => {
    const target = join(dir, 'bashrc');
    writeFileSync(target, 'original');
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs: userAnswers({}).dialogs });
    const r = await backend.invoke('file:save', { path: target, text: 'evil' });
    expect(r.ok ? null : r.error.code).toBe('not-granted');
    expect(r.ok ? '' : r.error.message).toMatch(/Save As/);
    expect(readFileSync(target, 'utf8')).toBe('original');
    // A file that does not exist yet is not created either.
    const fresh = join(dir, 'new.yaml');
    const r2 = await backend.invoke('file:save', { path: fresh, text: 'x' });
    expect(r2.ok).toBe(false);
    expect(existsSync(fresh)).toBe(false);
    await backend.close();
  });

  it('a file chosen in the Open dialog can be opened again and saved by path', async () => {
    const lab = join(dir, 'labs', 'lab.yaml');
    writeFileSync(lab, 'title: one\n');
    const { dialogs, asked } = userAnswers({ open: [lab] });
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    expect(await backend.invoke('file:open', {})).toEqual({ ok: true, data: { path: lab, text: 'title: one\n' } });
    expect(await backend.invoke('file:save', { path: lab, text: 'title: two\n' })).toEqual({ ok: true, data: { path: lab } });
    expect(readFileSync(lab, 'utf8')).toBe('title: two\n');
    expect(await backend.invoke('file:open', { path: lab })).toEqual({ ok: true, data: { path: lab, text: 'title: two\n' } });
    expect(asked).toEqual(['open']);
    // Granting one file grants nothing beside it.
    writeFileSync(join(dir, 'labs', 'other.yaml'), 'x');
    const r = await backend.invoke('file:open', { path: join(dir, 'labs', 'other.yaml') });
    expect(r.ok ? null : r.error.code).toBe('not-granted');
    await backend.close();
  });

  it('a path chosen in the Save dialog is written and then granted', async () => {
    const lab = join(dir, 'labs', 'saved.yaml');
    const { dialogs, asked } = userAnswers({ save: [lab] });
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    expect(await backend.invoke('file:save', { text: 'a: 1\n', suggestedName: 'saved.yaml' })).toEqual({ ok: true, data: { path: lab } });
    expect(await backend.invoke('file:save', { path: lab, text: 'a: 2\n' })).toEqual({ ok: true, data: { path: lab } });
    expect(readFileSync(lab, 'utf8')).toBe('a: 2\n');
    expect(asked).toEqual(['save:saved.yaml']);
    await backend.close();
  });

  it('a cancelled dialog grants nothing and answers null', async () => {
    const { dialogs } = userAnswers({ open: [null], save: [null] });
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    expect(await backend.invoke('file:open', {})).toEqual({ ok: true, data: null });
    expect(await backend.invoke('file:save', { text: 'x' })).toEqual({ ok: true, data: null });
    await backend.close();
  });

  it('the recent list, written by an earlier run after a dialog, grants its paths in a new process', async () => {
    const lab = join(dir, 'labs', 'recent.yaml');
    writeFileSync(lab, 'r: 1\n');
    const first = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs: userAnswers({ open: [lab] }).dialogs });
    await first.invoke('file:open', {});
    await first.close();

    const { dialogs, asked } = userAnswers({});
    const second = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    expect(await second.invoke('file:recent', {})).toEqual({ ok: true, data: [lab] });
    expect(await second.invoke('file:open', { path: lab })).toEqual({ ok: true, data: { path: lab, text: 'r: 1\n' } });
    expect(await second.invoke('file:save', { path: lab, text: 'r: 2\n' })).toEqual({ ok: true, data: { path: lab } });
    expect(readFileSync(lab, 'utf8')).toBe('r: 2\n');
    expect(asked).toEqual([]);
    await second.close();
  });

  it('a missing recent file says so, in words', async () => {
    const lab = join(dir, 'labs', 'gone.yaml');
    const settings = new SettingsStore(data);
    await settings.addRecent(lab);
    const h = fileHandlers(settings, userAnswers({}).dialogs);
    await expect(h['file:open']({ path: lab })).rejects.toThrow(/Cannot open .*gone\.yaml: the file no longer exists/);
  });

  it('a path from file:pick grants nothing to file:open', async () => {
    const vmx = join(dir, 'template.vmx');
    writeFileSync(vmx, 'config.version = "8"\n');
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs: userAnswers({ pick: [vmx] }).dialogs });
    expect(await backend.invoke('file:pick', { purpose: 'template-vmx' })).toEqual({ ok: true, data: { path: vmx } });
    const r = await backend.invoke('file:open', { path: vmx });
    expect(r.ok ? null : r.error.code).toBe('not-granted');
    await backend.close();
  });
});

describe('file:pick', () => {
  it('asks the native picker for the purpose and answers its path, or null when cancelled', async () => {
    const { dialogs, asked } = userAnswers({ pick: ['/opt/vm/ubuntu.vmx', '/home/s/ubuntu.ova', '/home/s/labs', '/usr/bin/vmrun', null] });
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    expect(await backend.invoke('file:pick', { purpose: 'template-vmx' })).toEqual({ ok: true, data: { path: '/opt/vm/ubuntu.vmx' } });
    expect(await backend.invoke('file:pick', { purpose: 'ova' })).toEqual({ ok: true, data: { path: '/home/s/ubuntu.ova' } });
    expect(await backend.invoke('file:pick', { purpose: 'folder' })).toEqual({ ok: true, data: { path: '/home/s/labs' } });
    expect(await backend.invoke('file:pick', { purpose: 'vmrun' })).toEqual({ ok: true, data: { path: '/usr/bin/vmrun' } });
    expect(await backend.invoke('file:pick', { purpose: 'vmrun' })).toEqual({ ok: true, data: null });
    expect(asked).toEqual(['pick:template-vmx', 'pick:ova', 'pick:folder', 'pick:vmrun', 'pick:vmrun']);
    await backend.close();
  });

  it('refuses an unknown purpose before any dialog opens', async () => {
    const { dialogs, asked } = userAnswers({});
    const backend = createBackend({ mode: 'desktop', version: 't', dataDir: data, dialogs });
    const r = await backend.invoke('file:pick', { purpose: 'ssh-key' });
    expect(r.ok ? null : r.error.code).toBe('invalid-payload');
    expect(asked).toEqual([]);
    await backend.close();
  });
});

describe('web mode (no native dialogs)', () => {
  it('file:pick, file:open and file:save answer not-available; the recent list is empty', async () => {
    const backend = createBackend({ mode: 'web', version: 't', dataDir: data });
    const pick = await backend.invoke('file:pick', { purpose: 'template-vmx' });
    expect(pick.ok).toBe(false);
    if (!pick.ok) {
      expect(pick.error.code).toBe('not-available');
      expect(pick.error.message).toMatch(/type the full path/);
    }
    for (const [ch, p] of [['file:open', {}], ['file:open', { path: '/etc/passwd' }], ['file:save', { path: join(dir, 'x'), text: 'x' }]] as const) {
      const r = await backend.invoke(ch, p);
      expect(r.ok ? null : r.error.code, ch).toBe('not-available');
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(await backend.invoke('file:recent', {})).toEqual({ ok: true, data: [] });
    await backend.close();
  });
});
