#!/usr/bin/env node
// A fake `vmware-networks` (Linux). `--migrate-network-settings FILE` copies FILE to
// $FAKE_VMWARE_ETC/networking and regenerates each DHCP VMnet's dhcpd.conf, resetting its
// lease file (so callers must preserve leases themselves); --stop/--start/--status.
// FAKE_VMWARE_NETWORKS_DENY=1 answers like a non-root user; FAKE_VMWARE_NETWORKS_MIGRATE_FAIL=1
// makes the migration fail the way it reports a failure (message on stderr, exit 1, nothing written). With FAKE_VMRUN_GUESTS=linux-lab,
// --start also removes the real guests' bridges of VMnets that are gone or changed.
import fs from 'node:fs';
import path from 'node:path';
import { ETC_DIR, logCall, readNetworking, STATE_DIR, withState } from './fake-lib.mjs';
import { GUESTS, guestOps } from './guests/light.mjs';

const args = process.argv.slice(2);
logCall('vmware-networks', args);
if (process.env.FAKE_VMWARE_NETWORKS_DENY === '1') {
  process.stderr.write('vmware-networks: This program must be run as root\n');
  process.exit(1);
}
const [op, file] = args;
if (op === '--migrate-network-settings') {
  if (!file || !fs.existsSync(file) || process.env.FAKE_VMWARE_NETWORKS_MIGRATE_FAIL === '1') {
    process.stderr.write(`Failed to migrate network settings: ${file} not found\n`);
    process.exit(1);
  }
  fs.mkdirSync(ETC_DIR, { recursive: true });
  fs.copyFileSync(file, path.join(ETC_DIR, 'networking'));
  for (const [n, a] of Object.entries(readNetworking())) {
    if (a.DHCP !== 'yes') continue;
    const dir = path.join(ETC_DIR, `vmnet${n}`, 'dhcpd');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'dhcpd.conf'), `subnet ${a.HOSTONLY_SUBNET} netmask ${a.HOSTONLY_NETMASK} {\n  range ${a.HOSTONLY_SUBNET.replace(/\.0$/, '.128')} ${a.HOSTONLY_SUBNET.replace(/\.0$/, '.254')};\n}\n`);
    fs.writeFileSync(path.join(dir, 'dhcpd.leases'), '');
  }
  process.exit(0);
}
if (op === '--stop' || op === '--start') {
  await withState((s) => {
    s.networksRunning = op === '--start';
  });
  // Real guests: VMnets that left the networking file (or changed) lose their bridge, as their host adapter goes.
  if (op === '--start' && GUESTS) await (await guestOps()).syncNetworks(STATE_DIR, readNetworking());
  process.exit(0);
}
if (op === '--status') process.exit(0);
process.stderr.write(`Usage: vmware-networks [--start|--stop|--status|--migrate-network-settings FILE]\n`);
process.exit(1);
