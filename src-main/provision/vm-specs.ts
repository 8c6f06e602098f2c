/**
 * From the resolved blueprint to what a hypervisor creates: VMnets and VMs.
 */
import type { ResolvedLab, ResolvedNode } from '../shared/blueprint/model';
import type { NetworkSpec, ProviderKind, VmSpec } from '../hypervisor/types';
import { templateVarFor } from '../lab/host-settings';
import { msg } from '../shared/i18n';
import { MessageError } from '../shared/i18n/message-error';

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
      throw new MessageError(msg('prov.err.noTemplate', { template: node.template, vm: node.hostname, envVar: templateVarFor(node.template) }));
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
    ...(node.target ? { target: node.target } : {}),
  };
}
