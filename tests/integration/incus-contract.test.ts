/**
 * The provider-neutral Hypervisor contract, run for real against the local
 * Incus/LXD daemon (Debian's LXD 5.0 here; `scripts/incus/setup.sh` installs,
 * starts and initialises it and imports the image). Not skipped anywhere:
 * without the daemon it fails and says why. Containers boot the Linux lab's
 * base image; networks are guarded bridges without NAT.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { expect } from 'vitest';
import { describeHypervisorContract } from '../contract/hypervisor-contract';
import { IncusProvider } from '../../src-main/hypervisor/incus';

describeHypervisorContract(
  'incus/lxd (REST API over the unix socket, for real)',
  async () => {
    const hv = new IncusProvider({ softStopTimeoutMs: 60_000 });
    const u = await hv.checkUsable();
    if (!u.usable) throw new Error(`Incus/LXD cannot run on this machine: ${u.reason} Fix: ${u.fix}`);
    console.log(`incus contract: ${u.details}`);
    // Imported once per base image (tens of seconds), then cached: do it here, not inside a timed step.
    await hv.ensureImage({ log: (l) => console.log(l) });
    const lab = { id: 'contract-incus', dir: await mkdtemp('/tmp/halab-contract-incus-') };
    await hv.cleanupLab(lab);
    return {
      hv,
      lab,
      template: 'base-image',
      cleanup: async () => {
        await hv.cleanupLab(lab);
        // Nothing the lab made is left: no instance, network, image alias or project.
        expect(await hv.leftovers(lab)).toEqual({ instances: [], networks: [], aliases: [], project: [] });
        await rm(lab.dir, { recursive: true, force: true });
      },
    };
  },
  { stepTimeoutMs: 10 * 60_000 },
);
