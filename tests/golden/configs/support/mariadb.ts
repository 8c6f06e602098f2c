/**
 * Throw-away MariaDB servers for tests: own datadir under the temp folder,
 * unix socket there, TCP on 127.0.0.1 only; started from a rendered option
 * file and stopped by pid. Never touches the system's default instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, run } from './render';

export interface MariaInstance {
  dir: string;
  port: number;
  socket: string;
  /** Run SQL as root over the socket; throws with the client's message on failure. */
  sql(text: string, extraArgs?: string[]): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function mysqlUid(): { uid: number; gid: number } {
  const uid = Number(run('id', ['-u', 'mysql']).stdout.trim());
  const gid = Number(run('id', ['-g', 'mysql']).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('The "mysql" user is missing: install mariadb-server.');
  return { uid, gid };
}

/**
 * Start a server whose [mysqld] options come from `cnf` (a rendered drop-in;
 * /var/log/mysql paths and bind-address are moved to the scratch folder and
 * 127.0.0.1).
 */
export async function startMariaDb(cnf: string): Promise<MariaInstance> {
  requireTool('mariadbd', 'mariadb-server');
  requireTool('mariadb-install-db', 'mariadb-server');
  requireTool('mariadb', 'mariadb-client');
  const dir = mkdtempSync(join(tmpdir(), 'halab-mariadb-'));
  const { uid, gid } = mysqlUid();
  for (const d of ['data', 'log']) mkdirSync(join(dir, d));
  for (const d of [dir, join(dir, 'data'), join(dir, 'log')]) chownSync(d, uid, gid);
  const install = run('mariadb-install-db', ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db'], { timeoutMs: 120_000 });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stdout}${install.stderr}`);
  const port = await freePort();
  const socket = join(dir, 'mysqld.sock');
  const cnfPath = join(dir, 'my.cnf');
  writeFileSync(cnfPath, cnf.replaceAll('/var/log/mysql/', `${dir}/log/`).replace(/^bind-address\s*=.*$/m, 'bind-address = 127.0.0.1'));
  const child: ChildProcess = spawn(
    'mariadbd',
    [`--defaults-file=${cnfPath}`, `--datadir=${join(dir, 'data')}`, `--socket=${socket}`, `--port=${port}`, `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${join(dir, 'error.log')}`, '--user=mysql', '--innodb-buffer-pool-size=32M', '--skip-name-resolve'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const sql = (text: string, extraArgs: string[] = []) => {
    const r = run('mariadb', ['--no-defaults', '--user=root', `--socket=${socket}`, '--batch', ...extraArgs], { input: text });
    if (r.status !== 0) throw new Error(`SQL failed: ${r.stderr}\n${text}`);
    return r.stdout;
  };
  for (let i = 0; ; i++) {
    if (run('mariadb', ['--no-defaults', '--user=root', `--socket=${socket}`, '-e', 'SELECT 1']).status === 0) break;
    if (child.exitCode !== null || i > 120) {
      child.kill('SIGKILL');
      throw new Error(`mariadbd did not start; see ${join(dir, 'error.log')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    dir,
    port,
    socket,
    sql,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
