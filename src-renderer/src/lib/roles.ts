/**
 * What the palette offers and how each VM role looks and sizes by default.
 * Pure data; labels are i18n keys.
 */
import type { Role } from '../../../src-main/shared/blueprint/schema';
import type { DraftNetwork } from './draft';

export interface RoleMeta {
  /** Row of the auto-layout: 0 entry, 1 app, 2 data, 3 support. */
  tier: number;
  /** Hostname stem of a new VM. */
  stem: string;
  vcpus: number;
  memoryMiB: number;
}

export const ROLE_META: Record<Role, RoleMeta> = {
  loadbalancer: { tier: 0, stem: 'lb', vcpus: 1, memoryMiB: 1024 },
  bastion: { tier: 0, stem: 'bastion', vcpus: 1, memoryMiB: 1024 },
  app: { tier: 1, stem: 'app', vcpus: 2, memoryMiB: 2048 },
  'k8s-control': { tier: 1, stem: 'k8s-m', vcpus: 2, memoryMiB: 4096 },
  'k8s-worker': { tier: 1, stem: 'k8s-n', vcpus: 2, memoryMiB: 4096 },
  database: { tier: 2, stem: 'db', vcpus: 2, memoryMiB: 2048 },
  cache: { tier: 2, stem: 'cache', vcpus: 1, memoryMiB: 1024 },
  firewall: { tier: 0, stem: 'fw', vcpus: 1, memoryMiB: 512 },
  monitoring: { tier: 3, stem: 'mon', vcpus: 2, memoryMiB: 2048 },
  nfs: { tier: 3, stem: 'nfs', vcpus: 1, memoryMiB: 1024 },
  generic: { tier: 3, stem: 'vm', vcpus: 1, memoryMiB: 1024 },
};

/** VM roles in palette order. */
export const PALETTE_ROLES: Role[] = ['loadbalancer', 'app', 'database', 'cache', 'monitoring', 'bastion', 'firewall', 'nfs', 'generic'];
/** Network types in palette order. */
export const PALETTE_NETWORKS: DraftNetwork['type'][] = ['nat', 'hostonly', 'custom'];

/** A palette item, as carried by drag and drop. */
export type PaletteKind = `vm:${Role}` | `net:${DraftNetwork['type']}` | 'vip';

/** The role that decides a VM's colour, icon and row: the lowest tier, first listed on ties. */
export function primaryRole(roles: readonly string[] | undefined): Role {
  let best: Role = 'generic';
  let bestTier = Infinity;
  for (const r of roles ?? []) {
    const m = ROLE_META[r as Role];
    if (m && m.tier < bestTier) {
      best = r as Role;
      bestTier = m.tier;
    }
  }
  return best;
}

/** Drag-and-drop MIME type of palette items. */
export const PALETTE_MIME = 'application/x-halab-palette';
