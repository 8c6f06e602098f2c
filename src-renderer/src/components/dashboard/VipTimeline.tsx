/**
 * VIP ownership over the last minutes: one lane for who holds the address
 * (split brain and no owner in red), one lane per member for keepalived's
 * state, built from the monitor's events (vip-moved, vip-split, vip-lost,
 * keepalived-state) as snapshots and deltas bring them.
 */
import { memo, useMemo } from 'react';
import { useT } from '../../i18n/useT';
import { vipTimeline, type Segment } from '../../lib/dashboard-model';
import { clock } from '../../lib/theme-colors';
import { useMonitor } from '../../stores/monitor-store';

const WINDOW_MS = 5 * 60_000;

export const VipTimeline = memo(function VipTimeline() {
  const t = useT();
  const vips = useMonitor((s) => s.state?.vips);
  const lab = useMonitor((s) => s.watching);
  const events = useMonitor((s) => (lab ? s.events[lab] : undefined));
  const now = useMonitor((s) => s.state?.at);
  const lanes = useMemo(() => {
    if (!vips || !now) return [];
    // From the first event seen (or one minute back), at most WINDOW_MS.
    const first = events?.find((e) => e.kind.startsWith('vip') || e.kind === 'keepalived-state')?.at ?? now - 60_000;
    // Events carry their own times (keepalived's may be a little ahead of the delta's).
    const to = Math.max(now, events?.at(-1)?.at ?? 0);
    const from = Math.max(to - WINDOW_MS, Math.min(first, to - 60_000));
    return vips.map((v) => ({ vip: v, from, to, ...vipTimeline(v, events ?? [], from, to) }));
  }, [vips, events, now]);
  if (!lanes.length) return <p className="muted" data-testid="vip-timeline">{vips ? t('card.noVip') : '…'}</p>;
  return (
    <div className="timeline" data-testid="vip-timeline">
      {lanes.map((l) => (
        <div key={l.vip.name} className="timeline-group">
          <Lane label={`${l.vip.address}`} segments={l.owner} from={l.from} to={l.to} testId={`timeline-owner-${l.vip.name}`} owner />
          {l.members.map((m) => (
            <Lane key={m.node} label={m.node} segments={m.segments} from={l.from} to={l.to} testId={`timeline-member-${m.node}`} />
          ))}
          <div className="timeline-axis">
            <span />
            <div>
              <span>{clock(l.from)}</span>
              <span>{clock(l.from + (l.to - l.from) / 2)}</span>
              <span>{clock(l.to)}</span>
            </div>
          </div>
        </div>
      ))}
      <div className="timeline-legend muted">
        <span><i className="seg-ok" /> {t('timeline.owner')}</span>
        <span><i className="seg-split" /> {t('card.splitBrain')}</span>
        <span><i className="seg-none" /> {t('card.noOwner')}</span>
        <span><i className="seg-MASTER" /> MASTER</span>
        <span><i className="seg-BACKUP" /> BACKUP</span>
        <span><i className="seg-FAULT" /> FAULT / STOP</span>
      </div>
    </div>
  );
});

function Lane({ label, segments, from, to, testId, owner }: { label: string; segments: Segment[]; from: number; to: number; testId: string; owner?: boolean }) {
  const t = useT();
  const span = Math.max(1, to - from);
  return (
    <div className={`timeline-lane${owner ? ' owner' : ''}`} data-testid={testId}>
      <span className="timeline-label mono">{label}</span>
      <div className="timeline-track">
        {segments.map((s, i) => {
          const text = s.kind === 'split' ? `${t('card.splitBrain')}: ${s.label}` : s.kind === 'none' ? t('card.noOwner') : s.label;
          return (
            <div
              key={i}
              className={`seg seg-${s.kind}`}
              style={{ left: `${((s.from - from) / span) * 100}%`, width: `${((s.to - s.from) / span) * 100}%` }}
              title={`${clock(s.from)} – ${clock(s.to)}  ${text || t('timeline.unknown')}`}
            >
              <span>{text}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
