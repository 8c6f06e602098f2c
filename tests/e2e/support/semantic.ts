/**
 * Blueprint meaning without its spelling: defaults resolved (schema
 * defaults, host/gateway/DHCP, generated MACs, monitoring placement),
 * layout and comments dropped. Two blueprints that build the same lab
 * compare equal.
 */
import { parse } from 'yaml';
import { resolveLab, replicasOf } from '../../../src-main/shared/blueprint/model';
import { computePlan } from '../../../src-main/shared/blueprint/plan';
import { LabSchema } from '../../../src-main/shared/blueprint/schema';

export function semantic(text: string) {
  const lab = LabSchema.parse(parse(text));
  const r = resolveLab(lab);
  const s = lab.services;
  return {
    metadata: lab.metadata,
    defaults: lab.defaults,
    networks: r.networks.map(({ name, type, subnet, hostAddress, natGateway, dhcp }) => ({ name, type, subnet, hostAddress, natGateway, dhcp })),
    nodes: r.nodes,
    services: {
      ...s,
      database: s.database && { ...s.database, replicas: replicasOf(lab) },
      monitoring: s.monitoring && { ...s.monitoring, alertmanager: s.monitoring.alertmanager ?? s.monitoring.prometheus, loki: s.monitoring.loki ?? s.monitoring.prometheus },
    },
    drills: lab.drills,
    plan: computePlan(r),
  };
}
