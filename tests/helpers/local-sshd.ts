/**
 * A real OpenSSH server on 127.0.0.1 for the guest-module tests: its own
 * host key, config and authorized_keys in a temp folder, never the system's.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, spawnBackground, type BackgroundProcess } from '../../src-main/exec/runner';

export const SSHD = '/usr/sbin/sshd';

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

export interface LocalSshd {
  port: number;
  dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Replace the host key (to test pinning). */
  newHostKey(): Promise<void>;
}

export async function localSshd(authorizedKey: string): Promise<LocalSshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install the openssh-server package (scripts/setup-machine.sh does).`);
  const dir = mkdtempSync(join(tmpdir(), 'halab-sshd-'));
  const port = await freePort();
  writeFileSync(join(dir, 'authorized_keys'), `${authorizedKey}\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'LogLevel ERROR',
    ].join('\n'),
  );
  let proc: BackgroundProcess | undefined;
  const api: LocalSshd = {
    port,
    dir,
    async newHostKey() {
      await run(['rm', '-f', join(dir, 'host_key'), join(dir, 'host_key.pub')]);
      await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    },
    async start() {
      await run(['mkdir', '-p', '/run/sshd']);
      proc = spawnBackground([SSHD, '-D', '-e', '-f', join(dir, 'sshd_config')]);
      for (let i = 0; i < 50; i++) {
        const ok = await new Promise<boolean>((res) => {
          const s = connect(port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), res(true)));
          s.once('error', () => res(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`sshd did not start: ${proc.output()}`);
    },
    async stop() {
      if (!proc) return;
      proc.kill('SIGTERM');
      await proc.exited;
      proc = undefined;
    },
  };
  await api.newHostKey();
  return api;
}
