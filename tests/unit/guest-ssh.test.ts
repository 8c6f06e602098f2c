import { appendFileSync, chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectGuest, GuestError, type Guest } from '../../src-main/guest/guest';
import { ensureLabKey, HostKeyStore, type LabKey } from '../../src-main/guest/lab-keys';
import { localSshd, type LocalSshd } from '../helpers/local-sshd';

let sshd: LocalSshd;
let key: LabKey;
let labDir: string;
let guest: Guest;

const connect = (over: Partial<Parameters<typeof connectGuest>[0]> = {}) =>
  connectGuest({ name: 'vm1', host: '127.0.0.1', port: sshd.port, privateKey: key.privateKey, hostKeys: new HostKeyStore(labDir), waitMs: 15_000, ...over });

beforeAll(async () => {
  labDir = mkdtempSync(join(tmpdir(), 'halab-lab-'));
  key = await ensureLabKey(labDir, 'test-lab');
  sshd = await localSshd(key.publicKey);
  await sshd.start();
  guest = await connect();
});
afterAll(async () => {
  guest?.close();
  await sshd?.stop();
});

describe('lab key', () => {
  it('is ed25519, stored 0600, and stable across calls', async () => {
    expect(key.publicKey).toMatch(/^ssh-ed25519 \S+ halab-test-lab$/);
    expect(statSync(key.privateKeyPath).mode & 0o777).toBe(0o600);
    expect((await ensureLabKey(labDir, 'test-lab')).publicKey).toBe(key.publicKey);
  });
});

describe('guest over real SSH', () => {
  it('runs a caller\'s first command as the first session (one session saved on a re-apply), kept only when it exits 0', async () => {
    const g = await connect({ firstCommand: ['sh', '-c', 'echo "first $1"', 'sh', 'a b'] });
    expect(g.firstResult?.stdout).toBe('first a b\n');
    g.close();
    const failing = await connect({ firstCommand: ['sh', '-c', 'echo no; exit 3'] });
    expect(failing.firstResult).toBeUndefined();
    expect((await failing.exec(['echo', 'still usable'])).stdout).toBe('still usable\n');
    failing.close();
    const plain = await connect();
    expect(plain.firstResult).toBeUndefined();
    plain.close();
  });

  it('pins the host key on first contact', async () => {
    const pinned = await new HostKeyStore(labDir).load();
    expect(pinned.vm1).toMatch(/^SHA256:/);
  });

  it('passes hostile values through as single words, never to a shell', async () => {
    const canary = join(labDir, 'pwned');
    const hostile = [`$(touch ${canary})`, `; touch ${canary}`, "it's \"quoted\"", '`touch x`', 'a\nb', '*', '--', ''];
    const r = await guest.exec(['printf', '%s\\0', ...hostile]);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(hostile);
    expect(existsSync(canary)).toBe(false);
  });

  it('reports a failing command with its exit code and output', async () => {
    const e = await guest.exec(['sh', '-c', 'echo nope >&2; exit 3']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestError);
    expect((e as GuestError).message).toMatch(/exit code 3:\nnope/);
    expect((await guest.exec(['false'], { okCodes: [0, 1] })).code).toBe(1);
  });

  it('streams output lines to the log', async () => {
    const lines: string[] = [];
    await guest.exec(['sh', '-c', 'echo one; echo two'], { log: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two']);
  });

  it('writes files atomically, only when changed, keeping the previous version', async () => {
    const path = join(labDir, 'etc', 'conf file.cfg');
    expect(await guest.writeFile(path, 'v1\n', { mode: '0600' })).toEqual({ changed: true });
    expect(await guest.writeFile(path, 'v1\n', { mode: '0600' })).toEqual({ changed: false });
    expect(await guest.writeFile(path, 'v2\n', { mode: '0600' })).toEqual({ changed: true });
    expect(await guest.readFile(path)).toBe('v2\n');
    expect(await guest.readFile(`${path}.halab-prev`)).toBe('v1\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await guest.readFile(join(labDir, 'missing'))).toBeUndefined();
  });

  it('refuses to write as root in a folder another user owns (a planted symlink gives nothing away)', async () => {
    const home = join(labDir, 'home-of-nobody');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    chownSync(home, 65534, 65534);
    chownSync(join(home, '.ssh'), 65534, 65534);
    const victim = join(labDir, 'victim');
    writeFileSync(victim, 'root data\n', { mode: 0o600 });
    // The old fixed temp name, planted as a symlink to a root file.
    symlinkSync(victim, join(home, '.ssh', 'authorized_keys.halab-tmp'));
    const e = await guest.writeFile(join(home, '.ssh', 'authorized_keys'), 'key\n', { mode: '0600', owner: 'nobody:nogroup' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestError);
    expect((e as GuestError).message).toMatch(/is not owned by root/);
    expect(statSync(victim).uid).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('root data\n');
    expect(existsSync(join(home, '.ssh', 'authorized_keys'))).toBe(false);
    // Group- or world-writable folders (not sticky) are refused too.
    const open = join(labDir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(guest.writeFile(join(open, 'f'), 'x')).rejects.toThrow(/writable by non-root users/);
  });

  it('replaces a symlink at the target path instead of writing through it, and sets owner and mode on a fresh temp file', async () => {
    const dir = join(labDir, 'etc2');
    mkdirSync(dir);
    const victim = join(labDir, 'victim2');
    writeFileSync(victim, 'keep\n', { mode: 0o600 });
    symlinkSync(victim, join(dir, 'conf'));
    expect(await guest.writeFile(join(dir, 'conf'), 'new\n', { mode: '0640', owner: 'nobody:nogroup' })).toEqual({ changed: true });
    expect(lstatSync(join(dir, 'conf')).isSymbolicLink()).toBe(false);
    expect(statSync(join(dir, 'conf')).uid).toBe(65534);
    expect(statSync(join(dir, 'conf')).mode & 0o777).toBe(0o640);
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(statSync(victim).uid).toBe(0);
    // No temp files are left behind.
    expect((await guest.exec(['sh', '-c', 'ls -A "$1"', 'sh', dir])).stdout).toBe('conf\n');
  });

  it('runs generated scripts with errexit', async () => {
    const r = await guest.script('echo a\nfalse\necho b', { okCodes: [0, 1] });
    expect(r.stdout).toBe('a\n');
    expect(r.code).toBe(1);
  });
});

describe('connection failures', () => {
  it('refuses a changed host key with a clear message', async () => {
    const other = mkdtempSync(join(tmpdir(), 'halab-lab-'));
    await new HostKeyStore(other).pin('vm1', 'SHA256:something-else');
    const e = await connect({ hostKeys: new HostKeyStore(other) }).catch((x: unknown) => x);
    expect((e as GuestError).code).toBe('host-key-changed');
    expect((e as GuestError).message).toMatch(/different SSH host key/);
  });

  it('explains a refused key', async () => {
    const other = await ensureLabKey(mkdtempSync(join(tmpdir(), 'halab-lab-')), 'other');
    const e = await connect({ privateKey: other.privateKey, name: 'vm2' }).catch((x: unknown) => x);
    expect((e as GuestError).code).toBe('auth');
  });

  it('keeps trying while the VM boots, then connects', async () => {
    await sshd.stop();
    const started = Date.now();
    const pending = connect({ waitMs: 20_000 });
    setTimeout(() => void sshd.start(), 1500);
    const g = await pending;
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect((await g.exec(['echo', 'up'])).stdout).toBe('up\n');
    g.close();
  });

  it('survives a login that stalls for longer than the old 20 s keepalive: the first session is opened inside connect', async () => {
    // sshd stops answering right after the first session starts (as when pam_systemd waits on a stopping user@0).
    const slow = await localSshd(key.publicKey);
    const flag = join(slow.dir, 'stalled');
    appendFileSync(
      join(slow.dir, 'sshd_config'),
      `\nForceCommand if [ ! -e ${flag} ]; then touch ${flag}; p=$PPID; ( kill -STOP $p; sleep 26; kill -CONT $p ) >/dev/null 2>&1 & sleep 0.2; fi; eval "$SSH_ORIGINAL_COMMAND"\n`,
    );
    await slow.start();
    try {
      const lines: string[] = [];
      const started = Date.now();
      const g = await connectGuest({ name: 'slow', host: '127.0.0.1', port: slow.port, privateKey: key.privateKey, hostKeys: new HostKeyStore(mkdtempSync(join(tmpdir(), 'halab-lab-'))), waitMs: 90_000, log: (l) => lines.push(l) });
      expect(existsSync(flag)).toBe(true);
      expect(Date.now() - started).toBeGreaterThan(20_000);
      expect((await g.exec(['echo', 'after'])).stdout).toBe('after\n');
      g.close();
    } finally {
      await slow.stop();
    }
  }, 120_000);

  it('gives up after its deadline, saying what it tried', async () => {
    const e = await connect({ port: 1, waitMs: 1500 }).catch((x: unknown) => x);
    expect((e as GuestError).code).toBe('unreachable');
    expect((e as GuestError).message).toMatch(/did not answer within 2 s/);
  });
});
