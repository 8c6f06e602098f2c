#!/usr/bin/env node
// A fake `vmrun` for the VMware driver's tests. It follows reference/vmware.md:
// `vmrun [-T ws] [-gu U -gp P] <command> <vmx> [args]`, results on stdout, errors as
// `Error: …` on STDOUT with exit 255, the banner when run without arguments.
// Knobs (env): FAKE_VMRUN_STATE (required), FAKE_VMWARE_ETC (networking file + leases),
// FAKE_VMRUN_IP_DELAY_MS (guest address appears this long after start, default 800),
// FAKE_VMRUN_FLAKY (probability of a transient failure on read-only commands),
// FAKE_VMRUN_BAD_IP=1 (getGuestIPAddress answers a docker .1 address),
// FAKE_VMRUN_GUI_HOLD_MS (how long `start … gui` leaves a pipe-holding child, default 20000),
// FAKE_VMRUN_SOFT_STOP_MS (soft stop duration, default 100), FAKE_VMRUN_OP_MS (duration of
// mutating commands, default 0; two at once on one VM fail with "file is already in use").
// FAKE_VMRUN_GUESTS=linux-lab: every powered-on VM is also a real Linux-lab guest (see
// guests/linux-lab.ts): start boots it, stop soft/hard shuts it down / kills it, deleteVM
// removes it, and the guest's address is what it really has (answered once it has one).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { dhcpLease, ETC_DIR, logCall, readNetworking, readState, sleep, STATE_DIR, takeInjectedFailure, withState } from './fake-lib.mjs';
import { ensureGuestDefaults, GUESTS, guestAddresses, guestAlive, guestOps } from './guests/light.mjs';

const READ_ONLY = new Set(['list', 'listsnapshots', 'getguestipaddress', 'readvariable', 'checktoolsstate', 'listhostnetworks']);
const env = process.env;
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));

class Fail extends Error {}
const fail = (text) => {
  throw new Fail(text);
};
const out = (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

const BANNER = `vmrun version 1.17.0 build-24995812

Usage: vmrun [AUTHENTICATION-FLAGS] COMMAND [PARAMETERS]

AUTHENTICATION-FLAGS
--------------------
These must appear before the command and any command parameters.

   -T <hostType> (ws|fusion|player)
   -vp <password for encrypted virtual machine>
   -gu <userName in guest OS>
   -gp <password in guest OS>
`;

// --- .vmx helpers (deliberately independent of the code under test) ---
function vmxRead(file) {
  const map = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([^#=\s][^=]*?)\s*=\s*"(.*)"\s*$/.exec(line);
    if (m) map[m[1].toLowerCase()] = m[2];
  }
  return map;
}
function vmxSet(text, key, value) {
  const re = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=.*$`, 'im');
  return re.test(text) ? text.replace(re, `${key} = "${value}"`) : `${text.replace(/\n?$/, '\n')}${key} = "${value}"\n`;
}
const uuid = () => {
  const h = [...randomBytes(16)].map((b) => b.toString(16).padStart(2, '0'));
  return `${h.slice(0, 8).join(' ')}-${h.slice(8).join(' ')}`;
};
const genMac = () => `00:0c:29:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

const keyOf = (vmx) => path.resolve(vmx);
function mustExist(vmx) {
  if (!vmx) fail('Error: Invalid argument: the path to the .vmx file is missing');
  if (!fs.existsSync(vmx)) fail(`Error: Cannot open VM: ${vmx}, The virtual machine cannot be found`);
}
const vmOf = (state, vmx) => (state.vms[keyOf(vmx)] ??= { vmx: keyOf(vmx), power: 'off', snapshots: [], current: null, lastUid: 0, guestVars: {}, devices: {} });
const lck = (vmx) => `${vmx}.lck`;
const vmss = (vmx) => vmx.replace(/\.vmx$/i, '.vmss');
function mustRun(vm, vmx) {
  if (vm.power !== 'running') fail(`Error: The virtual machine is not powered on: ${vmx}`);
}

function writeVmsd(vm) {
  const vmsd = vm.vmx.replace(/\.vmx$/i, '.vmsd');
  if (!fs.existsSync(path.dirname(vmsd))) return;
  const lines = ['.encoding = "UTF-8"', `snapshot.lastUID = "${vm.lastUid}"`, `snapshot.numSnapshots = "${vm.snapshots.length}"`];
  if (vm.current) lines.push(`snapshot.current = "${vm.current}"`);
  vm.snapshots.forEach((s, i) => {
    lines.push(`snapshot${i}.uid = "${s.uid}"`, `snapshot${i}.filename = "${s.file}"`, `snapshot${i}.displayName = "${s.name}"`, `snapshot${i}.type = "1"`);
    if (s.parent) lines.push(`snapshot${i}.parent = "${s.parent}"`);
    if (s.numClones) lines.push(`snapshot${i}.numClones = "${s.numClones}"`);
  });
  fs.writeFileSync(vmsd, `${lines.join('\n')}\n`);
}

function nicsOf(vmx) {
  const v = vmxRead(vmx);
  const nics = [];
  for (let i = 0; i < 10; i++) {
    if ((v[`ethernet${i}.present`] ?? '').toUpperCase() !== 'TRUE') continue;
    const vnet = /(\d+)$/.exec(v[`ethernet${i}.vnet`] ?? '')?.[1] ?? (v[`ethernet${i}.connectiontype`] === 'nat' ? '8' : '1');
    const mac = (v[`ethernet${i}.address`] ?? v[`ethernet${i}.generatedaddress`] ?? '').toLowerCase();
    nics.push({ index: i, vnet, mac });
  }
  return nics;
}

function powerOn(state, vm, vmx) {
  vm.power = 'running';
  vm.startedAt = Date.now();
  vm.guestVars = {};
  fs.rmSync(vmss(vmx), { force: true });
  fs.mkdirSync(lck(vmx), { recursive: true });
  if (GUESTS) return; // real guests get their addresses from the VMnet's DHCP (dnsmasq)
  const readyAt = new Date(Date.now() + num(env.FAKE_VMRUN_IP_DELAY_MS, 800));
  vm.ips = {};
  for (const nic of nicsOf(vmx)) {
    if (!nic.mac) continue;
    const ip = dhcpLease(state, nic.vnet, nic.mac, readyAt);
    if (ip) vm.ips[nic.index] = ip;
  }
  vm.readyAt = readyAt.getTime();
}
function powerOff(vm, vmx) {
  vm.power = 'off';
  fs.rmSync(lck(vmx), { recursive: true, force: true });
}

/** The guest's primary address once "Tools" have reported it. */
function guestIp(vm) {
  if (GUESTS) return vm.power === 'running' ? guestAddresses(vm.guest)[0] : undefined;
  if (vm.power !== 'running' || Date.now() < (vm.readyAt ?? Infinity)) return undefined;
  return vm.ips?.[0];
}

/** Is this VM's real guest up (with FAKE_VMRUN_GUESTS=linux-lab; always true without)? */
const guestUp = (vm) => !GUESTS || guestAlive(vm.guest) === true;

/** Boot the VM's real guest from its .vmx (outside the state lock: booting takes seconds). */
async function bootGuest(vmx) {
  const ops = await guestOps();
  return ops.powerOnGuest({ stateDir: STATE_DIR, vmxPath: keyOf(vmx), vmx: vmxRead(vmx), nics: nicsOf(vmx), vnets: readNetworking() });
}

async function mutate(vmx, fn, outside) {
  // One operation per VM at a time, like Workstation: a second one while busy is refused.
  const busy = `${keyOf(vmx)}.fake-busy`;
  try {
    fs.mkdirSync(busy);
  } catch {
    fail('Error: The file is already in use');
  }
  try {
    const opMs = num(env.FAKE_VMRUN_OP_MS, 0);
    if (opMs) await sleep(opMs);
    const pre = outside ? await outside() : undefined;
    return await withState((state) => fn(state, pre));
  } finally {
    fs.rmSync(busy, { recursive: true, force: true });
  }
}

const commands = {
  async list() {
    const running = Object.values(readState().vms).filter((v) => v.power === 'running' && fs.existsSync(v.vmx) && guestUp(v));
    out([`Total running VMs: ${running.length}`, ...running.map((v) => v.vmx)].join('\n'));
  },

  async start([vmx, mode = 'gui']) {
    mustExist(vmx);
    const before = readState().vms[keyOf(vmx)];
    const needsBoot = GUESTS && !(before?.power === 'running' && guestUp(before));
    await mutate(
      vmx,
      (state, guest) => {
        const vm = vmOf(state, vmx);
        if (vm.power !== 'running' || guest) powerOn(state, vm, vmx);
        if (guest) vm.guest = guest;
      },
      needsBoot ? () => bootGuest(vmx) : undefined,
    );
    if (mode === 'gui') {
      // Like vmware.exe: a child that inherits our stdout/stderr and keeps them open.
      const holder = spawn(process.execPath, ['-e', `setTimeout(() => {}, ${num(env.FAKE_VMRUN_GUI_HOLD_MS, 20000)})`], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
      fs.appendFileSync(path.join(STATE_DIR, 'holders.txt'), `${holder.pid}\n`);
      holder.unref();
    }
  },

  async stop([vmx, mode = 'soft']) {
    mustExist(vmx);
    mustRun(readState().vms[keyOf(vmx)] ?? {}, vmx);
    if (mode === 'soft' && !GUESTS) await sleep(num(env.FAKE_VMRUN_SOFT_STOP_MS, 100));
    await mutate(
      vmx,
      (state) => {
        const vm = vmOf(state, vmx);
        mustRun(vm, vmx);
        powerOff(vm, vmx);
      },
      GUESTS ? async () => (await guestOps()).powerOffGuest(STATE_DIR, keyOf(vmx), mode === 'hard' ? 'hard' : 'soft') : undefined,
    );
  },

  async reset([vmx, mode = 'soft']) {
    mustExist(vmx);
    mustRun(readState().vms[keyOf(vmx)] ?? {}, vmx);
    await mutate(
      vmx,
      (state, guest) => {
        const vm = vmOf(state, vmx);
        mustRun(vm, vmx);
        powerOn(state, vm, vmx);
        if (guest) vm.guest = guest;
      },
      GUESTS
        ? async () => {
            await (await guestOps()).powerOffGuest(STATE_DIR, keyOf(vmx), mode === 'hard' ? 'hard' : 'soft');
            return bootGuest(vmx);
          }
        : undefined,
    );
  },

  async suspend([vmx]) {
    mustExist(vmx);
    await mutate(
      vmx,
      (state) => {
        const vm = vmOf(state, vmx);
        mustRun(vm, vmx);
        powerOff(vm, vmx);
        vm.power = 'suspended';
        fs.writeFileSync(vmss(vmx), 'fake suspended state\n');
      },
      GUESTS ? async () => (await guestOps()).suspendGuest(STATE_DIR, keyOf(vmx)) : undefined,
    );
  },

  async snapshot([vmx, name]) {
    mustExist(vmx);
    if (!name) fail('Error: Invalid argument: snapshot name missing');
    await mutate(vmx, (state) => {
      const vm = vmOf(state, vmx);
      const uid = ++vm.lastUid;
      const file = `${path.basename(vmx, '.vmx')}-Snapshot${uid}.vmsn`;
      const vmxText = fs.readFileSync(vmx, 'utf8');
      fs.writeFileSync(path.join(path.dirname(vmx), file), vmxText);
      vm.snapshots.push({ uid, name, file, parent: vm.current, power: vm.power === 'running' ? 'running' : 'off', vmxText });
      vm.current = uid;
      writeVmsd(vm);
    });
  },

  async listsnapshots([vmx, tree]) {
    mustExist(vmx);
    const vm = readState().vms[keyOf(vmx)] ?? { snapshots: [] };
    const depth = (s) => (s.parent ? 1 + depth(vm.snapshots.find((p) => p.uid === s.parent) ?? {}) : 0);
    const lines = vm.snapshots.map((s) => (tree === 'showTree' ? '\t'.repeat(depth(s)) : '') + s.name);
    out([`Total snapshots: ${vm.snapshots.length}`, ...lines].join('\n'));
  },

  async reverttosnapshot([vmx, name]) {
    mustExist(vmx);
    // Real guests: the disk is not reverted (snapshots stay bookkeeping); a running guest is powered off.
    const running = GUESTS && readState().vms[keyOf(vmx)]?.power === 'running';
    await mutate(
      vmx,
      (state) => {
        const vm = vmOf(state, vmx);
        const snap = vm.snapshots.find((s) => s.name === name);
        if (!snap) fail('Error: The snapshot does not exist');
        if (vm.power === 'running') powerOff(vm, vmx);
        fs.writeFileSync(vmx, snap.vmxText);
        vm.power = snap.power === 'running' ? 'suspended' : 'off';
        if (vm.power === 'suspended') fs.writeFileSync(vmss(vmx), 'fake suspended state\n');
        else fs.rmSync(vmss(vmx), { force: true });
        vm.current = snap.uid;
        writeVmsd(vm);
      },
      running ? async () => (await guestOps()).powerOffGuest(STATE_DIR, keyOf(vmx), 'hard') : undefined,
    );
  },

  async deletesnapshot([vmx, name, children]) {
    mustExist(vmx);
    await mutate(vmx, (state) => {
      const vm = vmOf(state, vmx);
      const snap = vm.snapshots.find((s) => s.name === name);
      if (!snap) fail('Error: The snapshot does not exist');
      const doomed = new Set([snap.uid]);
      if (children === 'andDeleteChildren') {
        for (let grew = true; grew; ) {
          grew = false;
          for (const s of vm.snapshots) {
            if (s.parent && doomed.has(s.parent) && !doomed.has(s.uid)) {
              doomed.add(s.uid);
              grew = true;
            }
          }
        }
      } else {
        for (const s of vm.snapshots) if (s.parent === snap.uid) s.parent = snap.parent;
      }
      for (const s of vm.snapshots.filter((x) => doomed.has(x.uid))) fs.rmSync(path.join(path.dirname(vmx), s.file), { force: true });
      vm.snapshots = vm.snapshots.filter((s) => !doomed.has(s.uid));
      if (doomed.has(vm.current)) vm.current = snap.parent ?? null;
      writeVmsd(vm);
    });
  },

  async clone([src, dst, kind, ...rest]) {
    mustExist(src);
    if (!dst || !['full', 'linked'].includes(kind)) fail('Error: One of the parameters was invalid');
    const opt = (k) => rest.find((a) => a.startsWith(`-${k}=`))?.slice(k.length + 2);
    const snapName = opt('snapshot');
    const cloneName = opt('cloneName');
    if (fs.existsSync(lck(src))) fail('Error: The file is already in use');
    if (fs.existsSync(dst)) fail(`Error: The destination file already exists: ${dst}`);
    await mutate(src, (state) => {
      const source = vmOf(state, src);
      let text = fs.readFileSync(src, 'utf8');
      let snap;
      if (snapName) {
        snap = source.snapshots.find((s) => s.name === snapName);
        if (!snap) fail('Error: The snapshot does not exist');
        text = snap.vmxText;
      } else if (kind === 'linked') {
        fail('Error: One of the parameters was invalid');
      }
      const dir = path.dirname(dst);
      const base = path.basename(dst, '.vmx');
      fs.mkdirSync(dir, { recursive: true });
      const v = vmxRead(src);
      for (const [k, file] of Object.entries(v).filter(([k, val]) => /^\w+\d+:\d+\.filename$/.test(k) && /\.vmdk$/i.test(val))) {
        const disk = kind === 'linked' ? `${base}-cl1.vmdk` : `${base}.vmdk`;
        const parent = path.resolve(path.dirname(src), file);
        fs.writeFileSync(path.join(dir, disk), kind === 'linked' ? `# Disk DescriptorFile\nparentFileNameHint="${parent}"\n` : fs.readFileSync(parent));
        text = text.replace(new RegExp(`^(${k.replace(/[.:]/g, '\\$&')}\\s*=\\s*)".*"`, 'im'), `$1"${disk}"`);
      }
      text = vmxSet(text, 'displayName', cloneName ?? `Clone of ${v.displayname ?? path.basename(src)}`);
      text = vmxSet(text, 'uuid.bios', uuid());
      text = vmxSet(text, 'uuid.location', uuid());
      for (let i = 0; i < 10; i++) if (v[`ethernet${i}.generatedaddress`]) text = vmxSet(text, `ethernet${i}.generatedAddress`, genMac());
      fs.writeFileSync(dst, text);
      state.vms[keyOf(dst)] = { vmx: keyOf(dst), power: 'off', snapshots: [], current: null, lastUid: 0, guestVars: {}, devices: {} };
      writeVmsd(state.vms[keyOf(dst)]);
      if (snap && kind === 'linked') {
        snap.numClones = (snap.numClones ?? 0) + 1;
        writeVmsd(source);
      }
    });
  },

  async deletevm([vmx]) {
    mustExist(vmx);
    const known = readState().vms[keyOf(vmx)];
    if (known?.power === 'running') fail('Error: The file is already in use');
    await mutate(
      vmx,
      (state) => {
      const vm = vmOf(state, vmx);
      if (vm.power === 'running') fail('Error: The file is already in use');
      const dir = path.dirname(vmx);
      const base = path.basename(vmx, '.vmx');
      for (const f of fs.readdirSync(dir)) if (f.startsWith(base)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
      delete state.vms[keyOf(vmx)];
      },
      GUESTS && known?.guest ? async () => (await guestOps()).deleteGuest(STATE_DIR, keyOf(vmx)) : undefined,
    );
  },

  async checktoolsstate([vmx]) {
    mustExist(vmx);
    const vm = readState().vms[keyOf(vmx)] ?? {};
    out(guestIp(vm) ? 'running' : vm.power === 'running' ? 'installed' : 'unknown');
  },

  async getguestipaddress([vmx, wait]) {
    mustExist(vmx);
    for (;;) {
      const vm = readState().vms[keyOf(vmx)] ?? {};
      mustRun(vm, vmx);
      const ip = guestIp(vm);
      if (ip) return out(env.FAKE_VMRUN_BAD_IP === '1' ? '172.17.0.1' : ip);
      if (wait !== '-wait') fail(`Error: The VMware Tools are not running in the virtual machine: ${vmx}`);
      await sleep(100);
    }
  },

  async readvariable([vmx, scope, name]) {
    mustExist(vmx);
    const vm = readState().vms[keyOf(vmx)] ?? {};
    if (scope === 'runtimeConfig') return out(vmxRead(vmx)[String(name).toLowerCase()] ?? '');
    if (scope === 'guestEnv') fail('Error: Anonymous guest operations are not allowed');
    if (scope !== 'guestVar') fail('Error: One of the parameters was invalid');
    mustRun(vm, vmx);
    // cloud-init's VMware datasource publishes the primary address as guestinfo.local-ipv4.
    if (name === 'local-ipv4' && env.FAKE_VMRUN_NO_GUESTINFO !== '1') return out(guestIp(vm) ?? '');
    out(vm.guestVars?.[name] ?? '');
  },

  async writevariable([vmx, scope, name, value]) {
    mustExist(vmx);
    await mutate(vmx, (state) => {
      const vm = vmOf(state, vmx);
      mustRun(vm, vmx);
      if (scope === 'guestVar') vm.guestVars[name] = value;
      else if (scope !== 'runtimeConfig') fail('Error: Anonymous guest operations are not allowed');
    });
  },

  async connectnameddevice(args) {
    await setDevice(args, true);
  },
  async disconnectnameddevice(args) {
    await setDevice(args, false);
  },

  async listhostnetworks() {
    const nets = readNetworking();
    const rows = [['0', 'vmnet0', 'bridged', 'false', 'empty', 'empty']];
    for (const [n, a] of Object.entries(nets).sort((x, y) => Number(x[0]) - Number(y[0]))) {
      rows.push([n, `vmnet${n}`, a.NAT === 'yes' ? 'nat' : 'hostOnly', a.DHCP === 'yes' ? 'true' : 'false', a.HOSTONLY_SUBNET ?? 'empty', a.HOSTONLY_NETMASK ?? 'empty']);
    }
    const pad = (r) => r.map((c, i) => (i < 5 ? c.padEnd(12) : c)).join(' ');
    out([`Total host networks: ${rows.length}`, pad(['INDEX', 'NAME', 'TYPE', 'DHCP', 'SUBNET', 'MASK']), ...rows.map(pad)].join('\n'));
  },
};

async function setDevice([vmx, device], connected) {
  mustExist(vmx);
  const present = (vmxRead(vmx)[`${String(device).toLowerCase()}.present`] ?? '').toUpperCase() === 'TRUE';
  if (!present) fail('Error: One of the parameters was invalid');
  const nic = /^ethernet(\d+)$/i.exec(String(device))?.[1];
  await mutate(
    vmx,
    (state) => {
      const vm = vmOf(state, vmx);
      mustRun(vm, vmx);
      vm.devices[device] = connected;
    },
    GUESTS && nic !== undefined
      ? async () => {
          mustRun(readState().vms[keyOf(vmx)] ?? {}, vmx);
          await (await guestOps()).setGuestLink(STATE_DIR, keyOf(vmx), Number(nic), connected);
        }
      : undefined,
  );
}

async function main() {
  const args = process.argv.slice(2);
  logCall('vmrun', args);
  if (GUESTS) ensureGuestDefaults(STATE_DIR, ETC_DIR);
  if (args.length === 0) {
    out(BANNER);
    return 255;
  }
  while (args[0]?.startsWith('-')) {
    const flag = args.shift();
    const value = args.shift();
    if (flag === '-T' && !['ws', 'fusion', 'player'].includes(value)) fail(`Error: Invalid host type: ${value}`);
  }
  const command = String(args.shift() ?? '').toLowerCase();
  const handler = commands[command];
  if (!handler) fail(`Error: Unrecognized command: ${command}`);
  const flaky = READ_ONLY.has(command) && Math.random() < num(env.FAKE_VMRUN_FLAKY, 0) && !justFailed(`${command} ${args[0] ?? ''}`);
  if (flaky || (await takeInjectedFailure(command))) {
    fail(args[0]?.endsWith('.vmx') ? 'Error: Cannot read the virtual machine configuration file' : 'Error: Unable to connect to host.');
  }
  await handler(args);
  return 0;
}

/**
 * Transient failures are occasional, not streaks: right after one, the same
 * call (command and VM) goes through the next time it would have failed (so a caller's retry proves itself without the
 * test depending on luck).
 */
function justFailed(call) {
  const marker = path.join(STATE_DIR, `flaky-${Buffer.from(call).toString('base64url').slice(0, 120)}`);
  if (fs.existsSync(marker)) {
    fs.rmSync(marker, { force: true });
    return true;
  }
  fs.writeFileSync(marker, '1');
  return false;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    out(e instanceof Fail ? e.message : `Error: ${e?.stack ?? e}`);
    process.exit(255);
  },
);
void ETC_DIR;
