/**
 * Typed vmrun failures. vmrun reports errors as `Error: <text>` on STDOUT
 * with a non-zero exit (255 on Linux/macOS, 4294967295 on Windows), so the
 * kind is decided from the text, never from the exit code.
 */
import { msg, type Message, type MessageCode } from '../../shared/i18n';
import { HypervisorError, withMsg, type FailureDetails } from '../types.js';

export type VmrunErrorKind =
  | 'not-powered-on'
  | 'tools-not-running'
  | 'file-in-use'
  | 'snapshot-missing'
  | 'snapshot-exists'
  | 'invalid-parameter'
  | 'cannot-read-config'
  | 'operation-canceled'
  | 'guest-program-failed'
  | 'vix-not-installed'
  | 'host-unavailable'
  | 'vm-not-found'
  | 'needs-credentials'
  | 'needs-admin'
  | 'timeout'
  | 'aborted'
  | 'vmrun-missing'
  | 'unknown';

/** Kinds worth retrying for read-only commands: the Workstation UI was busy, or a file was briefly locked. */
const TRANSIENT: ReadonlySet<VmrunErrorKind> = new Set(['cannot-read-config', 'host-unavailable', 'file-in-use', 'unknown']);

interface Rule {
  kind: VmrunErrorKind;
  test: RegExp;
}

/** Order matters: the stale-VIX text also says "Unable to connect to host". */
const RULES: Rule[] = [
  { kind: 'vix-not-installed', test: /VIX_SERVICEPROVIDER_VMWARE_\w+|was specified, but not installed/i },
  { kind: 'not-powered-on', test: /not powered on/i },
  { kind: 'tools-not-running', test: /VMware Tools are not running/i },
  { kind: 'snapshot-missing', test: /snapshot does not exist|no snapshot|snapshot .*not found/i },
  { kind: 'snapshot-exists', test: /snapshot .*already exists|name already exists/i },
  { kind: 'file-in-use', test: /already in use|file is locked|in use by another/i },
  { kind: 'invalid-parameter', test: /parameters was invalid|invalid parameter/i },
  { kind: 'cannot-read-config', test: /Cannot read the virtual machine configuration file/i },
  { kind: 'operation-canceled', test: /operation was canceled/i },
  { kind: 'guest-program-failed', test: /Guest program exited with non-zero exit code/i },
  { kind: 'needs-credentials', test: /Anonymous guest operations are not allowed|Invalid user name or password/i },
  { kind: 'needs-admin', test: /Insufficient permissions|Access is denied|permission denied|must be root/i },
  { kind: 'vm-not-found', test: /Cannot open VM|cannot be found|does not exist|file not found|No such file/i },
  { kind: 'host-unavailable', test: /Unable to connect to host|is busy/i },
];

/** The `Error: …` text of vmrun output (all error lines joined), or the whole text when there is none. */
export function errorText(output: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /^Error:/i.test(l)).map((l) => l.replace(/^Error:\s*/i, ''));
  return (errors.length > 0 ? errors : lines).join(' ');
}

/** Classify vmrun output (stdout and stderr together) into an error kind. */
export function classifyVmrunOutput(output: string): VmrunErrorKind {
  for (const rule of RULES) if (rule.test.test(output)) return rule.kind;
  return 'unknown';
}

/** A failed vmrun call: the kind, vmrun's own words, and the (masked) command. */
export class VmrunError extends Error {
  override readonly name = 'VmrunError';
  constructor(
    message: string,
    readonly kind: VmrunErrorKind,
    readonly command: string,
    readonly output: string,
    readonly exitCode: number | undefined,
  ) {
    super(message);
  }
  /** Worth retrying (read-only commands only). */
  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }
}

const ADVICE: Partial<Record<VmrunErrorKind, { code: HypervisorError['code']; fix: string }>> = {
  'not-powered-on': { code: 'bad-state', fix: 'Start the VM first, then try again.' },
  'tools-not-running': { code: 'bad-state', fix: 'Wait for the guest to finish booting; make sure open-vm-tools is installed in the template.' },
  'file-in-use': { code: 'conflict', fix: 'Close the VM (and its template) in the VMware Workstation window, then try again.' },
  'snapshot-missing': { code: 'not-found', fix: 'Check the snapshot name; list snapshots to see which exist.' },
  'snapshot-exists': { code: 'conflict', fix: 'Use another snapshot name or delete the old snapshot first.' },
  'cannot-read-config': { code: 'transient', fix: 'Wait a few seconds and try again.' },
  'host-unavailable': { code: 'transient', fix: 'Wait a few seconds and try again; avoid clicking in the Workstation window while the lab is being built.' },
  'vix-not-installed': {
    code: 'not-usable',
    fix: 'An old "VMware VIX" vmrun is being used. Uninstall VMware VIX, or point HA Lab Studio at the vmrun inside the VMware Workstation folder (Settings, or the HALAB_VMRUN variable).',
  },
  'vm-not-found': { code: 'not-found', fix: 'The VM files are missing; re-create the VM.' },
  'needs-credentials': { code: 'failed', fix: 'This operation needs a guest user name and password.' },
  'needs-admin': { code: 'needs-admin', fix: 'Run HA Lab Studio as Administrator (Windows) or with sudo (Linux) for this step.' },
  timeout: { code: 'failed', fix: 'VMware did not answer in time. Close dialogs in the Workstation window and try again.' },
  'vmrun-missing': { code: 'not-usable', fix: 'Install VMware Workstation Pro, or set the vmrun path in Settings or HALAB_VMRUN.' },
};

/** The catalog's words for `ADVICE`'s fixes (same kinds). */
const ADVICE_MSG: Partial<Record<VmrunErrorKind, MessageCode>> = {
  'not-powered-on': 'hv.fix.notPoweredOn',
  'tools-not-running': 'hv.fix.toolsNotRunning',
  'file-in-use': 'hv.fix.fileInUse',
  'snapshot-missing': 'hv.fix.snapshotMissing',
  'snapshot-exists': 'hv.fix.snapshotExists',
  'cannot-read-config': 'hv.fix.waitRetry',
  'host-unavailable': 'hv.fix.hostBusy',
  'vix-not-installed': 'hv.fix.vix',
  'vm-not-found': 'hv.fix.vmNotFound',
  'needs-credentials': 'hv.fix.credentials',
  'needs-admin': 'hv.fix.admin',
  timeout: 'hv.fix.timeout',
  'vmrun-missing': 'hv.fix.vmrunMissing',
};

/**
 * Turn any error from the VMware layer into a HypervisorError a student can
 * act on. With `whatMsg` (`what` as a catalog message) it also carries `msg`:
 * what was being done, vmrun's own words and what to do, in the reader's language.
 */
export function toHypervisorError(e: unknown, what: string, details?: FailureDetails, whatMsg?: Message): HypervisorError {
  if (e instanceof HypervisorError) return e;
  const w = whatMsg ?? what;
  if (e instanceof VmrunError) {
    if (e.kind === 'aborted') {
      const how = e.message === 'canceled' ? '' : ` (${e.message})`;
      const he = new HypervisorError(`${what} was canceled${how}.`, 'canceled', 'Start the command again to continue where it stopped.', details);
      return whatMsg ? withMsg(he, how ? msg('hv.err.canceledHow', { what: w, how: e.message }) : msg('hv.err.canceledWhat', { what: w })) : he;
    }
    const advice = ADVICE[e.kind];
    const code = advice?.code ?? 'failed';
    const he = new HypervisorError(`${what} failed: ${e.message}`, code, advice?.fix, details);
    const fix = ADVICE_MSG[e.kind];
    return whatMsg ? withMsg(he, fix ? msg('hv.err.failedWhatFix', { what: w, error: e.message, fix: msg(fix as 'hv.fix.waitRetry') }) : msg('hv.err.failedWhat', { what: w, error: e.message })) : he;
  }
  const he = new HypervisorError(`${what} failed: ${(e as Error)?.message ?? String(e)}`, 'failed', undefined, details);
  return whatMsg ? withMsg(he, msg('hv.err.failedWhat', { what: w, error: (e as Error)?.message ?? String(e) })) : he;
}
