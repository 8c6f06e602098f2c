/**
 * A drill report as Markdown (to hand in) and as one self-contained HTML
 * file with its charts drawn as inline SVG (no scripts, no external files).
 */
import { bucketize, type DrillReport } from '../shared/drills/report';

const ms = (v: number | undefined) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);
const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function measurementRows(r: DrillReport): [string, string][] {
  const m = r.measurements;
  if (!m) return [];
  const rows: [string, string][] = [
    ['Time to detection', ms(m.detectionMs)],
    ['VIP move time', ms(m.vipMoveMs)],
    ['VRRP master-down interval', ms(m.masterDownIntervalMs)],
    ['Time to first success after the fault', ms(m.firstSuccessAfterFaultMs)],
    ['Longest outage', ms(m.outageMs)],
    ['Requests', String(m.requests)],
    ['Failed requests', `${m.failed} (${m.failedPct} %)`],
    ['Failed after the fault / in flight while it was injected', `${m.failedAfterFault} / ${m.inFlightAtFault}`],
    ['Latency p50 / p95 / p99 / max', `${m.latency.p50} / ${m.latency.p95} / ${m.latency.p99} / ${m.latency.max} ms`],
    ['Rows acknowledged / lost', `${m.rowsAcknowledged} / ${m.rowsLost ?? 'not counted (no database)'}`],
  ];
  if (m.promotedMs !== undefined) rows.push(['Replica promoted after', ms(m.promotedMs)]);
  if (m.vipBackMs !== undefined) rows.push(['VIP back on the master after restore', ms(m.vipBackMs)]);
  return rows;
}

const mark = (ok: boolean) => (ok ? '✅' : '❌');

export function renderMarkdownReport(r: DrillReport): string {
  const out: string[] = [
    `# Drill report: ${r.title}`,
    '',
    `- Lab: **${r.lab}** on ${r.provider}`,
    `- Drill: \`${r.drill}\`, started ${r.startedAt}, ${ms(r.endAt)} in all`,
    `- Verdict: **${r.verdict.toUpperCase()}** — ${r.verdictText}`,
    '',
    '## Hypothesis',
    '',
    r.hypothesis,
    '',
    '## Steady state before the fault',
    '',
    ...r.steadyState.map((c) => `- ${mark(c.ok)} ${c.name}: ${c.detail}`),
    '',
  ];
  if (r.fault) out.push('## Fault', '', `${r.fault} (at ${ms(r.faultAt)} from the start)`, '');
  const rows = measurementRows(r);
  if (rows.length) out.push('## Measurements', '', '| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');
  if (r.expectations.length) out.push('## Expectations', '', ...r.expectations.map((c) => `- ${mark(c.ok)} ${c.name}: ${c.detail}`), '');
  if (r.events.length) out.push('## Timeline', '', '| t | event |', '| --- | --- |', ...r.events.map((e) => `| ${ms(e.t)} | ${e.message.replace(/\|/g, '\\|')} |`), '');
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return `${out.join('\n')}\n`;
}

/** Requests over time: stacked ok/failed bars with fault and restore lines. */
function requestChart(r: DrillReport): string {
  const buckets = bucketize(r.requests, 500);
  if (!buckets.length) return '<p>No load was sent.</p>';
  const w = 720;
  const h = 200;
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed));
  // The time axis reaches past the restore line so its label fits.
  const end = Math.max(buckets.length * 500, (r.restoreAt ?? 0) + 1500);
  const bw = (w * 500) / end;
  const y = (v: number) => h - 20 - (v / max) * (h - 40);
  const bars = buckets
    .map((b, i) => {
      const x = (i * bw).toFixed(1);
      const okTop = y(b.ok);
      const failTop = y(b.ok + b.failed);
      return `<rect x="${x}" y="${okTop.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(h - 20 - okTop).toFixed(1)}" fill="#2e9d5b"><title>${b.ok} ok</title></rect>${b.failed ? `<rect x="${x}" y="${failTop.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(okTop - failTop).toFixed(1)}" fill="#d64545"><title>${b.failed} failed</title></rect>` : ''}`;
    })
    .join('');
  const line = (t: number | undefined, label: string, color: string) => (t === undefined ? '' : `<line x1="${((t / end) * w).toFixed(1)}" x2="${((t / end) * w).toFixed(1)}" y1="0" y2="${h - 20}" stroke="${color}" stroke-dasharray="4 3"/><text x="${((t / end) * w + 4).toFixed(1)}" y="12" font-size="11" fill="${color}">${label}</text>`);
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="requests per half second"><line x1="0" x2="${w}" y1="${h - 20}" y2="${h - 20}" stroke="#999"/>${bars}${line(r.faultAt, 'fault', '#b03030')}${line(r.restoreAt, 'restore', '#3060b0')}<text x="0" y="${h - 4}" font-size="11" fill="#666">0 s</text><text x="${w - 40}" y="${h - 4}" font-size="11" fill="#666">${(end / 1000).toFixed(0)} s</text></svg>`;
}

export function renderHtmlReport(r: DrillReport): string {
  const rows = measurementRows(r)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const list = (cs: DrillReport['expectations']) => cs.map((c) => `<li class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✔' : '✘'} <b>${esc(c.name)}</b>: ${esc(c.detail)}</li>`).join('');
  const events = r.events.map((e) => `<tr><td>${esc(ms(e.t))}</td><td>${esc(e.message)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)} — drill report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#222}h1{font-size:1.5em}
.verdict{padding:.6em 1em;border-radius:6px;font-weight:600}.passed{background:#e3f6e9}.failed,.error{background:#fbe4e4}.refused{background:#fff4d6}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}li.ok{color:#1d6b3d}li.bad{color:#a52a2a}</style></head>
<body><h1>${esc(r.title)}</h1>
<p>Lab <b>${esc(r.lab)}</b> on ${esc(r.provider)} · drill <code>${esc(r.drill)}</code> · ${esc(r.startedAt)}</p>
<p class="verdict ${r.verdict}">${esc(r.verdict.toUpperCase())}: ${esc(r.verdictText)}</p>
<h2>Hypothesis</h2><p>${esc(r.hypothesis)}</p>
<h2>Steady state</h2><ul>${list(r.steadyState)}</ul>
${r.fault ? `<h2>Fault</h2><p>${esc(r.fault)}</p>` : ''}
<h2>Requests through the VIP</h2>${requestChart(r)}
${rows ? `<h2>Measurements</h2><table>${rows}</table>` : ''}
${r.expectations.length ? `<h2>Expectations</h2><ul>${list(r.expectations)}</ul>` : ''}
${events ? `<h2>Timeline</h2><table>${events}</table>` : ''}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
