/**
 * Canvas edge components. A NIC drops straight onto its network's bus bar
 * under the VM; upstreams, replication and VIP membership are curves with
 * their own colour and label.
 */
import { BaseEdge, EdgeLabelRenderer, getBezierPath, Position, useInternalNode, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useT } from '../../i18n/useT';
import type { FlowEdge } from '../../lib/flow-model';

function Label({ x, y, className, text, testId }: { x: number; y: number; className: string; text: string; testId: string }) {
  return (
    <EdgeLabelRenderer>
      <div className={`edge-label ${className}`} style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }} data-testid={testId}>
        {text}
      </div>
    </EdgeLabelRenderer>
  );
}

/** VM → network: a drop onto the bus bar, labelled with the NIC's address. */
export const NicEdge = memo(function NicEdge({ id, target, sourceX, sourceY, targetY, data, selected }: EdgeProps<FlowEdge>) {
  const net = useInternalNode(target);
  const left = net?.internals.positionAbsolute.x ?? sourceX;
  const width = net?.measured.width ?? 300;
  const sx = sourceX + (data?.offset ?? 0);
  const detour = data?.detour;
  const tx = Math.min(Math.max(detour ? detour.x : sx, left + 18), left + width - 18);
  const dir = Math.sign(targetY - sourceY) || 1;
  let path: string;
  if (detour) path = `M ${sx} ${sourceY} L ${sx} ${detour.y} L ${tx} ${detour.y} L ${tx} ${targetY}`;
  else if (Math.abs(tx - sx) < 1) path = `M ${sx} ${sourceY} L ${tx} ${targetY}`;
  else {
    const mid = sourceY + dir * Math.min(30, Math.abs(targetY - sourceY) / 2);
    path = `M ${sx} ${sourceY} L ${sx} ${mid} L ${tx} ${mid} L ${tx} ${targetY}`;
  }
  // Close to the VM, stepped per NIC: the middle of a long drop may sit beside other cards.
  const gap = Math.min(data?.labelGap ?? 22, Math.max(10, Math.abs(targetY - sourceY) - 12));
  const lx = sx;
  const ly = sourceY + dir * gap;
  const cls = `edge-nic${data?.bad ? ' bad' : ''}${selected ? ' selected' : ''}`;
  return (
    <>
      <BaseEdge id={id} path={path} className={cls} />
      <circle cx={tx} cy={targetY} r={4} className={`nic-dot${data?.bad ? ' bad' : ''}`} />
      {data?.label && <Label x={lx} y={ly} className={`label-nic${data.bad ? ' bad' : ''}`} text={data.label} testId={`edge-label-${id}`} />}
    </>
  );
});

/** Load balancer → app, primary → replica, VIP → member. */
export const RelationEdge = memo(function RelationEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected }: EdgeProps<FlowEdge>) {
  const t = useT();
  const kind = data?.kind ?? 'upstream';
  let path: string;
  let lx: number;
  let ly: number;
  if (sourcePosition === Position.Bottom && targetPosition === Position.Bottom) {
    const dip = Math.max(sourceY, targetY) + 46;
    path = `M ${sourceX} ${sourceY} C ${sourceX} ${dip}, ${targetX} ${dip}, ${targetX} ${targetY}`;
    lx = (sourceX + targetX) / 2;
    ly = dip - 10;
  } else [path, lx, ly] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  // Upstreams are many and alike: the legend names them; replication says its engine.
  return (
    <>
      <BaseEdge id={id} path={path} className={`edge-${kind}${selected ? ' selected' : ''}`} markerEnd={`url(#arrow-${kind})`} />
      {kind === 'replication' && <Label x={lx} y={ly} className="label-replication" text={`${t('edge.replication')} · ${data?.label}`} testId={`edge-label-${id}`} />}
    </>
  );
});

/** Arrowhead markers, one colour per edge kind (referenced as url(#arrow-<kind>)). */
export function EdgeMarkers() {
  return (
    <svg className="edge-markers" width="0" height="0" aria-hidden="true">
      <defs>
        {(['upstream', 'replication', 'vip'] as const).map((k) => (
          <marker key={k} id={`arrow-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className={`marker-${k}`} />
          </marker>
        ))}
      </defs>
    </svg>
  );
}

/** What the line styles mean. */
export function Legend() {
  const t = useT();
  const items = [
    ['nic', 'legend.nic'],
    ['upstream', 'legend.upstream'],
    ['replication', 'legend.replication'],
    ['vip', 'legend.vip'],
  ] as const;
  return (
    <div className="legend" data-testid="legend">
      {items.map(([k, label]) => (
        <span key={k} className="legend-item">
          <svg width="26" height="8" aria-hidden="true">
            <path d="M1 4 H25" className={`react-flow__edge-path edge-${k}`} />
          </svg>
          {t(label)}
        </span>
      ))}
    </div>
  );
}
