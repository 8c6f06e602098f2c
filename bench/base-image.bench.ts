/**
 * The Linux lab base image: a cold build (new cache folder; packages already
 * downloaded by an earlier build are reused from the shared .deb cache when
 * present, as on a developer machine) against finding it cached.
 *   sudo npx tsx bench/base-image.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBaseImageDetailed } from '../src-main/hypervisor/linux/base-image';
import { requireRoot, secs } from './lab-lib';

requireRoot('The base image benchmark');
const cache = mkdtempSync(join('/var/tmp', 'halab-bench-cache-'));
try {
  const cold = await ensureBaseImageDetailed({ cacheDir: cache });
  const cached = await ensureBaseImageDetailed({ cacheDir: cache });
  console.log('Linux lab base image');
  console.log(`  cold build   ${secs(cold.durationMs)}`);
  console.log(`  cached       ${cached.durationMs} ms`);
  console.log(`  cold / cached = ${(cold.durationMs / Math.max(1, cached.durationMs)).toFixed(0)}`);
} finally {
  rmSync(cache, { recursive: true, force: true });
}
