import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fail2banIgnore } from '../../src-main/configs/hardening';
import { hardeningReport } from '../../src-main/provision/zone-verify';
import { loadLab, makeCtx } from '../golden/configs/support/render';

/** A guest running commands in this machine's shell, with a fake `fail2ban-client` (the jail running with `ignored`, or absent) first on PATH. */
function guest(ignored: string[] | undefined) {
  const bin = mkdtempSync(join(tmpdir(), 'halab-fake-f2b-'));
  const body = ignored ? `echo "These IP addresses/networks are ignored:"; ${ignored.map((a) => `echo "|- ${a}"`).join('; ')}` : `echo "Sorry but the jail 'sshd' does not exist"; exit 255`;
  writeFileSync(join(bin, 'fail2ban-client'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, 'fail2ban-client'), 0o755);
  const calls: string[][] = [];
  const g = {
    exec: async (argv: string[], o: { okCodes?: number[] } = {}) => {
      calls.push(argv);
      try {
        return { stdout: execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { PATH: `${bin}:/usr/sbin:/usr/bin:/bin` }, stdio: ['ignore', 'pipe', 'ignore'] }), stderr: '', code: 0 };
      } catch (e) {
        const x = e as { status: number; stdout: string };
        if (!(o.okCodes ?? [0]).includes(x.status)) throw e;
        return { stdout: x.stdout, stderr: '', code: x.status };
      }
    },
  };
  return { calls, pool: { get: async () => g } as never };
}

describe('zones:verify hardening report: one fail2ban-client per VM', () => {
  const ctx = makeCtx(loadLab('vmware-3tier-ha'), 'mariadb');
  const f2bProblems = (p: string[]) => p.filter((x) => x.includes('fail2ban'));

  it('a running jail that ignores the host: no fail2ban problem, one fail2ban-client start', async () => {
    const { calls, pool } = guest(fail2banIgnore(ctx));
    const r = await hardeningReport(pool, ctx, 'lb-master');
    expect(f2bProblems(r.problems)).toEqual([]);
    expect(calls.filter((c) => c.join(' ').includes('fail2ban-client'))).toHaveLength(1);
  });

  it('no jail: says it is not running, with fail2ban\'s own words', async () => {
    const { pool } = guest(undefined);
    expect(f2bProblems((await hardeningReport(pool, ctx, 'lb-master')).problems)).toEqual([expect.stringMatching(/sshd jail is not running \(Sorry but the jail 'sshd' does not exist\)/)]);
  });

  it('a jail that would not ignore the host: says which address', async () => {
    const { pool } = guest(['127.0.0.1/8']);
    const host = fail2banIgnore(ctx).filter((a) => !a.startsWith('127.') && a !== '::1');
    expect(host.length).toBeGreaterThan(0);
    expect(f2bProblems((await hardeningReport(pool, ctx, 'lb-master')).problems)).toEqual([expect.stringContaining(`would not ignore ${host.join(', ')}`)]);
  });
});
