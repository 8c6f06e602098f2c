/**
 * The provider-neutral Hypervisor contract, run for real against the Linux
 * lab provider (root; systemd-nspawn, dnsmasq, debootstrap installed). Not
 * skipped anywhere: without root or a prerequisite it fails and says why.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { describeHypervisorContract } from '../contract/hypervisor-contract';
import { LinuxLabProvider } from '../../src-main/hypervisor/linux/linux-provider';

describeHypervisorContract(
  'linux lab (systemd-nspawn, for real)',
  async () => {
    const hv = new LinuxLabProvider({ softStopTimeoutMs: 60_000 });
    const u = await hv.checkUsable();
    if (!u.usable) throw new Error(`The Linux lab cannot run on this machine: ${u.reason} Fix: ${u.fix}`);
    // Built once per recipe (minutes), then cached: do it here, not inside a timed step.
    await hv.baseImage({ log: (l) => console.log(l) });
    const lab = { id: 'contract-linux', dir: await mkdtemp('/tmp/halab-contract-linux-') };
    await hv.cleanupLab(lab);
    return {
      hv,
      lab,
      template: 'base-image',
      cleanup: async () => {
        await hv.cleanupLab(lab);
        await rm(lab.dir, { recursive: true, force: true });
      },
    };
  },
  { stepTimeoutMs: 45 * 60_000 },
);
