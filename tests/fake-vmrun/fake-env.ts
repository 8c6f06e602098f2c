/**
 * Test helper: a throw-away VMware "host" for the fake vmrun — temp folders
 * for the fake's state, `/etc/vmware` (networking file with the default
 * vmnet1/vmnet8), a lab folder and a template VM — and the env variables
 * that point the driver and the fakes at them.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The fake `vmrun` executable (a sh wrapper around fake-vmrun.mjs). */
export const FAKE_VMRUN = join(here, 'vmrun');
/** The fake `vmware-networks` executable. */
export const FAKE_VMWARE_NETWORKS = join(here, 'vmware-networks');

export const DEFAULT_NETWORKING = `VERSION=1,0
answer VNET_1_DHCP yes
answer VNET_1_DHCP_CFG_HASH 01F5B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3
answer VNET_1_HOSTONLY_NETMASK 255.255.255.0
answer VNET_1_HOSTONLY_SUBNET 172.16.134.0
answer VNET_1_VIRTUAL_ADAPTER yes
answer VNET_8_DHCP yes
answer VNET_8_DHCP_CFG_HASH B7DE0620494D07D87DE131EBECBC26E55A0AFD74
answer VNET_8_HOSTONLY_NETMASK 255.255.255.0
answer VNET_8_HOSTONLY_SUBNET 172.16.86.0
answer VNET_8_NAT yes
answer VNET_8_VIRTUAL_ADAPTER yes
add_nat_portfwd 8 tcp 2222 172.16.86.10 22 ssh-web01
add_dhcp_mac_to_ip 8 00:50:56:12:34:56 172.16.86.10
`;

export const TEMPLATE_VMX = `#!/usr/bin/vmware
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "21"
# template built by hand; keep this comment
displayName = "ubuntu-22.04-template"
guestOS = "ubuntu-64"
numvcpus = "2"
memsize = "2048"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "template.vmdk"
ethernet0.present = "TRUE"
ethernet0.connectionType = "nat"
ethernet0.virtualDev = "vmxnet3"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:aa:bb:cc"
ethernet0.generatedAddressOffset = "0"
uuid.bios = "56 4d 00 11 22 33 44 55-66 77 88 99 aa bb cc dd"
uuid.location = "56 4d 00 11 22 33 44 55-66 77 88 99 aa bb cc dd"
tools.syncTime = "FALSE"
`;

export interface FakeVmwareHost {
  root: string;
  stateDir: string;
  etcDir: string;
  labDir: string;
  template: string;
  /** Read the fake's call log: one entry per vmrun / vmware-networks invocation. */
  calls(): Promise<Array<{ tool: string; argv: string[]; t: number }>>;
  /** Make the next `n` calls of `command` (lower case) fail transiently. */
  failNext(plan: Record<string, number>): Promise<void>;
  cleanup(): Promise<void>;
}

/** Create the folders and set FAKE_VMRUN_STATE, FAKE_VMWARE_ETC and HALAB_VMRUN in process.env. */
export async function createFakeVmwareHost(extraEnv: Record<string, string> = {}): Promise<FakeVmwareHost> {
  const root = await mkdtemp(join(tmpdir(), 'halab-fake-vmware-'));
  const stateDir = join(root, 'state');
  const etcDir = join(root, 'etc-vmware');
  const labDir = join(root, 'lab');
  const tplDir = join(root, 'templates', 'ubuntu');
  await Promise.all([mkdir(stateDir, { recursive: true }), mkdir(etcDir, { recursive: true }), mkdir(join(labDir, 'vms'), { recursive: true }), mkdir(tplDir, { recursive: true })]);
  await writeFile(join(etcDir, 'networking'), DEFAULT_NETWORKING);
  const template = join(tplDir, 'template.vmx');
  await writeFile(template, TEMPLATE_VMX);
  await writeFile(join(tplDir, 'template.vmdk'), '# Disk DescriptorFile\n');
  const saved: Record<string, string | undefined> = {};
  const env = { FAKE_VMRUN_STATE: stateDir, FAKE_VMWARE_ETC: etcDir, HALAB_VMRUN: FAKE_VMRUN, FAKE_VMRUN_IP_DELAY_MS: '600', ...extraEnv };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  return {
    root,
    stateDir,
    etcDir,
    labDir,
    template,
    async calls() {
      const text = await readFile(join(stateDir, 'calls.log'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tool: string; argv: string[]; t: number });
    },
    async failNext(plan) {
      await writeFile(join(stateDir, 'fail-next.json'), JSON.stringify(plan));
    },
    async cleanup() {
      const holders = await readFile(join(stateDir, 'holders.txt'), 'utf8').catch(() => '');
      for (const pid of holders.split('\n').filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
