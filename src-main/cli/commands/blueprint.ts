/** `halab validate | plan | export | graph FILE`. */
import { writeFile } from 'node:fs/promises';
import { exportBlueprintText } from '../../shared/blueprint/export';
import { toMermaid } from '../../shared/blueprint/graph';
import { formatIssue } from '../../shared/blueprint/issues';
import { render } from '../../shared/i18n';
import { checkLineText } from '../../shared/i18n/check-line';
import { describePath } from '../../shared/i18n/describe';
import { cliLang, say } from '../lang';
import { computePlan, type LabPlan } from '../../shared/blueprint/plan';
import { BLUEPRINT_PROVIDERS, type BlueprintProvider } from '../../shared/blueprint/rules-provider';
import type { ValidationResult } from '../../shared/blueprint/validate';
import { BlueprintFileError, hostMemoryMiB, readBlueprintFile, validateHere } from '../../backend/blueprint-files';
import { EXIT, style, table, UsageError } from '../output';

export interface Loaded {
  file: string;
  text: string;
  result: ValidationResult;
}

/** `--provider` checked: vmware, linux, or not given. */
export function providerFlag(value: string | undefined): BlueprintProvider | undefined {
  if (value === undefined) return undefined;
  if (!(BLUEPRINT_PROVIDERS as readonly string[]).includes(value)) throw new UsageError(say('cli.providerFlag', { value: JSON.stringify(value) }));
  return value as BlueprintProvider;
}

/**
 * Read and validate; usage error when the file cannot be read. With a
 * provider, its rules are errors (the other provider's are warnings).
 */
export async function loadAndValidate(file: string | undefined, provider?: BlueprintProvider): Promise<Loaded> {
  if (!file) throw new UsageError(say('cli.missingFileHint'));
  try {
    const text = await readBlueprintFile(file);
    return { file, text, result: validateHere(text, provider) };
  } catch (e) {
    if (e instanceof BlueprintFileError) throw new UsageError(e.message);
    throw e;
  }
}

/** Print issues to stderr; returns the exit code for them. */
export function reportIssues(l: Loaded): number {
  const lang = cliLang();
  const lab = l.result.lab;
  for (const i of l.result.issues) {
    // In the run's language, naming the place as a student does when the lab could be read ("lb-master's first NIC · Address").
    const text = formatIssue(i, l.file, { lang, where: lab ? (p) => describePath(lab, p, lang) : undefined });
    process.stderr.write(`${i.severity === 'error' ? style.red(text) : style.yellow(text)}\n`);
  }
  return l.result.ok ? EXIT.ok : EXIT.invalid;
}

function summaryLine(l: Loaded): string {
  const lab = l.result.lab;
  if (!lab) return '';
  const vips = lab.services.vips.map((v) => `${v.address} (${v.name}, ${v.members.map((m) => m.node).join('/')})`).join(', ');
  const mem = lab.nodes.reduce((a, n) => a + (n.memoryMiB ?? lab.defaults.memoryMiB), 0);
  return say('cli.summary', { lab: lab.metadata.name, vms: lab.nodes.length, networks: lab.networks.length, list: lab.networks.map((n) => `${n.name} ${n.subnet}`).join(', '), vips: vips || say('cli.none'), ram: (mem / 1024).toFixed(1) });
}

export async function validateCommand(file: string | undefined, flags: { json?: boolean; provider?: string }): Promise<number> {
  const l = await loadAndValidate(file, providerFlag(flags.provider));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file: l.file, ok: l.result.ok, issues: l.result.issues }, null, 2)}\n`);
    return l.result.ok ? EXIT.ok : EXIT.invalid;
  }
  const code = reportIssues(l);
  const errors = l.result.issues.filter((i) => i.severity === 'error').length;
  const warnings = l.result.issues.length - errors;
  const nErr = errors === 1 ? say('cli.oneError') : say('cli.nErrors', { n: errors });
  const nWarn = warnings === 1 ? say('cli.oneWarning') : say('cli.nWarnings', { n: warnings });
  if (code === EXIT.ok) process.stdout.write(`${style.green('✓')} ${warnings ? say('cli.validWarnings', { file: l.file, warnings: nWarn }) : say('cli.valid', { file: l.file })}\n  ${summaryLine(l)}\n`);
  else process.stderr.write(`✗ ${warnings ? say('cli.invalidWarnings', { file: l.file, errors: nErr, warnings: nWarn }) : say('cli.invalid', { file: l.file, errors: nErr })}\n`);
  return code;
}

export function formatPlan(p: LabPlan): string {
  const out: string[] = [];
  const lang = cliLang();
  out.push(`${say('cli.planLab', { lab: p.lab })}${p.title ? ` — ${p.title}` : ''}`, '');
  out.push(say('cli.planNetworks'));
  out.push(table([say('cli.colName'), say('cli.colType'), say('cli.colSubnet'), say('cli.colHost'), say('cli.colNatGw'), say('cli.colDhcp')], p.networks.map((n) => [n.name, n.type, n.subnet, n.hostAddress, n.natGateway ?? '-', n.dhcp ?? say('cli.none')])), '');
  out.push(say('cli.planVms'));
  out.push(table([say('cli.colHostname'), say('cli.colRoles'), 'vCPU', say('cli.colRam'), say('cli.colDisk'), say('cli.colTemplate'), 'NIC', say('cli.colNetwork'), say('cli.colAddress'), 'MAC'],
    p.vms.flatMap((v) => v.nics.map((n, i) => (i === 0
      ? [v.hostname, v.roles.join(','), String(v.vcpus), `${v.memoryMiB / 1024} GiB`, `${v.diskGiB} GiB`, `${v.template} (${v.clone})`, n.ifname, n.network, n.address, n.mac]
      : ['', '', '', '', '', '', n.ifname, n.network, n.address, n.mac])))), '');
  if (p.serviceMsgs.length) out.push(say('cli.planServices'), ...p.serviceMsgs.map((m) => `  - ${render(lang, m)}`), '');
  if (p.zones) {
    // The zone matrix (issue 14): rows from, columns to; allowed ports or denied.
    const z = p.zones;
    const cell = (a: string, b: string) => (a === b ? '—' : z.cells.find((c) => c.from === a && c.to === b)?.allowed.join(' ') || say('z.plan.denied'));
    out.push(say('z.plan.title', { router: z.router }));
    out.push(table([say('z.plan.from'), ...z.zones.map((x) => x.name)], z.zones.map((a) => [a.name, ...z.zones.map((b) => cell(a.name, b.name))])), '');
  }
  if (p.drills.length) out.push(say('cli.planDrills', { drills: p.drills.join(', ') }), '');
  const t = p.totals;
  out.push(say('cli.planTotals', { vms: t.vms, vcpus: t.vcpus, ram: (t.memoryMiB / 1024).toFixed(1), host: t.hostMemoryMiB ? say('cli.planHostRam', { ram: (t.hostMemoryMiB / 1024).toFixed(1) }) : '', disk: t.diskGiB }));
  return `${out.join('\n')}\n`;
}

export async function planCommand(file: string | undefined, flags: { json?: boolean; provider?: string }): Promise<number> {
  const l = await loadAndValidate(file, providerFlag(flags.provider));
  const code = reportIssues(l);
  if (!l.result.resolved) return code;
  const plan = computePlan(l.result.resolved, hostMemoryMiB());
  // What up would meet on this computer (the vmnet8 clash), before anything runs.
  const { labPreflight } = await import('../../lab/preflight');
  const { readHostSettings } = await import('../../lab/host-settings');
  const host = await labPreflight(l.result.resolved, providerFlag(flags.provider), await readHostSettings());
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...plan, host }, null, 2)}\n`);
    return code;
  }
  process.stdout.write(formatPlan(plan));
  const mark = { ok: style.green('✓'), warning: '!', error: style.red('✗', process.stdout) } as const;
  process.stdout.write(`\n${say('pre.onThisComputer', { provider: host.provider ?? say('pre.noProvider') })}\n`);
  for (const l of host.lines) {
    const w = checkLineText(l, cliLang());
    process.stdout.write(`  ${mark[l.level]} ${w.title}${l.level === 'ok' ? '' : `\n      ${w.detail}${w.fix ? `\n      → ${w.fix}` : ''}`}\n`);
  }
  return code;
}

export async function exportCommand(file: string | undefined, flags: { format?: string; output?: string }): Promise<number> {
  const format = flags.format ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new UsageError(`--format must be yaml or json, not "${format}".`);
  if (!file) throw new UsageError(say('cli.missingFileHint'));
  let text: string;
  try {
    text = await readBlueprintFile(file);
  } catch (e) {
    if (e instanceof BlueprintFileError) throw new UsageError(e.message);
    throw e;
  }
  // Same reader and rules as validate: only a blueprint without errors is exported.
  const r = exportBlueprintText(text, format, { hostMemoryMiB: hostMemoryMiB() });
  const code = reportIssues({ file, text, result: r.validation });
  if (!r.ok) return code;
  if (flags.output) await writeFile(flags.output, r.text);
  else process.stdout.write(r.text);
  return code;
}

/** `--lang` checked (else LC_ALL/LANG): a usage error for anything but en or ko. */
export async function langFlag(value: string | undefined) {
  const { pickLanguage, LanguageError } = await import('../../report/catalog');
  try {
    return pickLanguage(value);
  } catch (e) {
    if (e instanceof LanguageError) throw new UsageError(e.message);
    throw e;
  }
}

/** `halab graph FILE [--format mermaid|svg|png] [--output OUT] [--lang en|ko]`. */
export async function graphCommand(file: string | undefined, flags: { format?: string; output?: string; lang?: string } = {}): Promise<number> {
  const format = flags.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'svg' && format !== 'png') throw new UsageError(`--format must be mermaid, svg or png, not "${format}".`);
  const lang = await langFlag(flags.lang);
  if (format === 'png' && !flags.output && process.stdout.isTTY) throw new UsageError('A PNG is a binary file: give --output FILE.png (or redirect the output to a file).');
  const l = await loadAndValidate(file);
  const code = reportIssues(l);
  if (!l.result.resolved) return code;
  let out: string | Buffer;
  if (format === 'mermaid') out = toMermaid(l.result.resolved);
  else {
    const { toTopologySvg, TOPOLOGY_LABELS_EN, TOPOLOGY_LABELS_KO } = await import('../../shared/blueprint/topology-svg');
    const svg = toTopologySvg(l.result.resolved, { labels: lang === 'ko' ? TOPOLOGY_LABELS_KO : TOPOLOGY_LABELS_EN });
    if (format === 'svg') out = svg;
    else {
      const { svgToPng, ChromiumMissingError } = await import('../../report/chromium');
      try {
        out = await svgToPng(svg);
      } catch (e) {
        if (e instanceof ChromiumMissingError) {
          process.stderr.write(`${style.red('failed:')} ${e.message}\n`);
          return EXIT.failed;
        }
        throw e;
      }
    }
  }
  if (flags.output) {
    await writeFile(flags.output, out);
    process.stderr.write(`${style.green('✓')} ${flags.output}\n`);
  } else process.stdout.write(out);
  return code;
}
