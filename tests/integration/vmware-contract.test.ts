import { describeHypervisorContract } from '../contract/hypervisor-contract.js';
import { createFakeVmwareHost } from '../fake-vmrun/fake-env.js';
import { VmwareDriver } from '../../src-main/hypervisor/vmware/vmware-driver.js';

describeHypervisorContract(
  'vmware (fake vmrun)',
  async () => {
    const host = await createFakeVmwareHost({ FAKE_VMRUN_FLAKY: '0.1', FAKE_VMRUN_BAD_IP: '0' });
    const hv = new VmwareDriver({ vmwareEtcDir: host.etcDir, platform: 'linux', softStopTimeoutMs: 5000 });
    return { hv, lab: { id: 'contract', dir: host.labDir }, template: host.template, cleanup: () => host.cleanup() };
  },
  { stepTimeoutMs: 60_000 },
);
