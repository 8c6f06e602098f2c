/**
 * The services step's checks in one remote command (issue 13: the no-op
 * re-apply). It used to start one `systemctl` process per unit and property
 * and three processes per uploaded file, ~0.9 s per VM on the Linux lab. Now
 * one `sh` runs `sha256sum` and `stat` once over all files and one
 * `systemctl show -p Id,LoadState,ActiveState,UnitFileState` over all units;
 * the parsers here turn that back into exactly the rows the per-unit probe
 * gave (`is-enabled` says `alias` for an alias name, which `UnitFileState`
 * does not), and the pure decision functions below are what the step acts on,
 * so the decisions are the same. Output that does not line up (a `systemctl`
 * that printed fewer blocks) is reported as undefined: the caller then falls
 * back to the per-unit probe.
 */
import { createHash } from 'node:crypto';
import type { RenderedFile } from '../configs/context';

/** One unit as the per-unit probe saw it: `show -P Id`, `show -P LoadState`, `is-active`, `is-enabled`. */
export interface UnitRow {
  id: string;
  load: string;
  active: string;
  enabled: string;
}

const UNIT_NAME = /^[A-Za-z0-9@._:\\-]+$/;
const SECTION = '##halab-probe##';

/** The per-unit probe (the fallback): one line `id|load|active|enabled` per unit. */
export const LEGACY_UNIT_PROBE =
  'for u; do printf "%s|%s|%s|%s\\n" "$(systemctl show -P Id -- "$u")" "$(systemctl show -P LoadState -- "$u")" "$(systemctl show -P ActiveState -- "$u")" "$(systemctl is-enabled -- "$u" 2>/dev/null)"; done';

/** Parse the per-unit probe's output, one row per unit asked. */
export function parseLegacyUnitRows(stdout: string, units: string[]): UnitRow[] {
  const lines = stdout.trimEnd().split('\n');
  return units.map((_, i) => {
    const [id = '', load = '', active = '', enabled = ''] = (lines[i] ?? '').split('|');
    return { id, load, active, enabled };
  });
}

/** Shell text for one `systemctl show` over all units (names are checked, then quoted). */
export function unitShowScript(units: string[]): string {
  for (const u of units) if (!UNIT_NAME.test(u)) throw new Error(`not a unit name: ${u}`);
  if (!units.length) return 'true';
  return `systemctl show -p Id,LoadState,ActiveState,UnitFileState -- ${units.map((u) => `'${u}'`).join(' ')} 2>/dev/null || true`;
}

/**
 * Parse `systemctl show -p Id,LoadState,ActiveState,UnitFileState u1 u2 …`:
 * one block per unit asked, in order, blank lines between. The `enabled`
 * field is what `systemctl is-enabled <name>` prints: the unit file state,
 * `alias` when the name is an alias of the loaded unit (Id differs), empty
 * when there is no unit file. Undefined when the blocks do not line up.
 */
export function parseUnitShow(stdout: string, units: string[]): UnitRow[] | undefined {
  const blocks = stdout
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b.length);
  if (blocks.length !== units.length) return undefined;
  const rows: UnitRow[] = [];
  for (const [i, block] of blocks.entries()) {
    const p = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) p.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
    const id = p.get('Id') ?? '';
    const load = p.get('LoadState') ?? '';
    if (!id || !load) return undefined;
    const unit = units[i]!;
    const fileState = p.get('UnitFileState') ?? '';
    const enabled = load === 'not-found' ? '' : id !== unit ? 'alias' : fileState;
    rows.push({ id, load, active: p.get('ActiveState') ?? '', enabled });
  }
  return rows;
}

/** `is-enabled` states that count as "the same" for the decisions: not-found prints nothing or `not-found`. */
function sameEnabled(a: string): string {
  return a === 'not-found' ? '' : a;
}

/** Unwanted units to stop, disable and mask: present, not an alias, and not already masked and stopped. */
export function unitsToMask(unwanted: string[], rows: UnitRow[]): string[] {
  const out: string[] = [];
  for (const [i, unit] of unwanted.entries()) {
    const r = rows[i] ?? { id: '', load: '', active: '', enabled: '' };
    if (r.id !== unit || r.load === 'not-found' || !r.load) continue;
    if (r.load === 'masked' && sameEnabled(r.enabled) === 'masked' && (r.active === 'inactive' || r.active === '')) continue;
    out.push(unit);
  }
  return out;
}

/** What to do with one wanted unit. */
export interface UnitAction {
  unit: string;
  unmask: boolean;
  enable: boolean;
  restart: boolean;
  /** Whether it was running (restarting vs starting, for the log line). */
  wasActive: boolean;
}

/** Wanted units: unmask when masked, enable when not enabled, (re)start when asked or not active. */
export function wantedUnitActions(units: string[], rows: UnitRow[], restart: ReadonlySet<string>): UnitAction[] {
  return units.map((unit, i) => {
    const r = rows[i] ?? { id: '', load: '', active: '', enabled: '' };
    const enabled = sameEnabled(r.enabled);
    return {
      unit,
      unmask: enabled === 'masked' || enabled === 'masked-runtime',
      enable: enabled !== 'enabled',
      restart: restart.has(unit) || r.active !== 'active',
      wasActive: r.active === 'active',
    };
  });
}

/** Shell text printing `sha256sum` then `stat` of all files given as "$@" (nothing when there are none). */
export const FILE_PROBE = `if [ $# -gt 0 ]; then sha256sum -- "$@" 2>/dev/null; echo '${SECTION}'; stat -c '%a %U:%G %n' -- "$@" 2>/dev/null; else echo '${SECTION}'; fi; true`;

/** What a file's probe line must read for it to be left alone: content hash, octal mode, owner. */
export function wantedFileLine(f: RenderedFile): string {
  return `${createHash('sha256').update(f.content).digest('hex')} ${Number.parseInt(f.mode, 8).toString(8)} ${f.owner ?? 'root:root'}`;
}

/**
 * Parse FILE_PROBE's output into one line per path as the per-file probe
 * gave it: `<sha256> <mode> <owner>`, or `-` for a path that is not a
 * readable regular file.
 */
export function parseFileProbe(stdout: string, paths: string[]): string[] {
  const [sums = '', stats = ''] = stdout.split(`${SECTION}\n`);
  const hash = new Map<string, string>();
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) hash.set(m[2]!, m[1]!);
  }
  const stat = new Map<string, string>();
  for (const line of stats.split('\n')) {
    const m = /^([0-7]+) (\S+) (.+)$/.exec(line);
    if (m) stat.set(m[3]!, `${m[1]} ${m[2]}`);
  }
  return paths.map((p) => (hash.has(p) && stat.has(p) ? `${hash.get(p)} ${stat.get(p)}` : '-'));
}

/** The one remote command of the services step: optional prefix, the file probe over "$@", then the unit show. */
export function serviceProbeScript(units: string[], prefix = ''): string {
  return `${prefix ? `${prefix}; ` : ''}${FILE_PROBE}; echo '${SECTION}'; ${unitShowScript(units)}`;
}

/** Split serviceProbeScript's output: file lines (per path) and unit rows (undefined when they do not line up). */
export function parseServiceProbe(stdout: string, paths: string[], units: string[]): { files: string[]; units: UnitRow[] | undefined } {
  const at = stdout.lastIndexOf(`${SECTION}\n`);
  const fileOut = at < 0 ? '' : stdout.slice(0, at);
  const unitOut = at < 0 ? '' : stdout.slice(at + SECTION.length + 1);
  return { files: parseFileProbe(fileOut, paths), units: at < 0 ? undefined : parseUnitShow(unitOut, units) };
}
