import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAccountsSql, renderPrimarySemiSyncSql, renderSchemaSql } from '../../src-main/configs/mysql-sql';
import { primaryStep, quickCheck } from '../../src-main/provision/db-steps';
import { loadLab, makeCtx } from '../golden/configs/support/render';

/** A guest that runs commands in this machine's shell, with fake `mysqladmin` (ping answers `ping`) and `mariadb` (prints its -e text and a count) first on PATH. */
function shellGuest(ping: boolean) {
  const bin = mkdtempSync(join(tmpdir(), 'halab-fake-db-'));
  writeFileSync(join(bin, 'mysqladmin'), `#!/bin/sh\n${ping ? 'echo "mysqld is alive"' : 'exit 1'}\n`);
  writeFileSync(join(bin, 'mariadb-admin'), `#!/bin/sh\n${ping ? 'echo "mysqld is alive"' : 'exit 1'}\n`);
  writeFileSync(join(bin, 'mariadb'), '#!/bin/sh\nfor a; do last=$a; done\nprintf "COUNT(*)\\n1\\n-- %s\\n" "$last"\n');
  for (const f of ['mysqladmin', 'mariadb-admin', 'mariadb']) chmodSync(join(bin, f), 0o755);
  const calls: string[][] = [];
  const g = {
    exec: async (argv: string[], o: { okCodes?: number[] } = {}) => {
      calls.push(argv);
      try {
        return { stdout: execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } }), stderr: '', code: 0 };
      } catch (e) {
        const x = e as { status: number; stdout: string };
        if (!(o.okCodes ?? [0]).includes(x.status)) throw e;
        return { stdout: x.stdout, stderr: '', code: x.status };
      }
    },
  };
  return { g, calls };
}

describe('DB steps: one command checks ping, query and mark (the re-apply)', () => {
  it('runs in a real shell: the snippet before, then the query through the client, its text passed whole', async () => {
    const { g, calls } = shellGuest(true);
    const q = await quickCheck(g, "SELECT 'a b'; SHOW REPLICA STATUS\\G", 'echo abc');
    expect(q).toEqual({ before: 'abc\n', sql: "COUNT(*)\n1\n-- SELECT 'a b'; SHOW REPLICA STATUS\\G\n" });
    expect(calls).toHaveLength(1);
  });

  it('says nothing when the server does not answer (the step then waits for it as before)', async () => {
    const { g } = shellGuest(false);
    expect(await quickCheck(g, 'SELECT 1', 'echo abc')).toBeUndefined();
  });

  const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
  const digest = createHash('sha256').update(`${renderSchemaSql(ctx)}\n${renderAccountsSql(ctx)}${renderPrimarySemiSyncSql(ctx)}`).digest('hex');
  /** A guest answering the quick check with `mark` and `count`; any other command is recorded and answered empty. */
  function scripted(mark: string, count: string) {
    const calls: string[][] = [];
    const g = {
      exec: async (argv: string[]) => {
        calls.push(argv);
        if (argv[2]?.includes('##halab-part##')) return { stdout: `${mark}\n##halab-part##\nCOUNT(*)\n${count}\n`, stderr: '', code: 0 };
        return { stdout: '', stderr: '', code: 0 };
      },
      readFile: async () => `${mark}\n`,
      writeFile: async () => ({ changed: true }),
    };
    return { calls, pool: { get: async () => g } as never };
  }
  const s = { signal: new AbortController().signal, log: () => undefined };

  it('primary: unchanged in one command when the mark matches the statements and the table is there', async () => {
    const { calls, pool } = scripted(digest, '1');
    expect(await primaryStep(pool, ctx, 'db-master', s)).toBe('unchanged');
    expect(calls).toHaveLength(1);
  });

  it('primary: an edited schema or accounts (another digest) or a missing table runs the statements', async () => {
    for (const [mark, count] of [['0'.repeat(64), '1'], [digest, '0']] as const) {
      const { calls, pool } = scripted(mark, count);
      expect(await primaryStep(pool, ctx, 'db-master', s)).toBe('changed');
      expect(calls.length).toBeGreaterThan(1);
    }
  });
});
