// Shared state handling for the fake VMware tools (fake-vmrun.mjs, fake-vmware-networks.mjs).
// State lives in $FAKE_VMRUN_STATE: state.json (VMs, snapshots, DHCP allocations),
// calls.log (one JSON line per invocation), fail-next.json ({ "<command>": n } transient
// failures to inject), holders.txt (pids of processes left holding pipes by `start gui`).
import fs from 'node:fs';
import path from 'node:path';

export const STATE_DIR = process.env.FAKE_VMRUN_STATE;
if (!STATE_DIR) {
  process.stdout.write('Error: FAKE_VMRUN_STATE is not set (fake vmrun needs a state folder)\n');
  process.exit(255);
}
fs.mkdirSync(STATE_DIR, { recursive: true });
export const ETC_DIR = process.env.FAKE_VMWARE_ETC || path.join(STATE_DIR, 'etc');

const STATE_FILE = path.join(STATE_DIR, 'state.json');
const LOCK_DIR = path.join(STATE_DIR, 'state.lock');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return { vms: {}, dhcp: {} };
  }
}

function writeState(state) {
  const tmp = `${STATE_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 1));
  fs.renameSync(tmp, STATE_FILE);
}

/** Read-modify-write the state under a mkdir lock (several fake processes run at once). */
export async function withState(fn) {
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (i > 2000) fs.rmSync(LOCK_DIR, { recursive: true, force: true });
      await sleep(5);
    }
  }
  try {
    const state = readState();
    const result = await fn(state);
    writeState(state);
    return result;
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

export function logCall(tool, argv, extra = {}) {
  fs.appendFileSync(path.join(STATE_DIR, 'calls.log'), `${JSON.stringify({ tool, argv, t: Date.now(), pid: process.pid, ...extra })}\n`);
}

/** Consume one injected failure for `command`, if any. */
export async function takeInjectedFailure(command) {
  const file = path.join(STATE_DIR, 'fail-next.json');
  if (!fs.existsSync(file)) return false;
  return withState(() => {
    const plan = JSON.parse(fs.readFileSync(file, 'utf8'));
    const n = plan[command] ?? 0;
    if (n <= 0) return false;
    plan[command] = n - 1;
    fs.writeFileSync(file, JSON.stringify(plan));
    return true;
  });
}

/** `answer VNET_<n>_<KEY> <value>` lines of the networking file, by VMnet number. */
export function readNetworking() {
  const nets = {};
  let text = '';
  try {
    text = fs.readFileSync(path.join(ETC_DIR, 'networking'), 'utf8');
  } catch {
    return nets;
  }
  for (const line of text.split('\n')) {
    const m = /^answer\s+VNET_(\d+)_([A-Z0-9_]+)\s+(.*?)\s*$/.exec(line.trim());
    if (m) (nets[m[1]] ??= {})[m[2]] = m[3];
  }
  return nets;
}

export const ipToInt = (ip) => ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
export const intToIp = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

function leaseDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Like VMware's DHCP server: give `mac` an address from .128 up on VMnet `n` and append a lease that starts at `startsAt`. */
export function dhcpLease(state, n, mac, startsAt) {
  const net = readNetworking()[n];
  if (!net || net.DHCP !== 'yes' || !net.HOSTONLY_SUBNET) return undefined;
  const pool = (state.dhcp[n] ??= {});
  let ip = pool[mac];
  if (!ip) {
    const used = new Set(Object.values(pool));
    for (let host = 128; host < 254 && !ip; host++) {
      const candidate = intToIp(ipToInt(net.HOSTONLY_SUBNET) + host);
      if (!used.has(candidate)) ip = candidate;
    }
    pool[mac] = ip;
  }
  const dir = path.join(ETC_DIR, `vmnet${n}`, 'dhcpd');
  fs.mkdirSync(dir, { recursive: true });
  const ends = new Date(startsAt.getTime() + 1800_000);
  fs.appendFileSync(
    path.join(dir, 'dhcpd.leases'),
    `lease ${ip} {\n  starts ${leaseDate(startsAt)};\n  ends ${leaseDate(ends)};\n  hardware ethernet ${mac};\n  client-hostname "guest";\n}\n`,
  );
  return ip;
}
