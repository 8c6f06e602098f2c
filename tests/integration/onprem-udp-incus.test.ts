/**
 * The zone router off the Linux lab provider, for real on Incus/LXD (no
 * mocks): `tests/integration/onprem-udp-lab.yaml` (a router between an app
 * and a management zone, a UDP rule for syslog). An Incus container has no
 * host-side sysctl path (`setNetSysctls`), so `zones:forwarding` writes the
 * router's /etc/sysctl.d file and applies it inside the guest over SSH
 * (`sysctl -p`); the zone verify then probes the matrix through that router,
 * UDP included (an echo listener answering on 514/udp, a denied UDP port
 * rejected). A second `up` changes nothing; `down` leaves nothing. One lab.
 * Never skipped: without root or the daemon it fails and says why.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { IncusProvider } from '../../src-main/hypervisor/incus';
import type { Hypervisor } from '../../src-main/hypervisor/types';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { labRef } from '../../src-main/lab/lab-home';
import { UDP_DENIED_PROBE_PORT } from '../../src-main/provision/zone-verify';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { ROOT } from '../helpers/paths';

const FILE = join(ROOT, 'tests/integration/onprem-udp-lab.yaml');
const resolved = validateBlueprintText(readFileSync(FILE, 'utf8')).resolved!;
const labsDir = mkdtempSync(join(tmpdir(), 'halab-it-onprem-udp-'));
process.env.HALAB_LABS_DIR = labsDir;
const env = { NO_COLOR: '1', HALAB_LABS_DIR: labsDir };
const lab = labRef(resolved.name);
const hv = new IncusProvider();
const halab = (...args: string[]) => run(['node', join(ROOT, 'bin/halab.mjs'), ...args], { cwd: ROOT, okExitCodes: [0, 1, 2, 3], timeoutMs: 600_000, env });

interface JsonLine { type: string; step?: string; line?: string; title?: string; titleMsg?: { code: string }; changed?: string[]; failed?: unknown[] }
const jsonLines = (stdout: string): JsonLine[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonLine);
let first: JsonLine[] = [];
let pool: GuestPool | undefined;
const logsOf = (step: string) => first.filter((l) => l.type === 'log' && l.step === step).map((l) => l.line ?? '');

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The Incus integration tests must run as root (they guard the lab subnets with host routes).');
  const u = await hv.checkUsable();
  if (!u.usable) throw new Error(`Incus/LXD cannot run here: ${u.reason} ${u.fix ?? ''} (sudo bash scripts/incus/setup.sh)`);
  await hv.cleanupLab(lab, { keepGuards: true });
  // --concurrency 1: the provider creates the lab's project from the first network step, and two
  // networks created at once raced on it here ("projects entry already exists").
  const r = await halab('up', FILE, '--provider', 'incus', '--concurrency', '1', '--json');
  if (r.exitCode !== 0) throw new Error(`halab up --provider incus failed (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-5000)}`);
  first = jsonLines(r.stdout);
  pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
}, 600_000);
afterAll(async () => {
  await pool?.closeAll();
  await halab('down', FILE).catch(() => undefined);
  await hv.cleanupLab(lab, { keepGuards: true }).catch(() => undefined);
}, 300_000);

describe('a zone router on Incus/LXD, with a UDP rule', { timeout: 300_000 }, () => {
  it('zones:forwarding applied the router\'s sysctl.d file inside the guest (no host-side path on Incus)', async () => {
    expect((hv as Hypervisor).setNetSysctls).toBeUndefined();
    const start = first.find((l) => l.type === 'start' && l.step === 'zones:forwarding');
    expect(start?.titleMsg?.code).toBe('z.step.forwardingGuest');
    const lines = logsOf('zones:forwarding').join('\n');
    expect(lines).toContain('/etc/sysctl.d/61-halab-router.conf applied inside fw (sysctl -q -p /etc/sysctl.d/61-halab-router.conf)');
    expect(lines).toMatch(/router kernel settings now in effect: net\.ipv4\.ip_forward=1/);
    const result = first.find((l) => l.type === 'result')!;
    expect(result.changed).toContain('zones:forwarding');
    const fw = await pool!.get('fw');
    const out = (await fw.exec(['sysctl', '-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.ens33.rp_filter', 'net.ipv4.conf.ens34.rp_filter', 'net.ipv4.conf.all.send_redirects', 'net.ipv4.conf.ens33.send_redirects', 'net.ipv4.conf.ens34.send_redirects'])).stdout.trim().split('\n');
    expect(out).toEqual(['1', '1', '1', '1', '0', '0', '0']);
    // The other VMs do not forward.
    expect((await (await pool!.get('web1')).exec(['cat', '/proc/sys/net/ipv4/ip_forward'])).stdout.trim()).toBe('0');
  });

  it('zones:verify probed TCP and UDP through the router: the syslog datagram echoed, a denied UDP port and the denied TCP samples rejected', () => {
    const lines = logsOf('zones:verify');
    const text = lines.join('\n');
    expect(text).toContain('zone matrix: 2/2 allowed connected, 3/3 denied refused');
    expect(text).toContain('ok   app → management 514/udp allowed: web1 → logs (10.142.100.10) answered (UDP echo) (UDP echo listener of the probe)');
    expect(text).toContain(`ok   app → management ${UDP_DENIED_PROBE_PORT}/udp denied: web1 → logs (10.142.100.10) rejected by the router (admin prohibited)`);
    expect(text).toMatch(/ok {3}management → app 9100\/tcp allowed: logs → web1 \(10\.142\.10\.21\) connected/);
    expect(lines.filter((l) => / \d+\/tcp denied: /.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  });

  it('a second halab up changes nothing', async () => {
    const r = await halab('up', FILE, '--provider', 'incus', '--json');
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    const result = jsonLines(r.stdout).find((l) => l.type === 'result')!;
    expect(result.changed).toEqual([]);
    expect(result.failed).toEqual([]);
  });

  it('halab down leaves no instance, network, image alias or project', async () => {
    await pool?.closeAll();
    const r = await halab('down', FILE);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    expect(await hv.leftovers(lab)).toEqual({ instances: [], networks: [], aliases: [], project: [] });
  });
});
