/**
 * The lab report a student hands in (`halab report`): the topology picture,
 * the plan (networks, the IP table, resources, services), the last
 * provisioning result read from the lab folder's journal and state, and
 * every drill report of the lab, as one HTML page (printable to PDF) or
 * one Markdown file, in English or Korean.
 *
 * `collectHandIn` reads the lab folder; the renderers are pure.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabState } from '../lab/lab-home';
import { htmlDocument, esc, renderDrillSectionHtml, renderMarkdownSection, svgImage } from '../drills/report-render';
import type { ResolvedLab } from '../shared/blueprint/model';
import { computePlan, type LabPlan } from '../shared/blueprint/plan';
import { toTopologySvg } from '../shared/blueprint/topology-svg';
import { textOf, type DrillReport } from '../shared/drills/report';
import { availabilityEstimate, objectivesStatedMsg } from '../shared/drills/report-text';
import { render } from '../shared/i18n';
import { rt, topologyLabels, type ReportKey, type ReportLanguage } from './catalog';

export type StepStatus = 'changed' | 'done' | 'failed' | 'skipped' | 'interrupted';

export interface StepResult {
  step: string;
  title?: string;
  vm?: string;
  status: StepStatus;
  error?: string;
  ms?: number;
  at: number;
}

/** The latest recorded outcome of every step of `halab up`, from `journal.jsonl`. */
export interface ProvisionResult {
  state?: LabState;
  steps: StepResult[];
  lastAt?: number;
}

export interface HandIn {
  /** The blueprint file as the student named it. */
  file: string;
  labDir: string;
  resolved: ResolvedLab;
  plan: LabPlan;
  /** Undefined: the lab was never provisioned on this computer. */
  provision?: ProvisionResult;
  drills: DrillReport[];
  generatedAt: string;
  version: string;
}

type JournalLine = { type: string; step: string; title?: string; vm?: string; changed?: boolean; ms?: number; error?: string; reason?: string; at: number };

/** Each step's latest event in the journal: a step started and never finished was interrupted. */
export function readJournal(text: string): StepResult[] {
  const last = new Map<string, StepResult>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: JournalLine;
    try {
      e = JSON.parse(line) as JournalLine;
    } catch {
      continue; // a line cut by a crash
    }
    if (typeof e.step !== 'string' || typeof e.at !== 'number') continue;
    const prev = last.get(e.step);
    const title = e.title ?? prev?.title;
    if (e.type === 'start') last.set(e.step, { step: e.step, title, vm: e.vm, status: 'interrupted', at: e.at });
    else if (e.type === 'done') last.set(e.step, { step: e.step, title, vm: e.vm, status: e.changed ? 'changed' : 'done', ms: e.ms, at: e.at });
    else if (e.type === 'failed') last.set(e.step, { step: e.step, title, vm: e.vm, status: 'failed', error: e.error, at: e.at });
    else if (e.type === 'skipped') last.set(e.step, { step: e.step, title, vm: e.vm, status: 'skipped', error: e.reason, at: e.at });
  }
  return [...last.values()];
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Every `reports/<id>/report.json` of the lab folder, oldest first; unreadable ones are named in `skipped`. */
export async function readDrillReports(labDir: string): Promise<{ reports: DrillReport[]; skipped: string[] }> {
  const dir = join(labDir, 'reports');
  let ids: string[];
  try {
    ids = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { reports: [], skipped: [] };
    throw e;
  }
  const reports: DrillReport[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    const text = await readText(join(dir, id, 'report.json'));
    if (text === undefined) continue;
    try {
      const r = JSON.parse(text) as DrillReport;
      if (typeof r.drill !== 'string' || !Array.isArray(r.requests)) throw new Error('not a drill report');
      reports.push(r);
    } catch {
      skipped.push(join(dir, id, 'report.json'));
    }
  }
  reports.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
  return { reports, skipped };
}

export async function collectHandIn(o: { file: string; resolved: ResolvedLab; labDir: string; hostMemoryMiB?: number; version: string; now?: Date }): Promise<HandIn & { skippedReports: string[] }> {
  const journal = await readText(join(o.labDir, 'journal.jsonl'));
  const stateText = await readText(join(o.labDir, 'lab.json'));
  let state: LabState | undefined;
  try {
    state = stateText ? (JSON.parse(stateText) as LabState) : undefined;
  } catch {
    state = undefined;
  }
  const steps = journal ? readJournal(journal) : [];
  const provision = steps.length || state ? { state, steps, lastAt: steps.length ? Math.max(...steps.map((s) => s.at)) : undefined } : undefined;
  const { reports, skipped } = await readDrillReports(o.labDir);
  return {
    file: o.file,
    labDir: o.labDir,
    resolved: o.resolved,
    plan: computePlan(o.resolved, o.hostMemoryMiB),
    provision,
    drills: reports,
    skippedReports: skipped,
    generatedAt: (o.now ?? new Date()).toISOString(),
    version: o.version,
  };
}

// ── rendering ────────────────────────────────────────────────────────────

const gib = (mib: number) => (Math.round((mib / 1024) * 10) / 10).toString();
const time = (at: number | undefined) => (at === undefined ? '—' : new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));

interface Table {
  head: string[];
  rows: string[][];
}

function serviceLines(h: HandIn, lang: ReportLanguage): string[] {
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const r = h.resolved;
  const s = r.lab.services;
  const out: string[] = [];
  for (const v of s.vips) out.push(t('svc.vip', { address: v.address, name: v.name, network: v.network, vrid: v.virtualRouterId, mode: v.mode, members: [...v.members].sort((a, b) => b.priority - a.priority).map((m) => `${m.node}(${m.priority})`).join(' > ') }));
  if (s.loadBalancer) out.push(t('svc.lb', { members: s.loadBalancer.members.join(', '), listen: s.loadBalancer.listen.join(','), upstream: s.loadBalancer.upstream.members.join(', '), port: s.loadBalancer.upstream.port ?? s.app?.port ?? '?' }));
  if (s.app) out.push(t('svc.app', { members: s.app.members.join(', '), port: s.app.port }));
  if (s.database) out.push(t('svc.db', { engine: s.database.engine, primary: s.database.primary, replicas: r.replicas.length ? t('svc.replicas', { replicas: r.replicas.map((x) => x.node).join(', ') }) : '', schema: s.database.schema }));
  if (s.monitoring) out.push(t('svc.monitoring', { prometheus: s.monitoring.prometheus, alertmanager: s.monitoring.alertmanager ?? s.monitoring.prometheus }));
  if (s.backup) out.push(t('svc.backup', { node: s.backup.runOn, schedule: s.backup.schedule, days: s.backup.retentionDays, dir: s.backup.targetDir, copy: s.backup.copyTo ? t('svc.copy', { node: s.backup.copyTo }) : '' }));
  out.push(s.firewall.enabled ? t('svc.firewall', { sources: (s.firewall.adminSources ?? r.networks.map((n) => n.hostAddress)).join(', ') }) : t('svc.noFirewall'));
  return out;
}

function networkTable(h: HandIn, lang: ReportLanguage): Table {
  const t = (k: ReportKey) => rt(lang, k);
  const types = topologyLabels(lang).networkTypes;
  return {
    head: [t('col.name'), t('col.type'), t('col.subnet'), t('col.host'), t('col.natGw'), t('col.dhcp')],
    rows: h.plan.networks.map((n) => [n.name, (types as Record<string, string>)[n.type] ?? n.type, n.subnet, n.hostAddress, n.natGateway ?? '—', n.dhcp ?? t('dhcp.none')]),
  };
}

function vmTable(h: HandIn, lang: ReportLanguage): Table {
  const t = (k: ReportKey) => rt(lang, k);
  const roles = topologyLabels(lang).roles;
  return {
    head: [t('col.hostname'), t('col.roles'), t('col.vcpu'), t('col.ram'), t('col.disk'), t('col.template'), t('col.nic'), t('col.network'), t('col.address'), t('col.mac')],
    rows: h.plan.vms.flatMap((v) => v.nics.map((n, i) => (i === 0
      ? [v.hostname, v.roles.map((x) => (roles as Record<string, string>)[x] ?? x).join(', '), String(v.vcpus), `${gib(v.memoryMiB)} GiB`, `${v.diskGiB} GiB`, `${v.template} (${v.clone})`, n.ifname, n.network, n.address, n.mac]
      : ['', '', '', '', '', '', n.ifname, n.network, n.address, n.mac]))),
  };
}

function totalsLines(h: HandIn, lang: ReportLanguage): string[] {
  const tt = h.plan.totals;
  const out = [rt(lang, 'totals.line', { vms: tt.vms, vcpus: tt.vcpus, ram: gib(tt.memoryMiB), disk: tt.diskGiB })];
  if (tt.hostMemoryMiB) out.push(rt(lang, 'totals.host', { ram: gib(tt.hostMemoryMiB) }));
  return out;
}

function provisionContent(h: HandIn, lang: ReportLanguage): { lines: string[]; table?: Table; failed?: Table } {
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const p = h.provision;
  if (!p || !p.steps.length) return { lines: [t('prov.none', { lab: h.resolved.name, dir: h.labDir, file: h.file })] };
  const count = (...st: StepStatus[]) => p.steps.filter((s) => st.includes(s.status)).length;
  const bad = p.steps.filter((s) => s.status === 'failed' || s.status === 'interrupted' || s.status === 'skipped');
  const lines = [
    t('prov.summary', { provider: p.state?.provider ?? '—', created: p.state?.created ?? '—', last: time(p.lastAt) }),
    t('prov.counts', { ok: count('done', 'changed'), changed: count('changed'), failed: count('failed'), skipped: count('skipped'), running: count('interrupted') }),
    bad.length ? t('prov.notOk') : t('prov.allOk'),
  ];
  const word = (s: StepStatus) => t(s === 'done' ? 'prov.done' : s === 'changed' ? 'prov.changed' : s === 'failed' ? 'prov.failed' : s === 'skipped' ? 'prov.skipped' : 'prov.interrupted');
  const byVm = new Map<string, StepResult[]>();
  for (const s of p.steps) {
    const k = s.vm ?? '—';
    byVm.set(k, [...(byVm.get(k) ?? []), s]);
  }
  const table: Table = {
    head: [t('col.vm'), t('prov.done'), t('prov.changed'), t('prov.failed'), t('prov.skipped'), t('prov.interrupted')],
    rows: [...byVm.entries()].map(([vm, st]) => [vm, ...(['done', 'changed', 'failed', 'skipped', 'interrupted'] as StepStatus[]).map((x) => String(st.filter((s) => s.status === x || (x === 'done' && s.status === 'changed')).length))]),
  };
  const failed: Table | undefined = bad.length ? { head: [t('col.step'), t('col.vm'), t('col.result'), t('col.time')], rows: bad.map((s) => [`${s.title ?? s.step}${s.error ? ` — ${s.error}` : ''}`, s.vm ?? '—', word(s.status), time(s.at)]) } : undefined;
  return { lines, table, failed };
}

function drillSummary(h: HandIn, lang: ReportLanguage): Table {
  const t = (k: ReportKey) => rt(lang, k);
  return { head: [t('col.drill'), t('col.verdict'), t('col.started')], rows: h.drills.map((d) => [textOf(lang, d.titleMsg, d.title), rt(lang, `verdict.${d.verdict}` as ReportKey), d.startedAt]) };
}

/** The objectives line of the plan section. */
const objectivesLine = (h: HandIn, lang: ReportLanguage) => render(lang, objectivesStatedMsg(h.resolved.lab.objectives ?? {}));

/** The availability estimated from the drills, sentence by sentence (its method and assumptions named). */
const availabilityLines = (h: HandIn, lang: ReportLanguage) => availabilityEstimate(h.drills, h.resolved.lab.objectives ?? {}).lines.map((m) => render(lang, m));

const htmlTable = (tb: Table, cls?: string) => `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${tb.head.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${tb.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
const mdCell = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mdTable = (tb: Table) => [`| ${tb.head.map(mdCell).join(' | ')} |`, `|${tb.head.map(() => ' --- |').join('')}`, ...tb.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)];

export function renderHandInHtml(h: HandIn, lang: ReportLanguage): string {
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const title = t('doc.title', { lab: h.resolved.lab.metadata.title ?? h.resolved.name });
  const prov = provisionContent(h, lang);
  const firstDrill = h.resolved.lab.drills[0] ?? 'lb-master-down';
  const drills = h.drills.length
    ? `<p>${esc(t('drills.summary', { count: h.drills.length }))}</p>${htmlTable(drillSummary(h, lang))}<h3 id="availability">${esc(render(lang, { code: 'drill.avail.heading' }))}</h3>${availabilityLines(h, lang).map((l) => `<p>${esc(l)}</p>`).join('')}${h.drills.map((d) => renderDrillSectionHtml(d, { lang, level: 3 })).join('\n')}`
    : `<p>${esc(h.provision ? t('drills.none', { file: h.file, drill: firstDrill }) : t('drills.noneNoLab'))}</p>`;
  const body = `<h1>${esc(title)}</h1>
<p class="muted">${esc(t('doc.generated', { at: time(Date.parse(h.generatedAt)), version: h.version, file: h.file }))}</p>
<nav><b>${esc(t('doc.contents'))}</b><ol><li><a href="#topology">${esc(t('sec.topology'))}</a></li><li><a href="#plan">${esc(t('sec.plan'))}</a></li><li><a href="#provision">${esc(t('sec.provision'))}</a></li><li><a href="#drills">${esc(t('sec.drills'))}</a></li></ol></nav>
<h2 id="topology">1. ${esc(t('sec.topology'))}</h2>
<figure class="topology">${toTopologySvg(h.resolved, { labels: topologyLabels(lang), title: false })}</figure>
<h2 id="plan">2. ${esc(t('sec.plan'))}</h2>
<h3>${esc(t('sec.networks'))}</h3>${htmlTable(networkTable(h, lang), 'ip')}
<h3>${esc(t('sec.vms'))}</h3>${htmlTable(vmTable(h, lang), 'ip')}
<h3>${esc(t('sec.services'))}</h3><ul>${serviceLines(h, lang).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>
<h3>${esc(render(lang, { code: 'drill.obj.planHeading' }))}</h3><p>${esc(objectivesLine(h, lang))}</p>
<h3>${esc(t('sec.totals'))}</h3>${totalsLines(h, lang).map((l) => `<p>${esc(l)}</p>`).join('')}
<h2 id="provision">3. ${esc(t('sec.provision'))}</h2>
${prov.lines.map((l) => `<p>${esc(l)}</p>`).join('')}${prov.table ? htmlTable(prov.table) : ''}${prov.failed ? `<h3>${esc(t('prov.failedSteps'))}</h3>${htmlTable(prov.failed)}` : ''}
<h2 id="drills">4. ${esc(t('sec.drills'))}</h2>
${drills}`;
  return htmlDocument(lang, title, body);
}

export function renderHandInMarkdown(h: HandIn, lang: ReportLanguage): string {
  const t = (k: ReportKey, p?: Record<string, string | number>) => rt(lang, k, p);
  const title = t('doc.title', { lab: h.resolved.lab.metadata.title ?? h.resolved.name });
  const prov = provisionContent(h, lang);
  const firstDrill = h.resolved.lab.drills[0] ?? 'lb-master-down';
  const out: string[] = [
    `# ${title}`,
    '',
    `_${t('doc.generated', { at: time(Date.parse(h.generatedAt)), version: h.version, file: h.file })}_`,
    '',
    `## 1. ${t('sec.topology')}`,
    '',
    svgImage(toTopologySvg(h.resolved, { labels: topologyLabels(lang), title: false }), t('sec.topology')),
    '',
    `## 2. ${t('sec.plan')}`,
    '',
    `### ${t('sec.networks')}`,
    '',
    ...mdTable(networkTable(h, lang)),
    '',
    `### ${t('sec.vms')}`,
    '',
    ...mdTable(vmTable(h, lang)),
    '',
    `### ${t('sec.services')}`,
    '',
    ...serviceLines(h, lang).map((l) => `- ${l}`),
    '',
    `### ${render(lang, { code: 'drill.obj.planHeading' })}`,
    '',
    objectivesLine(h, lang),
    '',
    `### ${t('sec.totals')}`,
    '',
    ...totalsLines(h, lang),
    '',
    `## 3. ${t('sec.provision')}`,
    '',
    ...prov.lines.flatMap((l) => [l, '']),
  ];
  if (prov.table) out.push(...mdTable(prov.table), '');
  if (prov.failed) out.push(`### ${t('prov.failedSteps')}`, '', ...mdTable(prov.failed), '');
  out.push(`## 4. ${t('sec.drills')}`, '');
  if (!h.drills.length) out.push(h.provision ? t('drills.none', { file: h.file, drill: firstDrill }) : t('drills.noneNoLab'), '');
  else {
    out.push(t('drills.summary', { count: h.drills.length }), '', ...mdTable(drillSummary(h, lang)), '');
    out.push(`### ${render(lang, { code: 'drill.avail.heading' })}`, '', ...availabilityLines(h, lang).flatMap((l) => [l, '']));
    for (const d of h.drills) out.push(...renderMarkdownSection(d, { lang, level: 3 }));
  }
  return `${out.join('\n')}\n`;
}
