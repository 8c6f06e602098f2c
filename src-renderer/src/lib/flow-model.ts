/**
 * Turns the draft into React Flow nodes and edges. Every edge is derived from
 * the blueprint (NICs, VIP members, load-balancer upstreams, replication), so
 * the blueprint stays the one source of truth. Node objects are reused while
 * their inputs are unchanged, so React Flow re-renders only what moved.
 */
import type { Edge, Node } from '@xyflow/react';
import { NET_MIN_WIDTH, VIP_WIDTH, VM_WIDTH, vipHeight, vmHeight } from './auto-layout';
import { netKey, positionsOf, vipKey, type Draft, type DraftNetwork, type DraftNode, type DraftVip, type Point } from './draft';
import type { IssueIndex } from './issue-map';
import { issuesAt } from './issue-map';
import { primaryRole } from './roles';

export interface VmNodeData extends Record<string, unknown> {
  index: number;
  node: DraftNode;
  role: ReturnType<typeof primaryRole>;
  defaults: { vcpus?: number; memoryMiB?: number };
  errors: number;
  warnings: number;
  /** NIC indexes with address problems. */
  badNics: number[];
}
export interface NetNodeData extends Record<string, unknown> {
  index: number;
  net: DraftNetwork;
  width: number;
  errors: number;
}
export interface VipNodeData extends Record<string, unknown> {
  index: number;
  vip: DraftVip;
  errors: number;
}
export interface FlowEdgeData extends Record<string, unknown> {
  kind: 'nic' | 'upstream' | 'replication' | 'vip';
  label: string;
  bad?: boolean;
  /** NIC lines: sideways shift of the drop from the card's centre, so a VM's NICs do not share one line. */
  offset?: number;
  /** NIC lines: the label's distance from the card, staggered so labels do not overlap. */
  labelGap?: number;
  /** NIC lines: a jog around cards between the VM and its network (x to pass at, y where it turns). */
  detour?: { x: number; y: number };
}

export type FlowNode = Node<VmNodeData, 'vm'> | Node<NetNodeData, 'net'> | Node<VipNodeData, 'vip'>;
export type FlowEdge = Edge<FlowEdgeData>;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Handles facing each other: vertical when the elements are above one another, else horizontal. */
function facing(a: Rect, b: Rect): [string, string] {
  const dx = b.x + b.w / 2 - (a.x + a.w / 2);
  const dy = b.y + b.h / 2 - (a.y + a.h / 2);
  if (Math.abs(dy) > Math.abs(dx) * 0.6) return dy > 0 ? ['b', 't'] : ['t', 'b'];
  return dx > 0 ? ['r', 'l'] : ['l', 'r'];
}

type CacheEntry = { key: unknown[]; node: FlowNode };

/** A measured node size. */
export interface Size {
  width: number;
  height: number;
}

const sameKey = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A model builder with its own cache; one per canvas. */
export function createFlowModel() {
  const cache = new Map<string, CacheEntry>();
  const edgeCache = new Map<string, { key: unknown[]; edge: FlowEdge }>();
  let lastNodes: FlowNode[] = [];
  let lastEdges: FlowEdge[] = [];
  const reuse = (id: string, key: unknown[], make: () => FlowNode): FlowNode => {
    const hit = cache.get(id);
    if (hit && sameKey(hit.key, key)) return hit.node;
    const node = make();
    cache.set(id, { key, node });
    return node;
  };

  /**
   * `sizes` are the sizes React Flow measured (by node id); handing them back
   * as `measured` lets the minimap draw the nodes.
   */
  return function build(d: Draft, issues: IssueIndex, dragging: Record<string, Point>, selectedIds: string, edgeSelected: string | undefined, sizes: Record<string, Size> = {}): { nodes: FlowNode[]; edges: FlowEdge[] } {
    const saved = positionsOf(d);
    const sel = new Set(selectedIds.split(','));
    const pos = (key: string): Point => dragging[key] ?? saved[key] ?? { x: 0, y: 0 };
    const nodes: FlowNode[] = [];
    const rects = new Map<string, Rect>();
    const hostIndex = new Map<string, number>();
    d.nodes.forEach((n, i) => {
      const id = `vm:${i}`;
      const p = pos(n.hostname);
      rects.set(id, { x: p.x, y: p.y, w: VM_WIDTH, h: vmHeight(n.nics.length) });
      if (!hostIndex.has(n.hostname)) hostIndex.set(n.hostname, i);
      const c = issues.byElement.get(id);
      const badNics = n.nics.flatMap((_, j) => (issuesAt(issues, ['nodes', i, 'nics', j], true).some((x) => x.severity === 'error') ? [j] : []));
      const badKey = badNics.join(',');
      nodes.push(
        reuse(id, [n, d.defaults, p.x, p.y, c?.errors ?? 0, c?.warnings ?? 0, badKey, sel.has(id), sizes[id]], () => ({
          id,
          measured: sizes[id],
          type: 'vm',
          position: p,
          zIndex: 1,
          selected: sel.has(id),
          data: { index: i, node: n, role: primaryRole(n.roles), defaults: d.defaults ?? {}, errors: c?.errors ?? 0, warnings: c?.warnings ?? 0, badNics },
        })),
      );
    });
    d.networks.forEach((net, i) => {
      const id = `net:${i}`;
      const p = pos(netKey(net.name));
      let right = p.x + NET_MIN_WIDTH;
      for (const n of d.nodes) if (n.nics.some((x) => x.network === net.name)) right = Math.max(right, pos(n.hostname).x + VM_WIDTH + 24);
      const width = Math.round(right - p.x);
      rects.set(id, { x: p.x, y: p.y, w: width, h: 58 });
      const c = issues.byElement.get(id);
      nodes.push(
        reuse(id, [net, p.x, p.y, width, c?.errors ?? 0, sel.has(id), sizes[id]], () => ({
          id,
          measured: sizes[id],
          type: 'net',
          position: p,
          // Bus bars sit under the cards and move only by their title, so lines drawn near them never drag them.
          zIndex: 0,
          dragHandle: '.net-title',
          selected: sel.has(id),
          data: { index: i, net, width, errors: c?.errors ?? 0 },
        })),
      );
    });
    const vips = d.services?.vips ?? [];
    vips.forEach((vip, i) => {
      const id = `vip:${i}`;
      const p = pos(vipKey(vip.name));
      rects.set(id, { x: p.x, y: p.y, w: VIP_WIDTH, h: vipHeight(vip.members.length) });
      const c = issues.byElement.get(id);
      nodes.push(
        reuse(id, [vip, p.x, p.y, c?.errors ?? 0, sel.has(id), sizes[id]], () => ({
          id,
          measured: sizes[id],
          type: 'vip',
          position: p,
          zIndex: 1,
          selected: sel.has(id),
          data: { index: i, vip, errors: c?.errors ?? 0 },
        })),
      );
    });

    const edges: FlowEdge[] = [];
    const liveEdges = new Set<string>();
    const netIndex = new Map(d.networks.map((n, i) => [n.name, i] as const));
    const edge = (id: string, source: string, target: string, kind: FlowEdgeData['kind'], label: string, bad = false, handles?: [string, string], extra: Partial<FlowEdgeData> = {}) => {
      const a = rects.get(source);
      const b = rects.get(target);
      if (!a || !b) return;
      const [sh, th] = handles ?? facing(a, b);
      const selected = edgeSelected === id;
      // Same inputs, same object: React Flow then skips the edge entirely.
      const key = [source, target, sh, th, label, bad, selected, extra.offset, extra.labelGap, extra.detour?.x, extra.detour?.y];
      const hit = edgeCache.get(id);
      if (hit && sameKey(hit.key, key)) {
        edges.push(hit.edge);
        liveEdges.add(id);
        return;
      }
      const e: FlowEdge = { id, source, target, sourceHandle: sh, targetHandle: th, type: kind, data: { kind, label, bad, ...extra }, selected, zIndex: kind === 'nic' ? 0 : 1 };
      edgeCache.set(id, { key, edge: e });
      liveEdges.add(id);
      edges.push(e);
    };
    d.nodes.forEach((n, i) => {
      const vm = rects.get(`vm:${i}`) as Rect;
      const wired = n.nics.flatMap((nic, j) => {
        const k = netIndex.get(nic.network);
        if (k === undefined) return [];
        const net = rects.get(`net:${k}`) as Rect;
        return [{ j, k, net, down: vm.y + vm.h / 2 < net.y + net.h / 2 }];
      });
      for (const w of wired) {
        const { j, k, net, down } = w;
        // NICs leaving the same side spread out along it; their labels step away from the card.
        const sameSide = wired.filter((x) => x.down === down);
        const rank = sameSide.indexOf(w);
        const offset = sameSide.length > 1 ? Math.round((rank - (sameSide.length - 1) / 2) * 64) : 0;
        const x = vm.x + vm.w / 2 + offset;
        const y1 = down ? vm.y + vm.h : net.y + net.h;
        const y2 = down ? net.y : vm.y;
        // Cards standing between the VM and its bus bar: jog around them rather than run behind them.
        const blockers = [...rects.entries()].filter(([id, r]) => id !== `vm:${i}` && !id.startsWith('net:') && x > r.x - 10 && x < r.x + r.w + 10 && r.y < y2 && r.y + r.h > y1).map(([, r]) => r);
        let detour: FlowEdgeData['detour'];
        if (blockers.length) {
          const left = Math.min(...blockers.map((r) => r.x)) - 16;
          const right = Math.max(...blockers.map((r) => r.x + r.w)) + 16;
          const dx = Math.abs(x - left) <= Math.abs(right - x) ? left : right;
          const turn = down ? Math.min(...blockers.map((r) => r.y)) - 14 : Math.max(...blockers.map((r) => r.y + r.h)) + 14;
          detour = { x: Math.round(Math.min(Math.max(dx, net.x + 18), net.x + net.w - 18)), y: Math.round(turn) };
        }
        const bad = issuesAt(issues, ['nodes', i, 'nics', j], true).some((x) => x.severity === 'error');
        edge(`nic:${i}:${j}`, `vm:${i}`, `net:${k}`, 'nic', String(n.nics[j]?.address ?? ''), bad, down ? ['b', 't'] : ['t', 'b'], { offset, labelGap: 22 + rank * 20, detour });
      }
    });
    const s = d.services;
    const lb = s?.loadBalancer;
    if (lb) {
      const port = lb.upstream.port ?? s?.app?.port ?? 3000;
      for (const m of lb.members) for (const u of lb.upstream.members) {
        const a = hostIndex.get(m);
        const b = hostIndex.get(u);
        if (a !== undefined && b !== undefined && a !== b) edge(`up:${m}:${u}`, `vm:${a}`, `vm:${b}`, 'upstream', `:${port}`);
      }
    }
    const db = s?.database;
    if (db) {
      const a = hostIndex.get(db.primary);
      for (const r of db.replicas ?? []) {
        const host = typeof r === 'string' ? r : r.node;
        const b = hostIndex.get(host);
        if (a === undefined || b === undefined || a === b) continue;
        const ra = rects.get(`vm:${a}`) as Rect;
        const rb = rects.get(`vm:${b}`) as Rect;
        // Side by side on one row: an arc under both cards keeps the gap between them clear.
        const sameRow = Math.abs(ra.y - rb.y) < 40;
        edge(`repl:${host}`, `vm:${a}`, `vm:${b}`, 'replication', db.engine, false, sameRow ? ['b', 'b'] : undefined);
      }
    }
    vips.forEach((vip, i) => {
      vip.members.forEach((m, j) => {
        const b = hostIndex.get(m.node);
        if (b !== undefined) edge(`vipm:${i}:${j}`, `vip:${i}`, `vm:${b}`, 'vip', String(m.priority));
      });
    });
    for (const id of cache.keys()) if (!rects.has(id)) cache.delete(id);
    for (const id of edgeCache.keys()) if (!liveEdges.has(id)) edgeCache.delete(id);
    // An unchanged list keeps its identity, so React Flow does not re-index hundreds of edges for a one-field edit.
    const sameList = <T,>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!sameList(nodes, lastNodes)) lastNodes = nodes;
    if (!sameList(edges, lastEdges)) lastEdges = edges;
    return { nodes: lastNodes, edges: lastEdges };
  };
}
