/**
 * The blueprint being edited, as written (defaults optional), and small
 * immutable helpers. Edits never mutate: unchanged parts keep their identity,
 * so React can skip re-rendering them and "dirty" is a reference comparison.
 */
import type { LabInput } from '../../../src-main/shared/blueprint/schema';

/** A blueprint as the editor holds it: the written form, possibly invalid. */
export type Draft = LabInput;
export type DraftNode = Draft['nodes'][number];
export type DraftNetwork = Draft['networks'][number];
export type DraftNic = DraftNode['nics'][number];
export type DraftServices = NonNullable<Draft['services']>;
export type DraftVip = NonNullable<DraftServices['vips']>[number];
export type Path = (string | number)[];
export interface Point {
  x: number;
  y: number;
}

/** The value at `path`, or undefined. */
export function getIn(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/**
 * A copy of `obj` with `value` at `path`; missing objects are created.
 * `undefined` removes the key (or the array item).
 */
export function setIn<T>(obj: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [string | number, ...Path];
  const cur = obj as unknown;
  const child = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[head] : undefined;
  const next = rest.length ? setIn(child ?? (typeof rest[0] === 'number' ? [] : {}), rest, value) : value;
  if (Array.isArray(cur)) {
    const copy = [...cur];
    if (next === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy as T;
  }
  const copy: Record<string | number, unknown> = { ...(cur as Record<string, unknown> | undefined) };
  if (next === undefined) delete copy[head];
  else copy[head] = next;
  return copy as T;
}

/** Dot-joined path, the key used for field ids and issue look-ups. */
export function pathKey(path: Path): string {
  return path.join('.');
}

/** Layout key of a network (hostnames cannot contain ":", so keys never clash). */
export const netKey = (name: string): string => `net:${name}`;
/** Layout key of a VIP group. */
export const vipKey = (name: string): string => `vip:${name}`;

/** Saved canvas positions of the draft. */
export function positionsOf(d: Draft): Record<string, Point> {
  return (d.layout?.positions ?? {}) as Record<string, Point>;
}

/** A fresh, empty blueprint. */
export function emptyDraft(): Draft {
  return {
    apiVersion: 'halab/v1',
    kind: 'Lab',
    metadata: { name: 'my-ha-lab', title: 'My HA lab' },
    defaults: { template: 'ubuntu-22.04', clone: 'linked', diskGiB: 20 },
    networks: [],
    nodes: [],
    services: { vips: [], firewall: { enabled: true } },
    drills: [],
  };
}

/** Turn any parsed YAML/JSON value into a draft the editor can hold (missing lists become empty). */
export function toDraft(value: unknown): Draft {
  const v = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  return {
    ...v,
    networks: Array.isArray(v.networks) ? v.networks : [],
    nodes: Array.isArray(v.nodes) ? v.nodes : [],
  } as Draft;
}
