/**
 * The topology canvas: React Flow fed from the editor store. Dropping a
 * palette item places it; drawing a line connects (see lib/connect.ts);
 * positions go to the blueprint's layout when a drag ends.
 */
import { Background, BackgroundVariant, ConnectionMode, Controls, MiniMap, ReactFlow, useReactFlow, type Connection, type EdgeTypes, type FinalConnectionState, type NodeChange, type NodeTypes, type ReactFlowInstance } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useT } from '../../i18n/useT';
import { layoutKeyOf } from '../../lib/blueprint-edit';
import type { Point } from '../../lib/draft';
import { createFlowModel, type FlowEdge, type FlowNode, type Size } from '../../lib/flow-model';
import { parseElementId } from '../../lib/issue-map';
import { PALETTE_MIME, type PaletteKind } from '../../lib/roles';
import { useApp } from '../../stores/app-store';
import { useEditor } from '../../stores/editor-store';
import { EdgeMarkers, Legend, NicEdge, RelationEdge } from './edges';
import { NetNode, VipNode, VmNode } from './nodes';

const nodeTypes: NodeTypes = { vm: VmNode, net: NetNode, vip: VipNode };
const edgeTypes: EdgeTypes = { nic: NicEdge, upstream: RelationEdge, replication: RelationEdge, vip: RelationEdge };

const MINIMAP_COLORS: Record<string, string> = { vm: '#64748b', net: '#0ea5e9', vip: '#a855f7' };

// Handlers live outside the component: React Flow hands them to every node and
// edge wrapper, and a new function each render would re-render all of them.
const minimapColor = (n: FlowNode) => MINIMAP_COLORS[n.type ?? 'vm'] ?? '#64748b';
const onNodeClick = (e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }, n: FlowNode) => {
  const ref = parseElementId(n.id);
  if (!ref) return;
  // Shift/Ctrl/Cmd-click adds to (or takes from) the selection.
  if (e.shiftKey || e.ctrlKey || e.metaKey) useEditor.getState().toggleSelect(ref);
  else useEditor.getState().select(ref);
};
const onEdgeClick = (_: unknown, e: FlowEdge) => useEditor.getState().select({ kind: 'edge', id: e.id });
const onPaneClick = () => useEditor.getState().select(null);
const onConnect = (c: Connection) => {
  const a = parseElementId(c.source);
  const b = parseElementId(c.target);
  if (a && b) useEditor.getState().connect(a, b);
};
/** Card text stays readable: a fit never zooms out below this; the rest is reached by scrolling. */
export const MIN_FIT_ZOOM = 0.75;
/** Room kept clear for the minimap (bottom right) and the zoom controls (bottom left). */
const MINIMAP = { w: 150, h: 100 };

/**
 * Fit the lab into the canvas, keeping clear of the controls and minimap;
 * when it would need less than MIN_FIT_ZOOM, show its top-left part at that
 * zoom instead.
 */
export function fitCanvas(flow: ReactFlowInstance<FlowNode, FlowEdge>, el: HTMLElement | null, duration = 200): void {
  const nodes = flow.getNodes();
  if (!el || nodes.length === 0) return;
  const b = flow.getNodesBounds(nodes);
  const W = el.clientWidth;
  const H = el.clientHeight;
  const pad = { l: 56, r: MINIMAP.w + 28, t: 20, b: 24 };
  const zoom = Math.min(1.1, (W - pad.l - pad.r) / Math.max(1, b.width), (H - pad.t - pad.b) / Math.max(1, b.height));
  const z = Math.max(MIN_FIT_ZOOM, zoom);
  const spareX = Math.max(0, W - pad.l - pad.r - b.width * z);
  const spareY = Math.max(0, H - pad.t - pad.b - b.height * z);
  void flow.setViewport({ x: pad.l + spareX / 2 - b.x * z, y: pad.t + spareY / 2 - b.y * z, zoom: z }, { duration });
}

/** A line released on a card's body (not on a handle): connect to that card; on nothing, say how. */
const onConnectEnd = (e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
  if (state.isValid || !state.fromNode) return;
  const pt = 'changedTouches' in e ? e.changedTouches[0] : e;
  if (!pt) return;
  const hit = document.elementsFromPoint(pt.clientX, pt.clientY).map((el) => el.closest<HTMLElement>('.react-flow__node')).find((el) => el && el.dataset.id && el.dataset.id !== state.fromNode?.id);
  const from = parseElementId(state.fromNode.id);
  const to = hit?.dataset.id ? parseElementId(hit.dataset.id) : undefined;
  if (from && to) useEditor.getState().connect(from, to);
  else if (from) useEditor.setState({ notice: { key: 'connect.dropOnCard', at: Date.now() } });
};

export function Canvas() {
  const t = useT();
  const data = useEditor((s) => s.data);
  const issues = useEditor((s) => s.issues);
  const dragging = useEditor((s) => s.dragging);
  const selection = useEditor((s) => s.selection);
  const selectedIds = useEditor((s) => s.selected.map((r) => `${r.kind}:${r.index}`).join(','));
  const fitRequest = useEditor((s) => s.fitRequest);
  const focusRequest = useEditor((s) => s.focusRequest);
  const theme = useApp((s) => s.theme);
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const wrapper = useRef<HTMLDivElement>(null);
  const build = useMemo(createFlowModel, []);
  const edgeSelected = selection?.kind === 'edge' ? selection.id : undefined;
  const [sizes, setSizes] = useState<Record<string, Size>>({});
  const built = useMemo(() => build(data, issues, dragging, selectedIds, edgeSelected, sizes), [build, data, issues, dragging, selectedIds, edgeSelected, sizes]);
  const nodes = built.nodes;
  // Each line's accessible name in the UI's language ("Connection from lb-master to vmnet8"),
  // not the canvas library's English "Edge from vm:0 to net:0". Cached per edge object, so an
  // unchanged edge keeps its identity and React Flow still skips it.
  const language = useApp((s) => s.language);
  const named = useMemo(() => new WeakMap<FlowEdge, FlowEdge>(), [language]);
  const edges = useMemo(() => {
    const nameOf = (id: string) => {
      const [kind, i] = id.split(':');
      const n = Number(i);
      if (kind === 'vm') return data.nodes[n]?.hostname ?? id;
      if (kind === 'net') return data.networks[n]?.name ?? id;
      if (kind === 'vip') return data.services?.vips?.[n]?.name ?? id;
      return id;
    };
    return built.edges.map((e) => {
      let x = named.get(e);
      if (!x) {
        x = { ...e, ariaLabel: t('canvas.a11y.edge', { from: nameOf(e.source), to: nameOf(e.target) }) };
        named.set(e, x);
      }
      return x;
    });
  }, [built.edges, named, data, t]);
  const ariaLabelConfig = useMemo(
    () => ({
      'node.a11yDescription.default': t('canvas.a11y.node'),
      'node.a11yDescription.keyboardDisabled': t('canvas.a11y.node'),
      'node.a11yDescription.ariaLiveMessage': ({ direction, x, y }: { direction: string; x: number; y: number }) => t('canvas.a11y.moved', { direction, x, y }),
      'edge.a11yDescription.default': t('canvas.a11y.edgeHint'),
      'controls.ariaLabel': t('canvas.a11y.controls'),
      'controls.zoomIn.ariaLabel': t('canvas.a11y.zoomIn'),
      'controls.zoomOut.ariaLabel': t('canvas.a11y.zoomOut'),
      'controls.fitView.ariaLabel': t('canvas.a11y.fitView'),
      'controls.interactive.ariaLabel': t('canvas.a11y.interactive'),
      'minimap.ariaLabel': t('canvas.a11y.minimap'),
      'handle.ariaLabel': t('canvas.a11y.handle'),
    }),
    [t],
  );

  // useReactFlow's object may change identity; fit only when a new request arrives.
  const handledFit = useRef(fitRequest);
  useEffect(() => {
    if (fitRequest === handledFit.current) return;
    handledFit.current = fitRequest;
    const id = requestAnimationFrame(() => fitCanvas(flow, wrapper.current));
    return () => cancelAnimationFrame(id);
  }, [fitRequest, flow]);

  const handledFocus = useRef(focusRequest?.at);
  useEffect(() => {
    if (!focusRequest || focusRequest.at === handledFocus.current) return;
    handledFocus.current = focusRequest.at;
    void flow.fitView({ nodes: [{ id: focusRequest.id }], minZoom: MIN_FIT_ZOOM, maxZoom: 1.2, duration: 250, padding: 0.6 });
  }, [focusRequest, flow]);

  // Box selection (Shift+drag on the empty canvas): React Flow reports what the box covers.
  const boxing = useRef<Set<string> | null>(null);
  const onSelectionStart = useCallback(() => {
    boxing.current = new Set();
  }, []);
  const onSelectionEnd = useCallback(() => {
    const ids = boxing.current;
    boxing.current = null;
    if (ids && ids.size) useEditor.getState().selectMany([...ids].map(parseElementId).filter((r): r is NonNullable<typeof r> => !!r));
  }, []);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const ed = useEditor.getState();
    if (boxing.current) {
      for (const c of changes) if (c.type === 'select') {
        if (c.selected) boxing.current.add(c.id);
        else boxing.current.delete(c.id);
      }
      if (changes.some((c) => c.type === 'select')) ed.selectMany([...boxing.current].map(parseElementId).filter((r): r is NonNullable<typeof r> => !!r));
    }
    const moved: Record<string, Point> = {};
    let ended = false;
    const measured: Record<string, Size> = {};
    for (const c of changes) {
      if (c.type === 'dimensions' && c.dimensions) measured[c.id] = c.dimensions;
      if (c.type !== 'position') continue;
      const ref = parseElementId(c.id);
      const key = ref && layoutKeyOf(ed.data, ref);
      if (key && c.position) moved[key] = c.position;
      if (c.dragging === false) ended = true;
    }
    if (Object.keys(measured).length) setSizes((cur) => ({ ...cur, ...measured }));
    if (Object.keys(moved).length) ed.dragMove(moved);
    if (ended) ed.dragEnd();
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(PALETTE_MIME) as PaletteKind;
      if (!kind) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      // Center the new element on the pointer rather than hanging it from its corner.
      const w = kind.startsWith('net:') ? 150 : 100;
      useEditor.getState().place(kind, { x: p.x - w, y: p.y - 30 });
    },
    [flow],
  );

  const empty = data.nodes.length === 0 && data.networks.length === 0;
  // A new empty lab starts at 100 % in the corner, whatever the last one was zoomed to.
  useEffect(() => {
    if (empty) void flow.setViewport({ x: 0, y: 0, zoom: 1 });
  }, [empty, flow]);
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches);

  return (
    <div className="canvas-column">
    <div className="canvas" ref={wrapper} data-testid="canvas" aria-label={t('canvas.label')} onDragOver={(e) => {
      if (e.dataTransfer.types.includes(PALETTE_MIME)) {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }
    }} onDrop={onDrop}>
      <EdgeMarkers />
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onSelectionStart={onSelectionStart}
        onSelectionEnd={onSelectionEnd}
        edgesFocusable={false}
        onNodeClick={onNodeClick}
        onEdgeClick={onEdgeClick}
        onPaneClick={onPaneClick}
        connectionMode={ConnectionMode.Loose}
        connectionRadius={14}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={null}
        minZoom={0.2}
        maxZoom={2}
        colorMode={dark ? 'dark' : 'light'}
        ariaLabelConfig={ariaLabelConfig}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={minimapColor} style={{ width: MINIMAP.w, height: MINIMAP.h }} />
      </ReactFlow>
      {empty && (
        <div className="canvas-empty" data-testid="canvas-empty">
          <h2>{t('canvas.empty.title')}</h2>
          <p>{t('canvas.empty.body')}</p>
        </div>
      )}
    </div>
    {!empty && <Legend />}
    </div>
  );
}
