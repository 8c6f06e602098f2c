/**
 * The topology canvas: React Flow fed from the editor store. Dropping a
 * palette item places it; drawing a line connects (see lib/connect.ts);
 * positions go to the blueprint's layout when a drag ends.
 */
import { Background, BackgroundVariant, ConnectionMode, Controls, MiniMap, ReactFlow, useReactFlow, type Connection, type EdgeTypes, type NodeChange, type NodeTypes } from '@xyflow/react';
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
const onNodeClick = (_: unknown, n: FlowNode) => {
  const ref = parseElementId(n.id);
  if (ref) useEditor.getState().select(ref);
};
const onEdgeClick = (_: unknown, e: FlowEdge) => useEditor.getState().select({ kind: 'edge', id: e.id });
const onPaneClick = () => useEditor.getState().select(null);
const onConnect = (c: Connection) => {
  const a = parseElementId(c.source);
  const b = parseElementId(c.target);
  if (a && b) useEditor.getState().connect(a, b);
};
const fitOptions = { padding: 0.12, maxZoom: 1.1 };

export function Canvas() {
  const t = useT();
  const data = useEditor((s) => s.data);
  const issues = useEditor((s) => s.issues);
  const dragging = useEditor((s) => s.dragging);
  const selection = useEditor((s) => s.selection);
  const fitRequest = useEditor((s) => s.fitRequest);
  const focusRequest = useEditor((s) => s.focusRequest);
  const theme = useApp((s) => s.theme);
  const flow = useReactFlow<FlowNode, FlowEdge>();
  const wrapper = useRef<HTMLDivElement>(null);
  const build = useMemo(createFlowModel, []);
  const selectedId = selection && selection.kind !== 'lab' && selection.kind !== 'edge' ? `${selection.kind}:${selection.index}` : undefined;
  const edgeSelected = selection?.kind === 'edge' ? selection.id : undefined;
  const [sizes, setSizes] = useState<Record<string, Size>>({});
  const { nodes, edges } = useMemo(() => build(data, issues, dragging, selectedId, edgeSelected, sizes), [build, data, issues, dragging, selectedId, edgeSelected, sizes]);

  // useReactFlow's object may change identity; fit only when a new request arrives.
  const handledFit = useRef(fitRequest);
  useEffect(() => {
    if (fitRequest === handledFit.current) return;
    handledFit.current = fitRequest;
    const id = requestAnimationFrame(() => void flow.fitView({ ...fitOptions, duration: 200 }));
    return () => cancelAnimationFrame(id);
  }, [fitRequest, flow]);

  const handledFocus = useRef(focusRequest?.at);
  useEffect(() => {
    if (!focusRequest || focusRequest.at === handledFocus.current) return;
    handledFocus.current = focusRequest.at;
    void flow.fitView({ nodes: [{ id: focusRequest.id }], maxZoom: 1.2, duration: 250, padding: 0.6 });
  }, [focusRequest, flow]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const ed = useEditor.getState();
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
        onNodeClick={onNodeClick}
        onEdgeClick={onEdgeClick}
        onPaneClick={onPaneClick}
        connectionMode={ConnectionMode.Loose}
        connectionRadius={36}
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
        minZoom={0.1}
        maxZoom={2}
        colorMode={dark ? 'dark' : 'light'}
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1.4} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeColor={minimapColor} />
      </ReactFlow>
      {!empty && <Legend />}
      {empty && (
        <div className="canvas-empty" data-testid="canvas-empty">
          <h2>{t('canvas.empty.title')}</h2>
          <p>{t('canvas.empty.body')}</p>
        </div>
      )}
    </div>
  );
}
