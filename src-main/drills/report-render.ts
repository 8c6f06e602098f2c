/**
 * A drill report as Markdown (to hand in) and as one self-contained HTML
 * file with the lab's topology picture and its charts drawn as inline SVG
 * (no scripts, no external files) and a print stylesheet (A4, no page
 * break inside a chart or table). English or Korean headings and labels
 * (`lang`); the drill's own texts (title, hypothesis, checks, verdict, notes,
 * timeline, RTO/RPO against the objectives) are catalog messages rendered
 * in the same language (reports written before the catalog show their
 * recorded English).
 * `renderDrillSectionHtml` is the same report as a section of the lab
 * report (`halab report`).
 */
import { rt, type ReportKey, type ReportLanguage } from '../report/catalog';
import { TOPOLOGY_FONTS } from '../shared/blueprint/topology-svg';
import { bucketize, textOf, type Check, type DrillReport } from '../shared/drills/report';
import { eventText, objectiveRows, objectivesStatedMsg } from '../shared/drills/report-text';
import { render } from '../shared/i18n';

export interface DrillRenderOptions {
  lang?: ReportLanguage;
  /** The lab's topology picture (`toTopologySvg`), embedded above the report. */
  topologySvg?: string;
}

const ms = (v: number | undefined) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);
export const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function measurementRows(r: DrillReport, lang: ReportLanguage): [string, string][] {
  const m = r.measurements;
  if (!m) return [];
  const t = (k: ReportKey) => rt(lang, k);
  const rows: [string, string][] = [
    [t('m.detection'), ms(m.detectionMs)],
    [t('m.vipMove'), ms(m.vipMoveMs)],
    [t('m.masterDown'), ms(m.masterDownIntervalMs)],
    [t('m.firstSuccess'), ms(m.firstSuccessAfterFaultMs)],
    [t('m.outage'), ms(m.outageMs)],
    [t('m.requests'), String(m.requests)],
    [t('m.failed'), `${m.failed} (${m.failedPct} %)`],
    [t('m.failedAfter'), `${m.failedAfterFault} / ${m.inFlightAtFault}`],
    [t('m.latency'), `${m.latency.p50} / ${m.latency.p95} / ${m.latency.p99} / ${m.latency.max} ms`],
    [t('m.rows'), `${m.rowsAcknowledged} / ${m.rowsLost ?? t('m.rowsNotCounted')}`],
  ];
  if (m.promotedMs !== undefined) rows.push([t('m.promoted'), ms(m.promotedMs)]);
  if (m.vipBackMs !== undefined) rows.push([t('m.vipBack'), ms(m.vipBackMs)]);
  const ss = m.semiSyncAtFault;
  if (ss) {
    const state = ss.active ? rt(lang, 'm.semiSyncOn', { waitPoint: ss.waitPoint || '?', clients: ss.clients, timeout: ss.timeoutMs ?? '?' }) : ss.enabled ? rt(lang, 'm.semiSyncFellBack', { noTx: ss.noTx ?? '?' }) : t('m.semiSyncOff');
    rows.push([t('m.semiSync'), state]);
  }
  if (m.transactionsLost !== undefined) rows.push([t('m.gtidLost'), `${m.transactionsLost} (${m.gtidPrimaryFinal ?? m.gtidPrimaryAtFault ?? '?'} / ${m.gtidReplicaAtPromotion ?? '?'})${m.promotionForced ? `, ${t('m.forced')}` : ''}`]);
  return rows;
}

const mark = (ok: boolean) => (ok ? '✅' : '❌');
/** A check's name and detail in `lang`. */
const checkText = (c: Check, lang: ReportLanguage) => ({ name: textOf(lang, c.nameMsg, c.name), detail: textOf(lang, c.detailMsg, c.detail) });
const titleOf = (r: DrillReport, lang: ReportLanguage) => textOf(lang, r.titleMsg, r.title);
/** The timeline in time order (keepalived's own timestamps can arrive after later events). */
const byTime = (r: DrillReport) => [...r.events].sort((a, b) => a.t - b.t);
const notesOf = (r: DrillReport, lang: ReportLanguage) => (r.noteMsgs ? r.noteMsgs.map((n) => render(lang, n)) : r.notes);
const verdictWord = (r: DrillReport, lang: ReportLanguage) => rt(lang, `verdict.${r.verdict}` as ReportKey);

/** An SVG as a Markdown image (a data: URI, so the .md file stays one file). */
export function svgImage(svg: string, alt: string): string {
  return `![${alt.replace(/[[\]]/g, '')}](data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')})`;
}

/** The body of the Markdown report, headings starting at `level` (1: its own document). */
export function renderMarkdownSection(r: DrillReport, opts: DrillRenderOptions & { level?: number } = {}): string[] {
  const lang = opts.lang ?? 'en';
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const h = '#'.repeat(opts.level ?? 1);
  const line = (c: Check) => {
    const x = checkText(c, lang);
    return `- ${mark(c.ok)} ${x.name}: ${x.detail}`;
  };
  const out: string[] = [
    `${h} ${t('dr.title', { title: titleOf(r, lang) })}`,
    '',
    `- ${t('dr.lab')}: **${r.lab}** (${r.provider})`,
    `- ${t('dr.drill')}: \`${r.drill}\`, ${t('dr.started', { at: r.startedAt })}, ${t('dr.inAll', { time: ms(r.endAt) })}`,
    `- ${t('dr.verdict')}: **${verdictWord(r, lang)}** — ${textOf(lang, r.verdictMsg, r.verdictText)}`,
    '',
  ];
  if (opts.topologySvg) out.push(svgImage(opts.topologySvg, r.lab), '');
  out.push(`${h}# ${t('dr.hypothesis')}`, '', textOf(lang, r.hypothesisMsg, r.hypothesis), '', `${h}# ${t('dr.steady')}`, '', ...r.steadyState.map(line), '');
  if (r.fault) out.push(`${h}# ${t('dr.fault')}`, '', t('dr.faultAt', { fault: textOf(lang, r.faultMsg, r.fault), time: ms(r.faultAt) }), '');
  if (r.requests.length) out.push(`${h}# ${t('dr.requests')}`, '', svgImage(requestChart(r, lang), t('dr.requests')), '', svgImage(latencyChart(r, lang), t('dr.latency')), '');
  const rows = measurementRows(r, lang);
  if (rows.length) out.push(`${h}# ${t('dr.measurements')}`, '', `| ${t('dr.measure')} | ${t('dr.value')} |`, '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');
  if (r.objectives) {
    const or = objectiveRows(r.objectives);
    const cell = (s: string) => s.replace(/\|/g, '\\|');
    out.push(
      `${h}# ${render(lang, { code: 'drill.obj.heading' })}`,
      '',
      render(lang, objectivesStatedMsg(r.objectives.objectives)),
      '',
      `| ${render(lang, { code: 'drill.obj.col.measure' })} | ${render(lang, { code: 'drill.obj.col.measured' })} | ${render(lang, { code: 'drill.obj.col.objective' })} | ${render(lang, { code: 'drill.obj.col.verdict' })} |`,
      '| --- | --- | --- | --- |',
      ...or.map((x) => `| ${cell(render(lang, x.what))} | ${cell(render(lang, x.measured))} | ${cell(render(lang, x.objective))} | ${x.met === undefined ? '' : `${mark(x.met)} `}${cell(render(lang, x.verdict))} |`),
      '',
      ...or.flatMap((x) => x.how.map((m) => `- ${render(lang, x.what).split(' ')[0]}: ${render(lang, m)}`)),
      '',
    );
  }
  if (r.expectations.length) out.push(`${h}# ${t('dr.expectations')}`, '', ...r.expectations.map(line), '');
  if (r.restore) out.push(`${h}# ${t('dr.restore')}`, '', line(r.restore), '');
  if (r.events.length) out.push(`${h}# ${t('dr.timeline')}`, '', `| t | ${t('dr.event')} |`, '| --- | --- |', ...byTime(r).map((e) => `| ${ms(e.t)} | ${eventText(lang, e).replace(/\|/g, '\\|')} |`), '');
  const notes = notesOf(r, lang);
  if (notes.length) out.push(`${h}# ${t('dr.notes')}`, '', ...notes.map((n) => `- ${n}`), '');
  return out;
}

export function renderMarkdownReport(r: DrillReport, opts: DrillRenderOptions = {}): string {
  return `${renderMarkdownSection(r, opts).join('\n')}\n`;
}

/** The time axis both charts share: past the restore line so its label fits. */
function timeAxis(r: DrillReport) {
  const buckets = bucketize(r.requests, 500);
  const end = Math.max(buckets.length * 500, (r.restoreAt ?? 0) + 1500);
  return { buckets, end };
}

function chartFrame(r: DrillReport, lang: ReportLanguage, w: number, h: number, end: number, body: string, label: string): string {
  const line = (t: number | undefined, text: string, color: string) => (t === undefined ? '' : `<line x1="${((t / end) * w).toFixed(1)}" x2="${((t / end) * w).toFixed(1)}" y1="0" y2="${h - 20}" stroke="${color}" stroke-dasharray="4 3"/><text x="${((t / end) * w + 4).toFixed(1)}" y="12" font-size="11" fill="${color}">${esc(text)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" font-family="${TOPOLOGY_FONTS.replace(/"/g, '&quot;')}" role="img" aria-label="${esc(label)}"><rect width="${w}" height="${h}" fill="#fff"/><line x1="0" x2="${w}" y1="${h - 20}" y2="${h - 20}" stroke="#999"/>${body}${line(r.faultAt, rt(lang, 'dr.chart.fault'), '#b03030')}${line(r.restoreAt, rt(lang, 'dr.chart.restore'), '#3060b0')}<text x="0" y="${h - 4}" font-size="11" fill="#666">0 s</text><text x="${w - 40}" y="${h - 4}" font-size="11" fill="#666">${(end / 1000).toFixed(0)} s</text></svg>`;
}

/** Requests over time: stacked ok/failed bars with fault and restore lines. */
export function requestChart(r: DrillReport, lang: ReportLanguage = 'en'): string {
  const { buckets, end } = timeAxis(r);
  const w = 720;
  const h = 200;
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed));
  const bw = (w * 500) / end;
  const y = (v: number) => h - 20 - (v / max) * (h - 40);
  const bars = buckets
    .map((b, i) => {
      const x = (i * bw).toFixed(1);
      const okTop = y(b.ok);
      const failTop = y(b.ok + b.failed);
      return `<rect x="${x}" y="${okTop.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(h - 20 - okTop).toFixed(1)}" fill="#2e9d5b"><title>${b.ok} ${esc(rt(lang, 'dr.chart.ok'))}</title></rect>${b.failed ? `<rect x="${x}" y="${failTop.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(okTop - failTop).toFixed(1)}" fill="#d64545"><title>${b.failed} ${esc(rt(lang, 'dr.chart.failed'))}</title></rect>` : ''}`;
    })
    .join('');
  const legend = `<rect x="${w - 150}" y="4" width="10" height="10" fill="#2e9d5b"/><text x="${w - 136}" y="13" font-size="11" fill="#333">${esc(rt(lang, 'dr.chart.ok'))}</text><rect x="${w - 80}" y="4" width="10" height="10" fill="#d64545"/><text x="${w - 66}" y="13" font-size="11" fill="#333">${esc(rt(lang, 'dr.chart.failed'))}</text>`;
  return chartFrame(r, lang, w, h, end, bars + legend, rt(lang, 'dr.requests'));
}

/** p95 latency of successful requests per half second, as a line. */
export function latencyChart(r: DrillReport, lang: ReportLanguage = 'en'): string {
  const { buckets, end } = timeAxis(r);
  const w = 720;
  const h = 160;
  const max = Math.max(1, ...buckets.map((b) => b.p95));
  const x = (t: number) => ((t + 250) / end) * w;
  const y = (v: number) => h - 20 - (v / max) * (h - 40);
  const pts = buckets.filter((b) => b.ok > 0).map((b) => `${x(b.t).toFixed(1)},${y(b.p95).toFixed(1)}`);
  const path = pts.length ? `<polyline points="${pts.join(' ')}" fill="none" stroke="#3b7dd8" stroke-width="2"/>` : '';
  const scale = `<line x1="0" x2="${w}" y1="${y(max).toFixed(1)}" y2="${y(max).toFixed(1)}" stroke="#eee"/><text x="${w - 4}" y="${(y(max) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#666">${max} ms</text>`;
  return chartFrame(r, lang, w, h, end, path + scale, rt(lang, 'dr.latency'));
}

/** The CSS of both documents: screen and print (A4, nothing cut in half). */
export const REPORT_CSS = `body{font:14px/1.55 ${TOPOLOGY_FONTS};max-width:980px;margin:2em auto;padding:0 1em;color:#222;word-break:keep-all;overflow-wrap:anywhere}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.6em}h3{font-size:1.1em}
.verdict{padding:.6em 1em;border-radius:6px;font-weight:600}.passed{background:#e3f6e9}.failed,.error{background:#fbe4e4}.refused{background:#fff4d6}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top}thead th{background:#f3f5f8}
li.ok{color:#1d6b3d}li.bad{color:#a52a2a}tr.met td:last-child{color:#1d6b3d;font-weight:600}tr.missed td:last-child{color:#a52a2a;font-weight:600}code{font-family:ui-monospace,'DejaVu Sans Mono',monospace}
figure{margin:1em 0}figure svg{display:block;width:100%;height:auto;border:1px solid #e4e4e4;border-radius:6px}
th{white-space:nowrap}table.ip td{white-space:nowrap}figcaption{color:#666;font-size:12px}
.drill{border-top:2px solid #ccd;margin-top:2em}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}table{font-size:8.5pt}th,td{padding:3px 5px}a{color:inherit;text-decoration:none}
h1,h2,h3{break-after:avoid}figure,svg,table,tr,.verdict,li{break-inside:avoid}
.drill{break-before:page;border-top:none}
.verdict,thead th,figure svg{-webkit-print-color-adjust:exact;print-color-adjust:exact}}`;

/** The report as an HTML section (headings from `level`), for this file and the lab report. */
export function renderDrillSectionHtml(r: DrillReport, opts: DrillRenderOptions & { level?: number } = {}): string {
  const lang = opts.lang ?? 'en';
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const l = opts.level ?? 1;
  const H = (n: number, text: string) => `<h${Math.min(6, l + n)}>${esc(text)}</h${Math.min(6, l + n)}>`;
  const rows = measurementRows(r, lang)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const list = (cs: DrillReport['expectations']) =>
    cs
      .map((c) => {
        const x = checkText(c, lang);
        return `<li class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✔' : '✘'} <b>${esc(x.name)}</b>: ${esc(x.detail)}</li>`;
      })
      .join('');
  const events = byTime(r).map((e) => `<tr><td>${esc(ms(e.t))}</td><td>${esc(eventText(lang, e))}</td></tr>`).join('');
  const R = (code: 'drill.obj.heading' | 'drill.obj.col.measure' | 'drill.obj.col.measured' | 'drill.obj.col.objective' | 'drill.obj.col.verdict') => esc(render(lang, { code }));
  const objectives = r.objectives
    ? (() => {
        const or = objectiveRows(r.objectives);
        return `${H(1, render(lang, { code: 'drill.obj.heading' }))}<p>${esc(render(lang, objectivesStatedMsg(r.objectives.objectives)))}</p><table class="objectives"><thead><tr><th>${R('drill.obj.col.measure')}</th><th>${R('drill.obj.col.measured')}</th><th>${R('drill.obj.col.objective')}</th><th>${R('drill.obj.col.verdict')}</th></tr></thead><tbody>${or
          .map((x) => `<tr class="${x.met === undefined ? '' : x.met ? 'met' : 'missed'}"><td>${esc(render(lang, x.what))}</td><td>${esc(render(lang, x.measured))}</td><td>${esc(render(lang, x.objective))}</td><td>${x.met === undefined ? '' : x.met ? '✔ ' : '✘ '}${esc(render(lang, x.verdict))}</td></tr>`)
          .join('')}</tbody></table><ul class="objective-notes">${or.flatMap((x) => x.how.map((m) => `<li><b>${esc(render(lang, x.what).split(' ')[0] ?? '')}</b>: ${esc(render(lang, m))}</li>`)).join('')}</ul>`;
      })()
    : '';
  return `<section class="drill" id="drill-${esc(r.id)}">
${H(0, t('dr.title', { title: titleOf(r, lang) }))}
<p>${esc(t('dr.lab'))} <b>${esc(r.lab)}</b> (${esc(r.provider)}) · ${esc(t('dr.drill'))} <code>${esc(r.drill)}</code> · ${esc(t('dr.started', { at: r.startedAt }))} · ${esc(t('dr.inAll', { time: ms(r.endAt) }))}</p>
<p class="verdict ${r.verdict}">${esc(verdictWord(r, lang))}: ${esc(textOf(lang, r.verdictMsg, r.verdictText))}</p>
${opts.topologySvg ? `<figure class="topology">${opts.topologySvg}</figure>` : ''}
${H(1, t('dr.hypothesis'))}<p>${esc(textOf(lang, r.hypothesisMsg, r.hypothesis))}</p>
${H(1, t('dr.steady'))}<ul>${list(r.steadyState)}</ul>
${r.fault ? `${H(1, t('dr.fault'))}<p>${esc(t('dr.faultAt', { fault: textOf(lang, r.faultMsg, r.fault), time: ms(r.faultAt) }))}</p>` : ''}
${H(1, t('dr.requests'))}${r.requests.length ? `<figure>${requestChart(r, lang)}</figure><figure>${latencyChart(r, lang)}<figcaption>${esc(t('dr.latency'))}</figcaption></figure>` : `<p>${esc(t('dr.noLoad'))}</p>`}
${rows ? `${H(1, t('dr.measurements'))}<table>${rows}</table>` : ''}
${objectives}
${r.expectations.length ? `${H(1, t('dr.expectations'))}<ul>${list(r.expectations)}</ul>` : ''}
${r.restore ? `${H(1, t('dr.restore'))}<ul>${list([r.restore])}</ul>` : ''}
${events ? `${H(1, t('dr.timeline'))}<table><thead><tr><th>t</th><th>${esc(t('dr.event'))}</th></tr></thead>${events}</table>` : ''}
${notesOf(r, lang).length ? `${H(1, t('dr.notes'))}<ul>${notesOf(r, lang).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</section>`;
}

/** A self-contained HTML page around `body`. */
export function htmlDocument(lang: ReportLanguage, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${REPORT_CSS}</style></head>
<body>${body}
</body></html>
`;
}

export function renderHtmlReport(r: DrillReport, opts: DrillRenderOptions = {}): string {
  const lang = opts.lang ?? 'en';
  return htmlDocument(lang, rt(lang, 'dr.title', { title: titleOf(r, lang) }), renderDrillSectionHtml(r, opts));
}
