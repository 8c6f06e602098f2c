/**
 * From the resolved blueprint to what a hypervisor creates: VMnets and VMs.
 */
import type { ResolvedLab, ResolvedNode } from '../shared/blueprint/model';
import type { NetworkSpec, ProviderKind, VmSpec } from '../hypervisor/types';
import { templateVarFor } from '../lab/host-settings';

export function networkSpecs(r: ResolvedLab): NetworkSpec[] {
  return r.networks.map((n) => ({ name: n.name, type: n.type, subnet: n.subnet, hostAddress: n.hostAddress, natGateway: n.natGateway, dhcp: n.dhcp }));
}

export interface SpecOptions {
  provider: ProviderKind;
  sshPublicKey: string;
  /** VMware: template name → .vmx path (from settings). */
  templates?: Record<string, string>;
}

export function vmSpec(node: ResolvedNode, o: SpecOptions): VmSpec {
  let template = node.template;
  if (o.provider === 'vmware') {
    const path = o.templates?.[node.template];
    if (!path) {
      throw new Error(`No VMware template is set for "${node.template}" (used by ${node.hostname}). Make one with "halab template create ${node.template}", or choose the template's .vmx in Settings → Templates (the same settings.json the CLI reads: "templates": {"${node.template}": "<path>.vmx"}), or set ${templateVarFor(node.template)}.`);
    }
    template = path;
  }
  return {
    name: node.hostname,
    template,
    clone: node.clone,
    vcpus: node.vcpus,
    memoryMiB: node.memoryMiB,
    diskGiB: node.diskGiB,
    nics: node.nics.map((n) => ({ network: n.network, mac: n.mac, address: n.address })),
    sshPublicKey: o.sshPublicKey,
  };
}
