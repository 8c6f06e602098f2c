/**
 * The blueprint being edited: the draft, its YAML document (for comments),
 * validation by the shared validator after every edit, undo/redo, selection
 * and clipboard. Drag positions live outside the draft until the drag ends,
 * so a drag is one undo step.
 */
import type { Document } from 'yaml';
import { create } from 'zustand';
import type { Issue } from '../../../src-main/shared/blueprint/issues';
import { validateLab, type ValidationResult } from '../../../src-main/shared/blueprint/validate';
import { newDocument, stringifyBlueprint, updateDocument } from '../../../src-main/shared/blueprint/yaml-doc';
import { autoLayout, freeSpot, needsLayout, sizeOfKind, VM_WIDTH, vmHeight, type Box } from '../lib/auto-layout';
import { addNetwork, addVip, addVm, deleteElement, layoutKeyOf, setField, withPositions, type ElementRef } from '../lib/blueprint-edit';
import { connect, deleteEdge, type EditMessage } from '../lib/connect';
import { emptyDraft, positionsOf, type Draft, type DraftNetwork, type DraftNode, type Path, type Point } from '../lib/draft';
import { emptyHistory, record, redo, undo, type History } from '../lib/history';
import { indexIssues, type IssueIndex } from '../lib/issue-map';
import { primaryRole, type PaletteKind } from '../lib/roles';
import type { Role } from '../../../src-main/shared/blueprint/schema';

/** What is selected: an element, a derived edge, or the lab itself (services panel). */
export type Selection = ElementRef | { kind: 'edge'; id: string } | { kind: 'lab' };

/** The file the draft came from. */
export interface FileInfo {
  name: string;
  /** Desktop: absolute path; web: undefined. */
  path?: string;
}

/** Copied elements with their positions; pasted VMs follow pasted networks they were wired to. */
interface Clip {
  vms: { node: DraftNode; at: Point }[];
  nets: { net: DraftNetwork; at: Point }[];
  /** How far the next paste lands from the originals. */
  offset: number;
}

/** An element's identity that survives index shifts (hostname, network or VIP name). */
type ElementKey = { kind: ElementRef['kind']; name: string };
const keyOf = (d: Draft, r: ElementRef): ElementKey | undefined => {
  const name = r.kind === 'vm' ? d.nodes[r.index]?.hostname : r.kind === 'net' ? d.networks[r.index]?.name : d.services?.vips?.[r.index]?.name;
  return name === undefined ? undefined : { kind: r.kind, name };
};
const refOf = (d: Draft, k: ElementKey): ElementRef | undefined => {
  const index = k.kind === 'vm' ? d.nodes.findIndex((n) => n.hostname === k.name) : k.kind === 'net' ? d.networks.findIndex((n) => n.name === k.name) : (d.services?.vips ?? []).findIndex((v) => v.name === k.name);
  return index < 0 ? undefined : { kind: k.kind, index };
};
const isElement = (s: Selection | null | undefined): s is ElementRef => !!s && (s.kind === 'vm' || s.kind === 'net' || s.kind === 'vip');
const sameRef = (a: ElementRef, b: ElementRef) => a.kind === b.kind && a.index === b.index;

interface Snapshot {
  data: Draft;
  selection: Selection | null;
}

export interface EditorState {
  data: Draft;
  doc: Document;
  /** The draft as last saved or opened; dirty means `data !== savedData`. */
  savedData: Draft;
  file: FileInfo;
  validation: ValidationResult;
  issues: IssueIndex;
  history: History<Snapshot>;
  selection: Selection | null;
  /** Every selected element (the selection plus shift/ctrl-clicked or boxed ones). */
  selected: ElementRef[];
  clipboard?: Clip;
  /** Positions while dragging, by layout key. */
  dragging: Record<string, Point>;
  /** Last edit message (a refused connection), shown as a toast. */
  notice?: EditMessage & { at: number };
  hostMemoryMiB?: number;
  /** Bumped to ask the canvas to fit the view (after open or auto-layout). */
  fitRequest: number;
  /** Element the canvas should center on (problems panel). */
  focusRequest?: { id: string; at: number };

  load(data: Draft, doc: Document | undefined, file: FileInfo): void;
  edit(change: (d: Draft) => Draft, opts?: { coalesce?: string; select?: Selection | null }): void;
  setField(path: Path, value: unknown): void;
  place(kind: PaletteKind, at: Point): void;
  connect(a: ElementRef, b: ElementRef): void;
  select(sel: Selection | null): void;
  /** Add or remove one element (shift/ctrl-click). */
  toggleSelect(ref: ElementRef): void;
  /** Select exactly these elements (box select). */
  selectMany(refs: ElementRef[]): void;
  selectAll(): void;
  /** Move every selected element by (dx, dy); successive nudges are one undo step. */
  nudge(dx: number, dy: number): void;
  deleteSelection(): void;
  copy(): void;
  paste(): void;
  undo(): void;
  redo(): void;
  dragMove(positions: Record<string, Point>): void;
  dragEnd(): void;
  autoLayout(): void;
  focus(ref: ElementRef | { kind: 'lab' }): void;
  setHostMemory(mib: number | undefined): void;
  /** Serialize (comment-preserving) for saving; does not mark saved. */
  serialize(): string;
  markSaved(file: FileInfo): void;
  isDirty(): boolean;
}

/** User Timing mark set after every validation (read by bench/browser). */
export const VALIDATED_MARK = 'halab:validated';

function validate(data: Draft, hostMemoryMiB?: number): { validation: ValidationResult; issues: IssueIndex } {
  const validation = validateLab(data, { hostMemoryMiB });
  const issues = indexIssues(validation.issues);
  performance.clearMarks(VALIDATED_MARK);
  performance.mark(VALIDATED_MARK);
  return { validation, issues };
}

/** Fill in positions for elements that have none: all of them when nothing is placed, else below what is. */
export function withLayout(d: Draft): Draft {
  if (!needsLayout(d)) return d;
  const auto = autoLayout(d);
  const existing = positionsOf(d);
  const keys = Object.keys(existing);
  if (keys.length === 0) return withPositions(d, auto);
  const bottom = Math.max(...Object.values(existing).map((p) => p.y)) + 220;
  const missing: Record<string, Point> = {};
  for (const [k, p] of Object.entries(auto)) if (!existing[k]) missing[k] = { x: p.x, y: p.y + bottom };
  return withPositions(d, missing);
}

const initial = emptyDraft();

export const useEditor = create<EditorState>()((set, get) => ({
  data: initial,
  doc: newDocument(initial),
  savedData: initial,
  file: { name: 'untitled.yaml' },
  ...validate(initial),
  history: emptyHistory<Snapshot>(),
  selection: null,
  selected: [],
  dragging: {},
  fitRequest: 0,

  load(data, doc, file) {
    const laid = withLayout(data);
    // Fitting an empty canvas would be queued by React Flow and fire on the first placed element.
    const fit = laid.nodes.length + laid.networks.length > 0 ? 1 : 0;
    set({ data: laid, savedData: laid, doc: doc ?? newDocument(laid), file, history: emptyHistory(), selection: null, selected: [], dragging: {}, fitRequest: get().fitRequest + fit, ...validate(laid, get().hostMemoryMiB) });
  },

  edit(change, opts = {}) {
    const s = get();
    const next = change(s.data);
    if (next === s.data && opts.select === undefined) return;
    const history = next === s.data ? s.history : record(s.history, { data: s.data, selection: s.selection }, opts.coalesce, Date.now());
    const selection = opts.select === undefined ? s.selection : opts.select;
    const selected = opts.select === undefined ? s.selected : isElement(opts.select) ? [opts.select] : [];
    set({ data: next, history, selection, selected, ...(next === s.data ? {} : validate(next, s.hostMemoryMiB)) });
  },

  setField(path, value) {
    get().edit((d) => setField(d, path, value), { coalesce: path.join('.') });
  },

  place(kind, at) {
    const d = get().data;
    const size = sizeOfKind(kind);
    at = freeSpot(d, at, size.w, size.h);
    if (kind === 'vip') {
      const r = addVip(d, at);
      get().edit(() => r.draft, { select: { kind: 'vip', index: r.index } });
    } else if (kind.startsWith('net:')) {
      const r = addNetwork(d, kind.slice(4) as DraftNetwork['type'], at);
      get().edit(() => r.draft, { select: { kind: 'net', index: r.index } });
    } else {
      const r = addVm(d, kind.slice(3) as Role, at);
      get().edit(() => r.draft, { select: { kind: 'vm', index: r.index } });
    }
  },

  connect(a, b) {
    const r = connect(get().data, a, b);
    if (r.error) set({ notice: { ...r.error, at: Date.now() } });
    else get().edit(() => r.draft);
  },

  select(sel) {
    set({ selection: sel, selected: isElement(sel) ? [sel] : [] });
  },

  toggleSelect(ref) {
    const { selected, selection } = get();
    const base = selected.length ? selected : isElement(selection) ? [selection] : [];
    const next = base.some((r) => sameRef(r, ref)) ? base.filter((r) => !sameRef(r, ref)) : [...base, ref];
    set({ selected: next, selection: next.length === 1 ? (next[0] as ElementRef) : next.length ? ref : null });
  },

  selectMany(refs) {
    set({ selected: refs, selection: refs.length === 1 ? (refs[0] as ElementRef) : null });
  },

  selectAll() {
    const d = get().data;
    const refs: ElementRef[] = [...d.nodes.map((_, index) => ({ kind: 'vm' as const, index })), ...d.networks.map((_, index) => ({ kind: 'net' as const, index })), ...(d.services?.vips ?? []).map((_, index) => ({ kind: 'vip' as const, index }))];
    get().selectMany(refs);
  },

  nudge(dx, dy) {
    const { selected, data } = get();
    if (!selected.length) return;
    const pos = positionsOf(data);
    const moved: Record<string, Point> = {};
    for (const r of selected) {
      const k = layoutKeyOf(data, r);
      const p = k && pos[k];
      if (k && p) moved[k] = { x: p.x + dx, y: p.y + dy };
    }
    get().edit((d) => withPositions(d, moved), { coalesce: 'nudge' });
  },

  deleteSelection() {
    const { selection: sel, selected, data } = get();
    if (selected.length > 1) {
      const keys = selected.map((r) => keyOf(data, r)).filter((k): k is ElementKey => !!k);
      get().edit((d) => {
        let next = d;
        for (const k of keys) {
          const r = refOf(next, k);
          if (r) next = deleteElement(next, r);
        }
        return next;
      }, { select: null });
      return;
    }
    if (!sel || sel.kind === 'lab') return;
    if (sel.kind === 'edge') get().edit((d) => deleteEdge(d, sel.id), { select: null });
    else get().edit((d) => deleteElement(d, sel), { select: null });
  },

  copy() {
    const { selection: sel, selected, data } = get();
    const refs = selected.length ? selected : isElement(sel) ? [sel] : [];
    const pos = positionsOf(data);
    const clip: Clip = { vms: [], nets: [], offset: 40 };
    for (const r of refs) {
      const key = layoutKeyOf(data, r);
      const at = (key && pos[key]) || { x: 0, y: 0 };
      if (r.kind === 'vm' && data.nodes[r.index]) clip.vms.push({ node: structuredClone(data.nodes[r.index] as DraftNode), at });
      if (r.kind === 'net' && data.networks[r.index]) clip.nets.push({ net: structuredClone(data.networks[r.index] as DraftNetwork), at });
    }
    if (clip.vms.length + clip.nets.length) set({ clipboard: clip });
  },

  paste() {
    const clip = get().clipboard;
    if (!clip) return;
    const off = clip.offset;
    set({ clipboard: { ...clip, offset: off + 40 } });
    let d = get().data;
    const made: ElementRef[] = [];
    const netNames = new Map<string, string>();
    const taken: Box[] = [];
    // One element goes to the nearest free spot; a group keeps its shape, shifted.
    const single = clip.nets.length + clip.vms.length === 1;
    for (const n of clip.nets) {
      const want = { x: n.at.x + off, y: n.at.y + off };
      const at = single ? freeSpot(d, want, sizeOfKind('net:nat').w, sizeOfKind('net:nat').h, taken) : want;
      const r = addNetwork(d, n.net.type, at);
      d = r.draft;
      netNames.set(n.net.name, d.networks[r.index]?.name as string);
      made.push({ kind: 'net', index: r.index });
    }
    for (const v of clip.vms) {
      const node = { ...v.node, nics: v.node.nics.map((x) => ({ ...x, network: netNames.get(x.network) ?? x.network })) };
      const h = vmHeight(node.nics.length);
      const want = { x: v.at.x + off, y: v.at.y + off };
      const at = single ? freeSpot(d, want, VM_WIDTH, h, taken) : want;
      const r = addVm(d, primaryRole(node.roles), at, node);
      d = r.draft;
      taken.push({ x: at.x, y: at.y, w: VM_WIDTH, h });
      made.push({ kind: 'vm', index: r.index });
    }
    get().edit(() => d, { select: made.length === 1 ? (made[0] as ElementRef) : null });
    if (made.length > 1) get().selectMany(made);
  },

  undo() {
    const s = get();
    const r = undo(s.history, { data: s.data, selection: s.selection });
    if (r) set({ data: r.state.data, selection: r.state.selection, selected: isElement(r.state.selection) ? [r.state.selection] : [], history: r.history, ...validate(r.state.data, s.hostMemoryMiB) });
  },

  redo() {
    const s = get();
    const r = redo(s.history, { data: s.data, selection: s.selection });
    if (r) set({ data: r.state.data, selection: r.state.selection, selected: isElement(r.state.selection) ? [r.state.selection] : [], history: r.history, ...validate(r.state.data, s.hostMemoryMiB) });
  },

  dragMove(positions) {
    set({ dragging: { ...get().dragging, ...positions } });
  },

  dragEnd() {
    const moved = get().dragging;
    if (Object.keys(moved).length === 0) return;
    set({ dragging: {} });
    get().edit((d) => withPositions(d, moved));
  },

  autoLayout() {
    get().edit((d) => withPositions(d, autoLayout(d)));
    set({ fitRequest: get().fitRequest + 1 });
  },

  focus(ref) {
    set({ selection: ref, focusRequest: ref.kind === 'lab' ? undefined : { id: `${ref.kind}:${ref.index}`, at: Date.now() } });
  },

  setHostMemory(mib) {
    set({ hostMemoryMiB: mib, ...validate(get().data, mib) });
  },

  serialize() {
    const { doc, data } = get();
    updateDocument(doc, data);
    return stringifyBlueprint(doc);
  },

  markSaved(file) {
    set({ savedData: get().data, file });
  },

  isDirty() {
    return get().data !== get().savedData;
  },
}));

/** All issues of the current draft (for the problems panel). */
export const selectIssues = (s: EditorState): Issue[] => s.validation.issues;
