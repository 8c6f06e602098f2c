// The read-only side of the fake's real guests (FAKE_VMRUN_GUESTS=linux-lab), in plain
// JavaScript so that `list`, `getGuestIPAddress` and `readVariable` stay cheap (they are
// called about once a second per VM): is the guest's systemd-nspawn alive, and which IPv4
// address does its first NIC have. Everything that changes a guest is in linux-lab.ts.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export const GUESTS = process.env.FAKE_VMRUN_GUESTS === 'linux-lab';

/** Load linux-lab.ts through tsx (only for commands that change a guest). */
export async function guestOps() {
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(path.join(path.dirname(new URL(import.meta.url).pathname), 'linux-lab.ts')).href);
}

function starttimeOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { state: fields[0], starttime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** Is the guest's systemd-nspawn (recorded in its run.json) alive? 'frozen' when suspended. */
export function guestAlive(guest) {
  if (!guest?.dir) return false;
  let run;
  try {
    run = JSON.parse(fs.readFileSync(path.join(guest.dir, 'run.json'), 'utf8'));
  } catch {
    return false;
  }
  const st = starttimeOf(run.pid);
  if (!st || st.starttime !== run.starttime) return false;
  return st.state === 'T' ? 'frozen' : true;
}

/** IPv4 addresses on the guest's NIC `ifname` (primary first), as VMware Tools would report them. */
export function guestAddresses(guest, ifname = 'ens33') {
  if (guestAlive(guest) !== true) return [];
  try {
    const out = execFileSync('ip', ['-n', guest.netns, '-4', '-j', 'addr', 'show', 'dev', ifname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return (JSON.parse(out || '[]')[0]?.addr_info ?? []).filter((a) => a.scope === 'global' && !a.secondary).map((a) => a.local);
  } catch {
    return [];
  }
}

const DEFAULT_NETWORKING = `VERSION=1,0
answer VNET_1_DHCP yes
answer VNET_1_HOSTONLY_NETMASK 255.255.255.0
answer VNET_1_HOSTONLY_SUBNET 172.16.134.0
answer VNET_1_VIRTUAL_ADAPTER yes
answer VNET_8_DHCP yes
answer VNET_8_HOSTONLY_NETMASK 255.255.255.0
answer VNET_8_HOSTONLY_SUBNET 172.16.86.0
answer VNET_8_NAT yes
answer VNET_8_VIRTUAL_ADAPTER yes
`;

const TEMPLATE_VMX = `.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "21"
displayName = "ubuntu-22.04 (fake vmrun, Linux-lab guests)"
guestOS = "ubuntu-64"
numvcpus = "1"
memsize = "1024"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "template.vmdk"
ethernet0.present = "TRUE"
ethernet0.connectionType = "nat"
ethernet0.virtualDev = "vmxnet3"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:5a:7e:01"
ethernet0.generatedAddressOffset = "0"
uuid.bios = "56 4d 5a 7e 01 02 03 04-05 06 07 08 09 0a 0b 0c"
uuid.location = "56 4d 5a 7e 01 02 03 04-05 06 07 08 09 0a 0b 0c"
tools.syncTime = "FALSE"
`;

/**
 * The fake's own template and host networks when none were made: a template
 * .vmx at $FAKE_VMRUN_STATE/templates/ubuntu-22.04/template.vmx (its guests boot
 * the Linux lab's base image) and VMware's default networking file (vmnet1, vmnet8).
 */
export function ensureGuestDefaults(stateDir, etcDir) {
  const tpl = defaultTemplatePath(stateDir);
  if (!fs.existsSync(tpl)) {
    fs.mkdirSync(path.dirname(tpl), { recursive: true });
    fs.writeFileSync(path.join(path.dirname(tpl), 'template.vmdk'), '# Disk DescriptorFile\n# the guest disk is the Linux lab base image\n');
    fs.writeFileSync(tpl, TEMPLATE_VMX);
  }
  if (!fs.existsSync(path.join(etcDir, 'networking'))) {
    fs.mkdirSync(etcDir, { recursive: true });
    fs.writeFileSync(path.join(etcDir, 'networking'), DEFAULT_NETWORKING);
  }
}

export const defaultTemplatePath = (stateDir) => path.join(stateDir, 'templates', 'ubuntu-22.04', 'template.vmx');
