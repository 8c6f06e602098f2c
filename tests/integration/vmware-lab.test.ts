/**
 * The seed lab (engine MariaDB, see FILE) through the VMware driver with real guests (root, no mocks but
 * vmrun's control plane): `halab up lab-blueprints/vmware-3tier-ha.yaml
 * --provider vmware` against the fake vmrun with FAKE_VMRUN_GUESTS=linux-lab,
 * so every VM the driver clones and starts is a real systemd-nspawn guest on
 * a guarded bridge, found through getGuestIPAddress, reached over SSH with the
 * key cloud-init's guestinfo put there, configured by netplan matched by MAC.
 * Then the VIP and the replica are checked, `lb-master-down` (power-off via
 * `vmrun stop … hard`) and `db-primary-down` drills must pass, a second `up`
 * changes nothing, and `halab down` leaves nothing behind.
 *
 * halab runs as root here, so HALAB_ALLOW_ROOT=1 is set (VMware up is refused
 * as root otherwise). The fake's own networking file stands in for
 * /etc/vmware (HALAB_VMWARE_ETC_DIR), and the fake's own template is used.
 * Never skipped: on a machine that cannot run it, it fails and says why.
 *
 * Every `halab` and fake `vmrun` call runs from a copy of the product taken
 * when the run starts (TREE): the CLI runs the TypeScript sources through
 * tsx, so a renderer edited in the checkout during these minutes would make
 * the second `up` compare two different products and "change" what the edit
 * changed (once: both load balancers' services, while nginx.ts and
 * keepalived.ts were being edited). The no-op check is about one product.
 * Cleanup by hand after a crash: `npx tsx tests/fake-vmrun/guests/cleanup.ts STATE_DIR`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src-main/exec/runner';
import { ensureLabKey } from '../../src-main/guest/lab-keys';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver';
import { GuestPool } from '../../src-main/lab/guest-pool';
import { grafanaRuns } from '../../src-main/provision/grafana-steps';
import { labRef } from '../../src-main/lab/lab-home';
import { sql } from '../../src-main/lab/sql';
import type { DrillReport } from '../../src-main/shared/drills/report';
import { validateBlueprintText } from '../../src-main/shared/blueprint/validate';
import { cleanupGuests, guestLeftovers } from '../fake-vmrun/guests/linux-lab';
import { tcpProbe } from '../helpers/net';
import { ROOT } from '../helpers/paths';

const work = mkdtempSync(join(tmpdir(), 'halab-it-vmware-'));
// The seed blueprint as shipped, but for its database engine: the guests boot the Linux lab's
// Debian image, which has MariaDB and no MySQL 8 server (and lab guests have no internet to
// install one), exactly the choice the Linux provider makes by itself.
const FILE = join(work, 'vmware-3tier-ha.yaml');
const seedText = readFileSync(join(ROOT, 'lab-blueprints/vmware-3tier-ha.yaml'), 'utf8');
if (!/^\s+engine: mysql8\b/m.test(seedText)) throw new Error('The seed blueprint no longer says engine: mysql8; update this test.');
writeFileSync(FILE, seedText.replace(/^(\s+)engine: mysql8\b.*$/m, '$1engine: mariadb'));
const resolved = validateBlueprintText(readFileSync(FILE, 'utf8')).resolved!;
const stateDir = join(work, 'fake-state');
const etcDir = join(work, 'etc-vmware');
const labsDir = join(work, 'labs');
// The product as it is now, for every process this run starts (see the header).
const TREE = join(work, 'tree');
for (const p of ['package.json', 'bin', 'src-main', 'resources', 'lab-blueprints', 'tests/fake-vmrun']) cpSync(join(ROOT, p), join(TREE, p), { recursive: true });
symlinkSync(join(ROOT, 'node_modules'), join(TREE, 'node_modules'));
const VMRUN = join(TREE, 'tests/fake-vmrun/vmrun');
const env: Record<string, string> = {
  NO_COLOR: '1',
  HALAB_LABS_DIR: labsDir,
  HALAB_DATA_DIR: join(work, 'data'),
  HALAB_VMRUN: VMRUN,
  HALAB_VMWARE_ETC_DIR: etcDir,
  HALAB_ALLOW_ROOT: '1',
  // The template the fake makes itself in its state folder (guests/light.mjs).
  HALAB_TEMPLATE_UBUNTU_22_04: join(stateDir, 'templates', 'ubuntu-22.04', 'template.vmx'),
  FAKE_VMRUN_GUESTS: 'linux-lab',
  FAKE_VMRUN_STATE: stateDir,
  FAKE_VMWARE_ETC: etcDir,
};
Object.assign(process.env, env); // the in-process driver and SSH pool use the same fake
const lab = labRef(resolved.name, labsDir);
const hv = new VmwareDriver({ vmrunPath: VMRUN, vmwareEtcDir: etcDir });
let pool: GuestPool | undefined;
let downDone = false;

const halab = (...args: string[]) => run(['node', join(TREE, 'bin/halab.mjs'), ...args], { cwd: TREE, okExitCodes: [0, 1, 2, 3], timeoutMs: 1_200_000, env });
const vmrun = (...args: string[]) => run([VMRUN, ...args], { okExitCodes: [0, 255], env, quiet: true });
const fakeState = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { vms: Record<string, { power: string }> };
const vmCalls = () =>
  readFileSync(join(stateDir, 'calls.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tool: string; argv: string[] });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('The VMware-with-real-guests integration test must run as root (the guests are namespaces, bridges and containers).');
  const u = await new LinuxLabProvider().checkUsable();
  if (!u.usable) throw new Error(`Real guests cannot run here: ${u.reason} ${u.fix ?? ''}`);
  const r = await halab('up', FILE, '--provider', 'vmware', '--reconfigure-vmnet8');
  if (r.exitCode !== 0) throw new Error(`halab up --provider vmware failed (exit ${r.exitCode}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
  pool = new GuestPool({ hv, lab, resolved, key: await ensureLabKey(lab.dir, lab.id) });
}, 1_500_000);

afterAll(async () => {
  await pool?.closeAll();
  if (!downDone) await halab('down', FILE).catch(() => undefined);
  await cleanupGuests(stateDir);
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('the seed lab through the VMware driver, with real guests behind the fake vmrun', { timeout: 300_000 }, () => {
  it('every VM is a running VMware VM (vmrun list) and a real guest', async () => {
    const listed = (await vmrun('list')).stdout;
    expect(listed).toContain(`Total running VMs: ${resolved.nodes.length}`);
    for (const n of resolved.nodes) expect(listed).toContain(`/vms/${n.hostname}/${n.hostname}.vmx`);
    const g = await pool!.get('db-master');
    expect((await g.exec(['hostname'])).stdout.trim()).toBe('db-master'); // from cloud-init's guestinfo metadata
    expect((await g.exec(['systemctl', 'is-system-running'])).stdout.trim()).toMatch(/running|degraded/);
  });

  it('netplan matched each NIC by the MAC the .vmx gives it', async () => {
    for (const n of resolved.nodes) {
      const vmx = readFileSync(join(lab.dir, 'vms', n.hostname, `${n.hostname}.vmx`), 'utf8');
      const g = await pool!.get(n.hostname);
      const links = JSON.parse((await g.exec(['ip', '-j', 'addr', 'show'])).stdout) as { ifname: string; address?: string; addr_info: { family: string; local: string }[] }[];
      n.nics.forEach((nic, i) => {
        const mac = new RegExp(`^ethernet${i}\\.address\\s*=\\s*"([^"]+)"`, 'mi').exec(vmx)?.[1]?.toLowerCase();
        const link = links.find((l) => l.address?.toLowerCase() === mac);
        expect(link, `${n.hostname} NIC ${i} (${mac})`).toBeDefined();
        expect(link!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local)).toContain(nic.address);
        expect(link!.ifname).toBe(`ens${33 + i}`);
      });
    }
  });

  it('answers through the VIP with HTTP 200 from both app servers', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await fetch('http://192.168.10.100/', { signal: AbortSignal.timeout(5000) });
      expect(r.status).toBe(200);
      seen.push(r.headers.get('x-served-by') ?? '?');
    }
    expect(new Set(seen)).toEqual(new Set(['app-server-01', 'app-server-02']));
  });

  it('a reservation created through the VIP reaches the replica', async () => {
    const res = await fetch('http://192.168.10.100/api/reservations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '김철수', phone: '010-1234-5678', issue: 'leaking pipe under the sink' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(201);
    const { reservationNo } = (await res.json()) as { reservationNo: string };
    const replica = await pool!.get('db-slave');
    const started = Date.now();
    let found = '';
    while (Date.now() - started < 5000 && !found.includes('김철수')) {
      found = await sql(replica, `SELECT name FROM reservations.reservations WHERE reservation_no = '${reservationNo.replace(/[^A-Za-z0-9-]/g, '')}';\n`);
    }
    expect(found).toContain('김철수');
  });

  describe('failover drills (halab drill)', () => {
    const drill = async (name: string): Promise<DrillReport> => {
      const r = await halab('drill', FILE, name, '--json');
      expect(r.stdout, r.stderr.slice(-2000)).toMatch(/"verdict"/);
      return JSON.parse(r.stdout) as DrillReport;
    };
    const explain = (rep: DrillReport) => `${rep.verdictText}\n${JSON.stringify(rep.measurements)}`;

    it('lb-master-down: powered off through vmrun stop hard, the VIP moves within the master-down interval and back', async () => {
      const before = vmCalls().length;
      const rep = await drill('lb-master-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      const m = rep.measurements!;
      expect(m.vipMoveMs).toBeGreaterThan(0);
      expect(m.vipMoveMs!).toBeLessThan(m.masterDownIntervalMs! + 2000);
      expect(m.vipBackMs).toBeDefined();
      const calls = vmCalls().slice(before).filter((c) => c.tool === 'vmrun').map((c) => c.argv.join(' '));
      expect(calls.some((c) => /^-T ws stop \S+\/lb-master\.vmx hard$/.test(c) || /stop \S+\/lb-master\.vmx hard$/.test(c)), calls.join('\n')).toBe(true);
      expect(calls.some((c) => /start \S+\/lb-master\.vmx nogui$/.test(c))).toBe(true);
    });

    it('db-primary-down: the replica is promoted and no acknowledged row is lost', async () => {
      const rep = await drill('db-primary-down');
      expect(rep.verdict, explain(rep)).toBe('passed');
      expect(rep.measurements!.promotedMs).toBeGreaterThan(0);
      expect(rep.measurements!.rowsAcknowledged).toBeGreaterThan(0);
      expect(rep.measurements!.rowsLost).toBe(0);
    });
  });

  it('Grafana, Loki and promtail: the guests have no internet, so nothing is installed, no port is opened, and the dashboard has no Grafana link', async () => {
    // grafana-steps.ts ran on every VM (VMware) and recorded that nothing runs.
    const record = JSON.parse(readFileSync(join(lab.dir, 'grafana.json'), 'utf8')) as Record<string, boolean>;
    expect(record).toEqual(Object.fromEntries(resolved.nodes.map((n) => [n.hostname, false])));
    const g = await pool!.get('lb-slave');
    const dpkg = await g.exec(['sh', '-c', 'for p in grafana loki promtail; do dpkg-query -W -f=\'${Status}\\n\' "$p" 2>/dev/null | grep -q "install ok installed" && echo "$p"; done; true']);
    expect(dpkg.stdout.trim()).toBe('');
    const ufw = (await g.exec(['ufw', 'status'])).stdout;
    expect(ufw).toMatch(/9090/); // the rules are there (Prometheus for the admin sources) …
    expect(ufw).not.toMatch(/3100|halab (grafana|loki)/); // … but none for what does not run
    expect(await grafanaRuns(lab, { lab: resolved } as never)).toBe(false);
  });

  it('a second halab up changes nothing', async () => {
    await pool?.closeAll();
    const r = await halab('up', FILE, '--provider', 'vmware', '--reconfigure-vmnet8', '--json');
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const why = r.stdout.split('\n').filter((l) => /"log"|"changed":true/.test(l)).slice(-40).join('\n');
    expect(result.changed, why).toEqual([]);
    expect(result.failed).toEqual([]);
    // Each VM's Grafana step said why it installed nothing (the repository is unreachable).
    expect(r.stdout.match(/"code":"mon\.log\.offline"/g)?.length).toBe(resolved.nodes.length);
  }, 600_000);

  it('halab down leaves no VM in the fake and no namespace, bridge, mount or process', async () => {
    await pool?.closeAll();
    const r = await halab('down', FILE);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    downDone = true;
    expect((await vmrun('list')).stdout.trim()).toBe('Total running VMs: 0');
    const vms = Object.keys(fakeState().vms).filter((v) => !v.endsWith('/template.vmx'));
    expect(vms).toEqual([]);
    const left = await guestLeftovers(stateDir);
    // Guard routes stay after down on purpose (as in the Linux lab); afterAll's cleanup releases them.
    expect({ ...left, guards: [] }).toEqual({ netns: [], links: [], mounts: [], processes: [], forwardRules: [], guards: [], nspawnState: [] });
    // With the bridge gone, the guard keeps lab traffic on this machine: it fails at once.
    const probe = await tcpProbe('192.168.10.100', 80, 3000);
    expect(['EHOSTUNREACH', 'ENETUNREACH']).toContain(probe.result);
    expect(probe.ms).toBeLessThan(1000);
  }, 300_000);
});
