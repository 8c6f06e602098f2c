/**
 * By hand, after a crashed test or `halab up` with FAKE_VMRUN_GUESTS=linux-lab:
 *
 *   sudo npx tsx tests/fake-vmrun/guests/cleanup.ts [FAKE_VMRUN_STATE]
 *
 * kills the fake's real guests and removes their mounts, namespaces, veths,
 * bridges, dnsmasq, forwarding rules and (where no other lab holds them) guard
 * routes, then prints what is left (nothing, normally). The fake's VMware
 * bookkeeping (state.json, .vmx files) is not touched.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupGuests, guestLeftovers, shadowLab } from './linux-lab';

const stateDir = process.argv[2] ?? process.env.FAKE_VMRUN_STATE ?? join(process.env.TMPDIR || tmpdir(), `halab-fake-vmrun-${process.getuid?.() ?? 0}`);
const lab = shadowLab(stateDir);
await cleanupGuests(stateDir);
const left = await guestLeftovers(stateDir);
const rest = Object.entries(left).filter(([, v]) => (v as string[]).length > 0);
console.log(rest.length ? `Still there for ${lab.id}: ${JSON.stringify(Object.fromEntries(rest))}` : `Nothing of ${lab.id} (${lab.dir}) is left.`);
process.exitCode = rest.length ? 1 : 0;
