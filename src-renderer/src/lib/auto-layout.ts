/**
 * Automatic placement for blueprints without positions: VMs in rows by tier
 * (entry, app, data, support), each network a bus bar in its own band just
 * above the VMs it serves, VIP groups on top. Rows shift sideways so NIC
 * lines pass between cards. Nothing overlaps.
 * Pure; sizes match the node components.
 */
import { netKey, vipKey, type Draft, type Point } from './draft';
import { primaryRole, ROLE_META } from './roles';

export const VM_WIDTH = 210;
export const NET_HEIGHT = 58;
export const NET_MIN_WIDTH = 300;
export const VIP_WIDTH = 190;
export const VIP_HEIGHT = 60;

/** Height of a VIP card listing `members` members. */
export function vipHeight(members: number): number {
  return VIP_HEIGHT + 18 * members;
}
const GAP_X = 36;
const GAP_Y = 64;
const PER_ROW = 8;

/** Height of a VM card with `nics` NICs (header, sizes, one line per NIC). */
export function vmHeight(nics: number): number {
  return 88 + 20 * Math.max(1, nics);
}

type Band = { kind: 'vms'; hosts: number[] } | { kind: 'net'; index: number } | { kind: 'vips'; indexes: number[] };

/** Positions (top-left corners) for every VM, network and VIP group, keyed as in `layout.positions`. */
export function autoLayout(d: Draft): Record<string, Point> {
  const tierOf = d.nodes.map((n) => ROLE_META[primaryRole(n.roles)].tier);
  const tiers = [...new Set(tierOf)].sort((a, b) => a - b);
  const netAnchor = d.networks.map((net) => {
    const connected = [...new Set(d.nodes.flatMap((n, i) => (n.nics.some((x) => x.network === net.name) ? [tierOf[i] as number] : [])))].sort((a, b) => a - b);
    if (connected.length === 0) return -Infinity;
    const min = connected[0] as number;
    const external = net.type === 'nat' || net.type === 'bridged';
    if (external || connected.length === 1) return min;
    // An internal network joining several tiers sits below its top tier, between it and the next.
    return connected[1] as number;
  });
  const vips = d.services?.vips ?? [];
  const bands: Band[] = [];
  // VIP groups on top: their lines run down to the load balancers without crossing NIC drops.
  if (vips.length) bands.push({ kind: 'vips', indexes: vips.map((_, i) => i) });
  const pushNet = (i: number) => bands.push({ kind: 'net', index: i });
  const netOrder = d.networks.map((_, i) => i).sort((a, b) => (netAnchor[a] as number) - (netAnchor[b] as number) || a - b);
  let cursor = 0;
  for (const t of tiers) {
    while (cursor < netOrder.length && (netAnchor[netOrder[cursor] as number] as number) <= t) pushNet(netOrder[cursor++] as number);
    const hosts = d.nodes.flatMap((_, i) => (tierOf[i] === t ? [i] : []));
    for (let k = 0; k < hosts.length; k += PER_ROW) bands.push({ kind: 'vms', hosts: hosts.slice(k, k + PER_ROW) });
  }
  while (cursor < netOrder.length) pushNet(netOrder[cursor++] as number);

  const rowWidth = (n: number, w: number) => n * w + Math.max(0, n - 1) * GAP_X;
  const maxWidth = Math.max(NET_MIN_WIDTH, ...bands.map((b) => (b.kind === 'vms' ? rowWidth(b.hosts.length, VM_WIDTH) : b.kind === 'vips' ? rowWidth(b.indexes.length, VIP_WIDTH) : 0)));
  const out: Record<string, Point> = {};
  const netBand = new Map<string, number>();
  const placedRows: { band: number; boxes: number[] }[] = [];
  const pitch = VM_WIDTH + GAP_X;
  let y = 0;
  bands.forEach((b, bi) => {
    if (b.kind === 'net') {
      const net = d.networks[b.index];
      if (net) {
        out[netKey(net.name)] = { x: -24, y };
        netBand.set(net.name, bi);
      }
      y += NET_HEIGHT + GAP_Y;
    } else if (b.kind === 'vips') {
      let x = (maxWidth - rowWidth(b.indexes.length, VIP_WIDTH)) / 2;
      let h = 0;
      for (const i of b.indexes) {
        const v = vips[i];
        if (v) out[vipKey(v.name)] = { x: Math.round(x), y };
        h = Math.max(h, vipHeight(v?.members.length ?? 0));
        x += VIP_WIDTH + GAP_X;
      }
      y += h + GAP_Y * 0.6;
    } else {
      const x0 = (maxWidth - rowWidth(b.hosts.length, VM_WIDTH)) / 2;
      // Shift the row sideways until no NIC drop to a network above passes through a VM card in between.
      const above = new Set(b.hosts.flatMap((i) => (d.nodes[i]?.nics ?? []).map((x) => netBand.get(x.network)).filter((x): x is number => x !== undefined)));
      const top = above.size ? Math.min(...above) : bi;
      const blocking = placedRows.filter((r) => r.band > top).flatMap((r) => r.boxes);
      const clear = (o: number) => b.hosts.every((_, k) => {
        const cx = x0 + o + k * pitch + VM_WIDTH / 2;
        return blocking.every((bx) => cx < bx - 10 || cx > bx + VM_WIDTH + 10);
      });
      const offset = [0, 0.5, -0.5, 1, -1, 1.5, -1.5].map((f) => f * pitch).find(clear) ?? 0;
      let h = 0;
      const boxes: number[] = [];
      b.hosts.forEach((i, k) => {
        const n = d.nodes[i];
        const x = Math.round(x0 + offset + k * pitch);
        if (n) out[n.hostname] = { x, y };
        boxes.push(x);
        h = Math.max(h, vmHeight(n?.nics.length ?? 1));
      });
      placedRows.push({ band: bi, boxes });
      y += h + GAP_Y;
    }
  });
  // Bus bars start at the leftmost card so every drop lands on them.
  const xs = Object.entries(out).filter(([k]) => !k.startsWith('net:')).map(([, p]) => p.x);
  const left = (xs.length ? Math.min(...xs) : 0) - 24;
  for (const k of Object.keys(out)) if (k.startsWith('net:')) out[k] = { x: left, y: (out[k] as Point).y };
  return out;
}

/** True when some element has no saved position. */
export function needsLayout(d: Draft): boolean {
  const pos = d.layout?.positions ?? {};
  return d.nodes.some((n) => !pos[n.hostname]) || d.networks.some((n) => !pos[netKey(n.name)]) || (d.services?.vips ?? []).some((v) => !pos[vipKey(v.name)]);
}

/** A box on the canvas. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The boxes every placed element takes on the canvas (from saved positions). */
export function occupied(d: Draft): Box[] {
  const pos = d.layout?.positions ?? {};
  const out: Box[] = [];
  for (const n of d.nodes) {
    const p = pos[n.hostname];
    if (p) out.push({ x: p.x, y: p.y, w: VM_WIDTH, h: vmHeight(n.nics.length) });
  }
  for (const n of d.networks) {
    const p = pos[netKey(n.name)];
    if (p) out.push({ x: p.x, y: p.y, w: NET_MIN_WIDTH, h: NET_HEIGHT });
  }
  for (const v of d.services?.vips ?? []) {
    const p = pos[vipKey(v.name)];
    if (p) out.push({ x: p.x, y: p.y, w: VIP_WIDTH, h: vipHeight(v.members.length) });
  }
  return out;
}

/** The size a new element of a palette kind takes. */
export function sizeOfKind(kind: string): { w: number; h: number } {
  if (kind.startsWith('net:')) return { w: NET_MIN_WIDTH, h: NET_HEIGHT };
  if (kind === 'vip') return { w: VIP_WIDTH, h: VIP_HEIGHT };
  return { w: VM_WIDTH, h: vmHeight(1) };
}

const MARGIN = 24;

/**
 * The free spot nearest to `at` (a top-left corner) where a `w`×`h` element
 * overlaps nothing already placed, keeping a margin; searched on a grid of
 * the element's size. `taken` adds boxes not in the draft yet.
 */
export function freeSpot(d: Draft, at: Point, w: number, h: number, taken: Box[] = []): Point {
  const boxes = [...occupied(d), ...taken];
  const clear = (p: Point) => boxes.every((b) => p.x + w + MARGIN <= b.x || b.x + b.w + MARGIN <= p.x || p.y + h + MARGIN <= b.y || b.y + b.h + MARGIN <= p.y);
  const sx = w + MARGIN;
  const sy = h + MARGIN;
  const candidates: Point[] = [];
  for (let j = -6; j <= 6; j++) for (let i = -6; i <= 6; i++) candidates.push({ x: at.x + i * sx, y: at.y + j * sy });
  candidates.sort((a, b) => Math.hypot(a.x - at.x, (a.y - at.y) * 1.5) - Math.hypot(b.x - at.x, (b.y - at.y) * 1.5));
  const found = candidates.find(clear);
  if (found) return { x: Math.round(found.x), y: Math.round(found.y) };
  // Everything near is full: below all of it.
  const bottom = Math.max(at.y, ...boxes.map((b) => b.y + b.h + MARGIN));
  return { x: Math.round(at.x), y: Math.round(bottom) };
}
