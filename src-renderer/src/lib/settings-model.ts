/**
 * The Settings screen's model, pure: the form's draft (strings as typed,
 * template rows), what `settings:check` and `settings:set` are sent, which
 * check line and which environment override belong to which field, and how
 * a VMnet clash reads. No React, no I/O: unit-tested directly.
 */
import type { CheckLine, PreflightResult, Settings, SettingsCheck, VmnetClash } from '../../../src-main/shared/ipc/contract';

/** One template row: an OS name and its template `.vmx`. `key` is stable for React while the name is edited. */
export interface TemplateRow {
  key: number;
  os: string;
  path: string;
}

/** The host fields as typed (empty string = not set: auto-discovery or the default). */
export interface SettingsDraft {
  vmrunPath: string;
  templates: TemplateRow[];
  sshUser: string;
  labsDir: string;
  vmwareEtcDir: string;
}

export type HostField = 'vmrunPath' | 'sshUser' | 'labsDir' | 'vmwareEtcDir';
export const HOST_FIELDS: HostField[] = ['vmrunPath', 'sshUser', 'labsDir', 'vmwareEtcDir'];

/** The OS names the blueprint accepts as a settings key (same rule as the contract). */
export const OS_NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

let nextKey = 1;
export function newRow(os = '', path = ''): TemplateRow {
  return { key: nextKey++, os, path };
}

/** The form's starting point from saved settings. */
export function draftFrom(s: Settings): SettingsDraft {
  return {
    vmrunPath: s.vmrunPath ?? '',
    templates: Object.entries(s.templates ?? {}).map(([os, path]) => newRow(os, path)),
    sshUser: s.sshUser ?? '',
    labsDir: s.labsDir ?? '',
    vmwareEtcDir: s.vmwareEtcDir ?? '',
  };
}

const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/** Template rows with both halves filled, as a map (later rows with the same name win, as in a save). */
function templateMap(rows: TemplateRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) if (r.os.trim() && r.path.trim()) out[r.os.trim()] = r.path.trim();
  return out;
}

/**
 * What `settings:check` is asked about. A field as saved is left out, so the
 * backend checks the value in force (an environment override, else the
 * file, else the default); a changed field is sent as typed, and a cleared
 * one as null (auto-discovery or the default).
 */
export function checkPayload(d: SettingsDraft, saved?: Settings): { vmrunPath?: string | null; templates: Record<string, string>; sshUser?: string | null; labsDir?: string | null; vmwareEtcDir?: string | null } {
  const out: ReturnType<typeof checkPayload> = {
    templates: Object.fromEntries(Object.entries(templateMap(d.templates)).filter(([os]) => os.length <= 64)),
  };
  for (const f of HOST_FIELDS) {
    const typed = orNull(d[f]);
    if (saved && typed === (saved[f] ?? null)) continue;
    out[f] = typed;
  }
  return out;
}

/** A problem the form finds before asking the backend (a row it cannot send). */
export interface RowProblem {
  key: number;
  problem: 'os-missing' | 'os-invalid' | 'os-duplicate' | 'path-missing';
}

/** Template rows that cannot be saved as they are. A fully empty row is ignored (it is dropped on save). */
export function rowProblems(rows: TemplateRow[]): RowProblem[] {
  const out: RowProblem[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const os = r.os.trim();
    const path = r.path.trim();
    if (!os && !path) continue;
    if (!os) out.push({ key: r.key, problem: 'os-missing' });
    else if (!OS_NAME.test(os)) out.push({ key: r.key, problem: 'os-invalid' });
    else if (seen.has(os)) out.push({ key: r.key, problem: 'os-duplicate' });
    else if (!path) out.push({ key: r.key, problem: 'path-missing' });
    seen.add(os);
  }
  return out;
}

/** What `settings:set` is sent: every host field (null clears it) and the whole template map. */
export function savePayload(d: SettingsDraft): { vmrunPath: string | null; templates: Record<string, string>; sshUser: string | null; labsDir: string | null; vmwareEtcDir: string | null } {
  return { vmrunPath: orNull(d.vmrunPath), templates: templateMap(d.templates), sshUser: orNull(d.sshUser), labsDir: orNull(d.labsDir), vmwareEtcDir: orNull(d.vmwareEtcDir) };
}

/** Does the draft differ from what is saved? */
export function isDirty(d: SettingsDraft, s: Settings | undefined): boolean {
  if (!s) return false;
  const norm = (x: SettingsDraft) => {
    const p = savePayload(x);
    return JSON.stringify({ ...p, templates: Object.entries(p.templates).sort(([a], [b]) => a.localeCompare(b)) });
  };
  // A started but empty row is not a change.
  return norm(d) !== norm(draftFrom(s));
}

/** The check line of a field (`vmrunPath`, `template:<os>`, …), if the backend sent one. */
export function lineFor(check: SettingsCheck | undefined, field: string): (CheckLine & { field: string }) | undefined {
  return check?.fields.find((f) => f.field === field);
}

/** The settings-check field name of a template row. */
export const templateField = (os: string): string => `template:${os.trim()}`;

/** `ubuntu-22.04` → `HALAB_TEMPLATE_UBUNTU_22_04` (the backend's naming of the per-OS override). */
export function templateEnvName(os: string): string {
  return `HALAB_TEMPLATE_${os.trim().toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const FIELD_ENV: Record<HostField, string> = {
  vmrunPath: 'HALAB_VMRUN',
  sshUser: 'HALAB_SSH_USER',
  labsDir: 'HALAB_LABS_DIR',
  vmwareEtcDir: 'HALAB_VMWARE_ETC_DIR',
};

/**
 * The environment variable overriding a field right now, if any. `overrides`
 * are the names `settings:check` reports (a bare name or `NAME=value`).
 */
export function overrideFor(field: HostField | `template:${string}`, overrides: string[] | undefined): string | undefined {
  if (!overrides?.length) return undefined;
  const want = field.startsWith('template:') ? templateEnvName(field.slice('template:'.length)) : FIELD_ENV[field as HostField];
  return overrides.map((o) => o.split('=')[0]!.trim()).find((name) => name === want);
}

/** Where vmrun came from, as an i18n key suffix. */
export function vmrunSource(check: SettingsCheck | undefined): 'setting' | 'env' | 'discovered' | 'none' | 'unknown' {
  return check?.vmrun.source ?? 'unknown';
}

/** Split backend text at the first "Settings" so the screen can make that word a link. */
export function splitAtSettings(text: string): [string, string, string] | undefined {
  const m = /\bSettings\b/.exec(text);
  if (!m) return undefined;
  return [text.slice(0, m.index), m[0], text.slice(m.index + m[0].length)];
}

/** The numbers of a clash for the dialog's sentence. */
export function clashParams(c: VmnetClash): { vmnet: string; want: string; have: string } {
  return { vmnet: c.vmnet, want: c.blueprintSubnet, have: c.hostSubnet };
}

/**
 * The pre-flight lines worth showing beside its clashes: not the ok ones,
 * and not the line that repeats a clash already shown (`vmnet8-subnet`,
 * `vmnet:<name>`).
 */
export function preflightLines(r: PreflightResult): CheckLine[] {
  const clashed = new Set(r.clashes.map((c) => c.vmnet));
  return r.lines.filter((l) => l.level !== 'ok' && !(l.id === 'vmnet8-subnet' && clashed.has('vmnet8')) && !(l.id.startsWith('vmnet:') && clashed.has(l.id.slice('vmnet:'.length))));
}

/**
 * After a template task saved a template: the rows the user sees follow the
 * saved list. A row still as it was saved takes the new path; a new OS name
 * is added; a row the user is editing is kept as typed.
 */
export function mergeTemplates(d: SettingsDraft, before: Settings | undefined, after: Settings): SettingsDraft {
  const was = before?.templates ?? {};
  const now = after.templates ?? {};
  let changed = false;
  const rows = d.templates.map((r) => {
    const os = r.os.trim();
    if (now[os] !== undefined && now[os] !== r.path && was[os] === r.path) {
      changed = true;
      return { ...r, path: now[os] };
    }
    return r;
  });
  const have = new Set(rows.map((r) => r.os.trim()));
  const extra = Object.entries(now).filter(([os]) => !have.has(os));
  if (!extra.length && !changed) return d;
  return { ...d, templates: [...rows, ...extra.map(([os, path]) => newRow(os, path))] };
}

/** The worst level of a set of check lines (for a summary badge). */
export function worst(lines: { level: CheckLine['level'] }[]): CheckLine['level'] {
  if (lines.some((l) => l.level === 'error')) return 'error';
  if (lines.some((l) => l.level === 'warning')) return 'warning';
  return 'ok';
}
