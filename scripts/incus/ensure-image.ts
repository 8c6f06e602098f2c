/**
 * Import (once) the lab image into the local Incus/LXD daemon from the Linux
 * lab's base root filesystem, printing how long it took. Called by
 * `scripts/incus/setup.sh`; quick when the alias already exists.
 *   npx tsx scripts/incus/ensure-image.ts
 */
import { IncusProvider } from '../../src-main/hypervisor/incus';

const started = Date.now();
try {
  const hv = new IncusProvider();
  const fp = await hv.ensureImage({ log: (line) => console.log(line) });
  console.log(`incus image: ${fp.slice(0, 12)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (e) {
  console.error(`Could not import the lab image into Incus/LXD: ${(e as Error).message}`);
  process.exitCode = 1;
}
