/**
 * Host settings: the ONE place that reads `settings.json` (the data folder
 * shared by the window, web mode and the CLI) and the environment variables
 * that override it. Also the checks of those values (`settings:check`, and
 * what `settings:set` refuses).
 *
 * Precedence per value: environment > settings file > legacy `vmware: {…}`
 * object of the file (what the CLI read before) > default.
 */
import { readFileSync } from 'node:fs';
import { access, constants, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { findVmrun } from '../hypervisor/vmware/find-vmrun';
import { VmrunClient } from '../hypervisor/vmware/vmrun-client';
import { msg, type Message } from '../shared/i18n';
import { checkLine } from '../shared/i18n/check-line';
import type { CheckLine, Settings, SettingsCheck } from '../shared/ipc/contract';
import { MessageError } from '../shared/i18n/message-error';

export interface HostSettings {
  /** vmrun from the environment or the file; unset means auto-discovery. */
  vmrunPath?: string;
  /** OS name (`ubuntu-22.04`) → template `.vmx`. */
  templates: Record<string, string>;
  /** The guest account provisioning logs in as on VMware (the Linux lab is always root). */
  sshUser: string;
  /** Where labs live. */
  labsDir: string;
  /** VMware's config folder on a Linux host; unset means /etc/vmware. */
  vmwareEtcDir?: string;
  /** Names of the environment variables in force right now. */
  overrides: string[];
}

/**
 * The guest user when none is set. Provisioning has always logged in as
 * root: the cloud-init user-data the VMware driver writes keeps root's login
 * (`disable_root: false`) and installs the lab key, and the Linux lab's
 * containers only have root.
 */
export const DEFAULT_SSH_USER = 'root';

export const DEFAULT_SETTINGS: Settings = { theme: 'system', language: 'en', templates: {} };

export interface HostSettingsOptions {
  /** Folder of `settings.json` (default: HALAB_DATA_DIR, else ~/.config/halab). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Effective user id (default: this process'). */
  uid?: number;
}

/** The default data folder outside Electron. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALAB_DATA_DIR) return env.HALAB_DATA_DIR;
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'halab');
}

/** Where labs live when nothing is set: /var/lib/halab/labs for root, else ~/.local/share/halab/labs. */
export function defaultLabsDir(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  if (uid === 0) return '/var/lib/halab/labs';
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'halab', 'labs');
}

/** `HALAB_TEMPLATE_UBUNTU_22_04` → `ubuntu-22.04` (the mapping the CLI has always used). */
export function osFromTemplateVar(name: string): string | undefined {
  const m = /^HALAB_TEMPLATE_(.+)$/.exec(name);
  return m ? m[1]!.toLowerCase().replace(/_/g, '-').replace(/-(\d+)-(\d+)$/, '-$1.$2') : undefined;
}

/** `ubuntu-22.04` → `HALAB_TEMPLATE_UBUNTU_22_04`. */
export function templateVarFor(os: string): string {
  return `HALAB_TEMPLATE_${os.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strMap = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, p]) => str(p) !== undefined)) as Record<string, string> : {};

/**
 * The settings file's content as `Settings`: unknown keys dropped, the
 * legacy `vmware: {vmrunPath, templates, sshUser}` object lifted to the top
 * level (top-level values win).
 */
export function normalizeSettings(raw: unknown): Settings {
  const o = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const legacy = o.vmware && typeof o.vmware === 'object' ? (o.vmware as Record<string, unknown>) : {};
  const s: Settings = {
    theme: o.theme === 'light' || o.theme === 'dark' || o.theme === 'system' ? o.theme : DEFAULT_SETTINGS.theme,
    language: o.language === 'en' || o.language === 'ko' ? o.language : DEFAULT_SETTINGS.language,
    templates: { ...strMap(legacy.templates), ...strMap(o.templates) },
  };
  const vmrunPath = str(o.vmrunPath) ?? str(legacy.vmrunPath);
  const sshUser = str(o.sshUser) ?? str(legacy.sshUser);
  if (vmrunPath) s.vmrunPath = vmrunPath;
  if (sshUser) s.sshUser = sshUser;
  if (str(o.labsDir)) s.labsDir = str(o.labsDir);
  if (str(o.vmwareEtcDir)) s.vmwareEtcDir = str(o.vmwareEtcDir);
  return s;
}

function parseSettingsText(text: string | undefined, file: string): Settings {
  if (text === undefined) return { ...DEFAULT_SETTINGS, templates: {} };
  try {
    return normalizeSettings(JSON.parse(text));
  } catch (e) {
    throw new MessageError(msg('lab.err.settingsDamaged', { file, error: (e as Error).message }), { cause: e });
  }
}

const notFound = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** Read `settings.json` of a data folder (defaults when there is none). */
export async function readSettingsFile(dataDir: string): Promise<Settings> {
  const file = join(dataDir, 'settings.json');
  const text = await readFile(file, 'utf8').catch((e: unknown) => {
    if (notFound(e)) return undefined;
    throw e;
  });
  return parseSettingsText(text, file);
}

function readSettingsFileSync(dataDir: string): Settings {
  const file = join(dataDir, 'settings.json');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  return parseSettingsText(text, file);
}

/** File values + environment overrides → host settings. Pure. */
export function hostSettingsFrom(file: Settings, env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): HostSettings {
  const overrides: string[] = [];
  const pick = (name: string, fromFile: string | undefined): string | undefined => {
    const v = env[name];
    if (v) {
      overrides.push(name);
      return v;
    }
    return fromFile;
  };
  const templates = { ...file.templates };
  for (const [k, v] of Object.entries(env)) {
    const os = osFromTemplateVar(k);
    if (os && v) {
      templates[os] = v;
      overrides.push(k);
    }
  }
  const vmrunPath = pick('HALAB_VMRUN', file.vmrunPath);
  const sshUser = pick('HALAB_SSH_USER', file.sshUser) ?? DEFAULT_SSH_USER;
  const labsDir = pick('HALAB_LABS_DIR', file.labsDir) ?? defaultLabsDir(env, uid);
  const vmwareEtcDir = pick('HALAB_VMWARE_ETC_DIR', file.vmwareEtcDir);
  return {
    ...(vmrunPath ? { vmrunPath } : {}),
    templates,
    sshUser,
    labsDir: resolve(labsDir),
    ...(vmwareEtcDir ? { vmwareEtcDir } : {}),
    overrides: overrides.sort(),
  };
}

/** The host settings in force: the settings file and its environment overrides. */
export async function readHostSettings(o: HostSettingsOptions = {}): Promise<HostSettings> {
  const env = o.env ?? process.env;
  return hostSettingsFrom(await readSettingsFile(o.dataDir ?? defaultDataDir(env)), env, o.uid ?? process.getuid?.());
}

/** The same, synchronously (for `labsRoot()`, which many callers need without awaiting). */
export function readHostSettingsSync(o: HostSettingsOptions = {}): HostSettings {
  const env = o.env ?? process.env;
  return hostSettingsFrom(readSettingsFileSync(o.dataDir ?? defaultDataDir(env)), env, o.uid ?? process.getuid?.());
}

// ---------------------------------------------------------------- checks

/** Values to check (the `settings:check` payload). Absent: the value in force; null: the default. */
export interface HostValues {
  vmrunPath?: string | null;
  templates?: Record<string, string>;
  sshUser?: string | null;
  labsDir?: string | null;
  vmwareEtcDir?: string | null;
}

export interface CheckOptions extends HostSettingsOptions {
  platform?: NodeJS.Platform;
  /** Only check these fields (`vmrunPath`, `templates`, `sshUser`, `labsDir`, `vmwareEtcDir`); default all. */
  only?: (keyof HostValues)[];
  signal?: AbortSignal;
}

/** A Linux user name as `useradd` accepts it by default. */
export const LINUX_USER_RE = /^[a-z_][a-z0-9_-]{0,30}\$?$/;

type FieldLine = CheckLine & { field: string };

/** A field's check line from catalog messages (English text kept beside them). */
const line = (field: string, level: CheckLine['level'], title: Message, detail: Message, fix?: Message): FieldLine => ({ field, ...checkLine(field, level, title, detail, fix) });

async function canAccess(path: string, mode: number): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function statOf(path: string) {
  return stat(path).catch(() => undefined);
}

const overriddenNote = (envVar: string, env: NodeJS.ProcessEnv): Message | string => (env[envVar] ? msg('set.overridden', { envVar }) : '');

async function checkVmrun(value: string | null | undefined, current: HostSettings, o: CheckOptions, env: NodeJS.ProcessEnv): Promise<{ vmrun: SettingsCheck['vmrun']; line: FieldLine }> {
  // A value typed by the user is checked as it is; otherwise the one in force (env, file) or discovery.
  const typed = typeof value === 'string' ? value : undefined;
  const setting = value === undefined ? current.vmrunPath : typed;
  const where = await findVmrun({ setting, env: typed !== undefined ? { ...env, HALAB_VMRUN: undefined } : env, platform: o.platform });
  const source: SettingsCheck['vmrun']['source'] = !where ? 'none' : where.source === 'setting' ? (value === undefined && env.HALAB_VMRUN && env.HALAB_VMRUN === setting ? 'env' : 'setting') : where.source === 'env' ? 'env' : 'discovered';
  if (!where) {
    return {
      vmrun: { source: 'none' },
      line: line('vmrunPath', 'warning', msg('set.vmrunMissing'), msg('set.vmrunMissing.detail'), msg('set.vmrunMissing.fix')),
    };
  }
  if (typed !== undefined && !isAbsolute(typed)) {
    return { vmrun: { path: typed, source }, line: line('vmrunPath', 'error', msg('set.vmrunRelative'), msg('set.relative.detail', { value: typed }), msg('set.vmrunRelative.fix')) };
  }
  const st = await statOf(where.path);
  if (!st?.isFile()) {
    return { vmrun: { path: where.path, source }, line: line('vmrunPath', 'error', msg('set.vmrunNotThere'), msg('set.vmrunNotThere.detail', { path: where.path, note: overriddenNote('HALAB_VMRUN', env) }), msg('set.vmrunNotThere.fix')) };
  }
  const client = new VmrunClient({ vmrunPath: where.path, hostType: where.hostType, platform: o.platform });
  const v = await client.version({ quiet: true, timeoutMs: 15_000, signal: o.signal }).catch(() => undefined);
  if (!v) {
    return { vmrun: { path: where.path, source }, line: line('vmrunPath', 'error', msg('set.notVmrun'), msg('set.notVmrun.detail', { path: where.path }), msg('set.notVmrun.fix')) };
  }
  const how = msg(source === 'discovered' ? 'set.howDiscovered' : source === 'env' ? 'set.howEnv' : 'set.howSetting');
  return { vmrun: { path: where.path, version: v.version, source }, line: line('vmrunPath', 'ok', msg('set.vmrunOk', { version: v.version }), msg('set.vmrunOk.detail', { path: where.path, how, banner: v.banner, note: typed !== undefined ? overriddenNote('HALAB_VMRUN', env) : '' })) };
}

async function checkTemplate(os: string, path: string): Promise<FieldLine> {
  const field = `template:${os}`;
  if (!path) return line(field, 'error', msg('set.tplEmpty', { os }), msg('set.tplEmpty.detail'), msg('set.tplEmpty.fix'));
  if (!isAbsolute(path)) return line(field, 'error', msg('set.tplRelative', { os }), msg('set.relative.detail', { value: path }), msg('set.tplRelative.fix'));
  if (!/\.vmx$/i.test(path)) return line(field, 'error', msg('set.tplNotVmx', { os }), msg('set.tplNotVmx.detail', { path }), msg('set.tplNotVmx.fix'));
  const st = await statOf(path);
  if (!st) return line(field, 'error', msg('set.tplMissing', { os }), msg('set.noFileAt', { path }), msg('set.tplMissing.fix'));
  if (!st.isFile()) return line(field, 'error', msg('set.tplFolder', { os }), msg('set.tplFolder.detail', { path }), msg('set.tplFolder.fix'));
  if (!(await canAccess(path, constants.R_OK))) return line(field, 'error', msg('set.tplUnreadable', { os }), msg('set.tplUnreadable.detail', { path }), msg('set.tplUnreadable.fix'));
  const head = await readFile(path, 'utf8').then((t) => t.slice(0, 64 * 1024)).catch(() => '');
  if (!/^\s*[A-Za-z0-9_.:]+\s*=\s*"/m.test(head)) return line(field, 'error', msg('set.tplNotVm', { os }), msg('set.tplNotVm.detail', { path }), msg('set.tplNotVm.fix'));
  return line(field, 'ok', msg('set.tplOk', { os }), msg('raw.english', { text: path }));
}

function checkSshUser(value: string): FieldLine {
  if (value === 'root') return line('sshUser', 'ok', msg('set.sshRoot'), msg('set.sshRoot.detail'));
  if (LINUX_USER_RE.test(value)) return line('sshUser', 'ok', msg('set.sshUser', { user: value }), msg('set.sshUser.detail', { user: value }));
  return line('sshUser', 'error', msg('set.sshBad'), msg('set.sshBad.detail', { value }), msg('set.sshBad.fix'));
}

async function checkLabsDir(value: string): Promise<FieldLine> {
  if (!isAbsolute(value)) return line('labsDir', 'error', msg('set.labsRelative'), msg('set.relative.detail', { value }), msg('set.labsRelative.fix'));
  const st = await statOf(value);
  if (st) {
    if (!st.isDirectory()) return line('labsDir', 'error', msg('set.labsFile'), msg('set.labsFile.detail', { path: value }), msg('set.labsFile.fix'));
    if (!(await canAccess(value, constants.W_OK | constants.X_OK))) return line('labsDir', 'error', msg('set.labsReadOnly'), msg('set.labsReadOnly.detail', { path: value }), msg('set.labsReadOnly.fix', { path: value }));
    return line('labsDir', 'ok', msg('set.labsOk'), msg('raw.english', { text: value }));
  }
  // Not there yet: the nearest existing parent must let us create it.
  let parent = dirname(value);
  while (!(await statOf(parent)) && dirname(parent) !== parent) parent = dirname(parent);
  const pst = await statOf(parent);
  if (!pst?.isDirectory()) return line('labsDir', 'error', msg('set.labsCannot'), msg('set.labsParentNotFolder.detail', { parent }), msg('set.labsCannot.fixOther'));
  if (!(await canAccess(parent, constants.W_OK | constants.X_OK))) return line('labsDir', 'error', msg('set.labsCannot'), msg('set.labsParentReadOnly.detail', { path: value, parent }), msg('set.labsParentReadOnly.fix'));
  return line('labsDir', 'ok', msg('set.labsWillCreate'), msg('set.labsWillCreate.detail', { path: value }));
}

async function checkEtcDir(value: string): Promise<FieldLine> {
  if (!isAbsolute(value)) return line('vmwareEtcDir', 'error', msg('set.etcRelative'), msg('set.relative.detail', { value }), msg('set.etcRelative.fix'));
  const st = await statOf(value);
  if (!st?.isDirectory()) return line('vmwareEtcDir', 'error', msg('set.etcMissing'), msg('set.etcMissing.detail', { path: value }), msg('set.etcMissing.fix'));
  const net = await statOf(join(value, 'networking'));
  if (!net?.isFile()) return line('vmwareEtcDir', 'error', msg('set.etcNoNetworking'), msg('set.etcNoNetworking.detail', { path: value }), msg('set.etcNoNetworking.fix'));
  return line('vmwareEtcDir', 'ok', msg('set.etcOk'), msg('set.etcOk.detail', { file: join(value, 'networking') }));
}

/**
 * Check host values (nothing is saved): one line per field, vmrun's path,
 * version and source, and the environment variables in force.
 */
export async function checkHostSettings(values: HostValues, o: CheckOptions = {}): Promise<SettingsCheck> {
  const env = o.env ?? process.env;
  const current = await readHostSettings(o);
  const want = (k: keyof HostValues) => !o.only || o.only.includes(k);
  const fields: FieldLine[] = [];
  let vmrun: SettingsCheck['vmrun'] = { source: 'none' };
  const [vm, templates, labs, etc] = await Promise.all([
    want('vmrunPath') ? checkVmrun(values.vmrunPath, current, o, env) : undefined,
    want('templates') ? Promise.all(Object.entries(values.templates ?? current.templates).sort(([a], [b]) => a.localeCompare(b)).map(([os, p]) => checkTemplate(os, p))) : [],
    want('labsDir') ? checkLabsDir(values.labsDir === undefined ? current.labsDir : (values.labsDir ?? defaultLabsDir(env, o.uid ?? process.getuid?.()))) : undefined,
    want('vmwareEtcDir') ? (values.vmwareEtcDir === undefined ? (current.vmwareEtcDir ? checkEtcDir(current.vmwareEtcDir) : undefined) : values.vmwareEtcDir === null ? undefined : checkEtcDir(values.vmwareEtcDir)) : undefined,
  ]);
  if (vm) {
    vmrun = vm.vmrun;
    fields.push(vm.line);
  }
  fields.push(...templates);
  if (want('sshUser')) fields.push(checkSshUser(values.sshUser === undefined ? current.sshUser : (values.sshUser ?? DEFAULT_SSH_USER)));
  if (labs) fields.push(labs);
  if (etc) fields.push(etc);
  return { vmrun, fields, overrides: current.overrides };
}
