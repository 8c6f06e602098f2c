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
import { autoLayout, needsLayout } from '../lib/auto-layout';
import { addNetwork, addVip, addVm, deleteElement, layoutKeyOf, setField, withPositions, type ElementRef } from '../lib/blueprint-edit';
import { connect, deleteEdge, type EditMessage } from '../lib/connect';
import { emptyDraft, positionsOf, type Draft, type DraftNetwork, type DraftNode, type Path, type Point } from '../lib/draft';
import { emptyHistory, record, redo, undo, type History } from '../lib/history';
import { indexIssues, type IssueIndex } from '../lib/issue-map';
import type { PaletteKind } from '../lib/roles';
import type { Role } from '../../../src-main/shared/blueprint/schema';

/** What is selected: an element, a derived edge, or the lab itself (services panel). */
export type Selection = ElementRef | { kind: 'edge'; id: string } | { kind: 'lab' };

/** The file the draft came from. */
export interface FileInfo {
  name: string;
  /** Desktop: absolute path; web: undefined. */
  path?: string;
}

type Clip = { kind: 'vm'; node: DraftNode; at: Point } | { kind: 'net'; net: DraftNetwork; at: Point };

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
  dragging: {},
  fitRequest: 0,

  load(data, doc, file) {
    const laid = withLayout(data);
    // Fitting an empty canvas would be queued by React Flow and fire on the first placed element.
    const fit = laid.nodes.length + laid.networks.length > 0 ? 1 : 0;
    set({ data: laid, savedData: laid, doc: doc ?? newDocument(laid), file, history: emptyHistory(), selection: null, dragging: {}, fitRequest: get().fitRequest + fit, ...validate(laid, get().hostMemoryMiB) });
  },

  edit(change, opts = {}) {
    const s = get();
    const next = change(s.data);
    if (next === s.data && opts.select === undefined) return;
    const history = next === s.data ? s.history : record(s.history, { data: s.data, selection: s.selection }, opts.coalesce, Date.now());
    set({ data: next, history, selection: opts.select === undefined ? s.selection : opts.select, ...(next === s.data ? {} : validate(next, s.hostMemoryMiB)) });
  },

  setField(path, value) {
    get().edit((d) => setField(d, path, value), { coalesce: path.join('.') });
  },

  place(kind, at) {
    const d = get().data;
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
    set({ selection: sel });
  },

  deleteSelection() {
    const sel = get().selection;
    if (!sel || sel.kind === 'lab') return;
    if (sel.kind === 'edge') get().edit((d) => deleteEdge(d, sel.id), { select: null });
    else get().edit((d) => deleteElement(d, sel), { select: null });
  },

  copy() {
    const { selection: sel, data } = get();
    if (!sel || (sel.kind !== 'vm' && sel.kind !== 'net')) return;
    const key = layoutKeyOf(data, sel);
    const at = (key && positionsOf(data)[key]) || { x: 0, y: 0 };
    if (sel.kind === 'vm') {
      const node = data.nodes[sel.index];
      if (node) set({ clipboard: { kind: 'vm', node: structuredClone(node), at } });
    } else {
      const net = data.networks[sel.index];
      if (net) set({ clipboard: { kind: 'net', net: structuredClone(net), at } });
    }
  },

  paste() {
    const clip = get().clipboard;
    if (!clip) return;
    const at = { x: clip.at.x + 40, y: clip.at.y + 40 };
    set({ clipboard: { ...clip, at } });
    if (clip.kind === 'vm') {
      const role = (clip.node.roles[0] ?? 'generic') as Role;
      const r = addVm(get().data, role, at, clip.node);
      get().edit(() => r.draft, { select: { kind: 'vm', index: r.index } });
    } else {
      const r = addNetwork(get().data, clip.net.type, at);
      get().edit(() => r.draft, { select: { kind: 'net', index: r.index } });
    }
  },

  undo() {
    const s = get();
    const r = undo(s.history, { data: s.data, selection: s.selection });
    if (r) set({ data: r.state.data, selection: r.state.selection, history: r.history, ...validate(r.state.data, s.hostMemoryMiB) });
  },

  redo() {
    const s = get();
    const r = redo(s.history, { data: s.data, selection: s.selection });
    if (r) set({ data: r.state.data, selection: r.state.selection, history: r.history, ...validate(r.state.data, s.hostMemoryMiB) });
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
