/**
 * Provisioning speed on the Linux lab provider (root), all in one run so the
 * ratios compare like with like on this noisy machine:
 * - the seed lab's VMs (create, boot, SSH) in parallel vs one after another;
 * - the full seed lab in parallel vs concurrency 1, and the no-op re-apply.
 *   sudo npx tsx bench/lab-provision.bench.ts [--vms-only]
 */
import { halab, LABS_DIR, requireRoot, secs } from './lab-lib';

requireRoot('The provisioning benchmark');
const FILE = 'lab-blueprints/vmware-3tier-ha.yaml';
const vmsOnly = process.argv.includes('--vms-only');
console.log(`labs in ${LABS_DIR}`);

await halab('down', FILE, '--provider', 'linux');
process.on('exit', (code) => code && console.log(`(this run failed, clean up with: HALAB_LABS_DIR=${LABS_DIR} npx halab down ${FILE})`));
const vmsPar = await halab('up', FILE, '--provider', 'linux', '--stage', 'vms', '--concurrency', '4');
await halab('down', FILE);
const vmsSeq = await halab('up', FILE, '--provider', 'linux', '--stage', 'vms', '--concurrency', '1');
await halab('down', FILE);
console.log('\nseed lab VMs (create + boot + SSH), 6 VMs');
console.log(`  parallel (4)   ${secs(vmsPar)}`);
console.log(`  sequential (1) ${secs(vmsSeq)}`);
console.log(`  sequential / parallel = ${(vmsSeq / vmsPar).toFixed(2)}`);

if (!vmsOnly) {
  const fullPar = await halab('up', FILE, '--provider', 'linux', '--concurrency', '4');
  const noop = await halab('up', FILE, '--provider', 'linux', '--concurrency', '4');
  await halab('down', FILE);
  const fullSeq = await halab('up', FILE, '--provider', 'linux', '--concurrency', '1');
  await halab('down', FILE);
  console.log('\nfull seed lab (VMs, system, services, DB, firewall, verify)');
  console.log(`  first provision, parallel (4)   ${secs(fullPar)}`);
  console.log(`  first provision, sequential (1) ${secs(fullSeq)}`);
  console.log(`  sequential / parallel = ${(fullSeq / fullPar).toFixed(2)}`);
  console.log(`  no-op re-apply                  ${secs(noop)}  (${((noop / fullPar) * 100).toFixed(1)} % of a first provision)`);
}
