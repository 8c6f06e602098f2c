/**
 * Build (once) or find the Linux lab base image, printing how long it took.
 * Called by CI and by `scripts/linux-lab/setup.sh`:
 *   npx tsx scripts/linux-lab/ensure-base-image.ts [--prune]
 * Idempotent and fast when the image for the current recipe is cached.
 * `--prune` also deletes older cached images that no running VM uses.
 */
import { ensureBaseImageDetailed, pruneBaseImages } from '../../src-main/hypervisor/linux/base-image';

const started = Date.now();
try {
  const img = await ensureBaseImageDetailed({ log: (line) => console.log(line) });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`linux-lab base image: ${img.path}`);
  if (process.argv.includes('--prune')) await pruneBaseImages(img.path, { log: (line) => console.log(line) });
  console.log(img.cached ? `linux-lab base image: cached (${secs} s)` : `linux-lab base image: cold build ${secs} s`);
} catch (e) {
  console.error(`Could not build the Linux lab base image: ${(e as Error).message}`);
  process.exitCode = 1;
}
