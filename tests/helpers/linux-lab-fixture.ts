/**
 * A shipped blueprint's lab on the Linux lab provider for an integration
 * test: its own labs folder, the `halab` CLI run as a real process with it,
 * bring-up (root required; fails, never skips) and tear-down.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src-main/exec/runner';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { labRef } from '../../src-main/lab/lab-home';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from './paths';

export function linuxLabFixture(blueprint: string) {
  const file = join(ROOT, blueprint);
  const resolved = validateBlueprintText(readFileSync(file, 'utf8')).resolved!;
  const labsDir = mkdtempSync(join(tmpdir(), 'halab-it-labs-'));
  // In-process code (GuestPool, the web server) finds the lab through this too.
  process.env.HALAB_LABS_DIR = labsDir;
  const env = { NO_COLOR: '1', HALAB_LABS_DIR: labsDir };
  const lab = labRef(resolved.name);
  const hv = new LinuxLabProvider();
  let pool: GuestPool | undefined;

  /** Run `halab ARGS` as a process; any exit code resolves. */
  const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, okExitCodes: [0, 1, 2, 3], timeoutMs: 900_000, env });

  /** Fail clearly where the lab cannot run; clear what a crashed run left. */
  async function prepare(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('The Linux-lab integration tests must run as root (they create namespaces, bridges and containers).');
    const u = await hv.checkUsable();
    if (!u.usable) throw new Error(`The Linux lab provider cannot run here: ${u.reason} ${u.fix ?? ''}`);
    await hv.cleanupLab(lab, { keepGuards: true });
  }

  return {
    file,
    resolved,
    lab,
    hv,
    env,
    halab,
    prepare,
    /** SSH into the lab's VMs (after `up`). */
    pool: (): GuestPool => {
      if (!pool) throw new Error('The lab is not up (call up() in beforeAll).');
      return pool;
    },
    /** `halab up FILE --provider linux` from nothing. */
    async up(): Promise<void> {
      await prepare();
      const r = await halab('up', file, '--provider', 'linux');
      if (r.exitCode !== 0) throw new Error(`halab up failed (exit ${r.exitCode}):\n${r.stderr.slice(-4000)}`);
      pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
    },
    /** `halab down`, then whatever a crash could have left. */
    async down(): Promise<void> {
      await pool?.closeAll();
      await halab('down', file);
      await hv.cleanupLab(lab, { keepGuards: true });
    },
  };
}
