/**
 * The no-op re-apply in one round trip per VM (issue 13). Each per-VM step
 * begins with one read-only probe command (base system, packages, firewall
 * stamp, services, hardening); a re-apply used to send each of them, plus the
 * base system's and hardening's extra checks, as separate SSH commands,
 * ~10 round trips per VM. Now, when a VM was already running, its SSH step
 * sends all probes as ONE command (each in its own subshell with its own
 * arguments, its output and exit code between markers) and keeps the
 * outputs; each step then takes its probe's output from here instead of
 * asking the guest again, and decides exactly as before (the decisions are
 * the same pure functions over the same text).
 *
 * Stale answers are never used: a probe's output is handed out once, only
 * when its command is byte-for-byte the one the step would run, only when it
 * exited 0, and all of a VM's outputs are dropped as soon as any step of
 * that VM (or any lab-wide step) changed something or failed. So a step
 * reads a cached answer only when nothing this run did could have changed
 * what the probe saw; otherwise it sends its probe itself, as before.
 */
import { shellQuote } from '../configs/quote';
import type { ExecResult, Guest } from '../guest/guest';

/** One step's probe: a key (the step kind) and the argv it runs, `['sh', '-c', script, 'sh', ...args]`. */
export interface ProbeCommand {
  key: string;
  argv: string[];
}

/** One probe's answer in the combined output. */
export interface ProbeAnswer {
  stdout: string;
  code: number;
}

const START = '##halab-section:';
const END = '##halab-end:';
const KEY = /^[a-z][a-z0-9-]*$/;

/** The probe's script and arguments, for an argv of the form `sh -c SCRIPT [sh ARGS…]`. */
function scriptOf(cmd: ProbeCommand): { script: string; args: string[] } {
  const [sh, c, script, zero, ...args] = cmd.argv;
  if (sh !== 'sh' || c !== '-c' || script === undefined || (zero !== undefined && zero !== 'sh')) throw new Error(`probe ${cmd.key} is not "sh -c SCRIPT sh ARGS…": ${cmd.argv.slice(0, 2).join(' ')}`);
  if (!KEY.test(cmd.key)) throw new Error(`not a probe key: ${cmd.key}`);
  return { script, args };
}

/**
 * One shell script running every probe in its own subshell with its own
 * positional arguments (`set --`, each word quoted), stdout between a start
 * line and an end marker that carries the subshell's exit code. The end
 * marker follows the output directly (no newline added), so each answer's
 * text is exactly what the probe alone prints.
 */
export function combinedProbeScript(cmds: ProbeCommand[]): string {
  const keys = new Set<string>();
  return cmds
    .map((cmd) => {
      const { script, args } = scriptOf(cmd);
      if (keys.has(cmd.key)) throw new Error(`two probes named ${cmd.key}`);
      keys.add(cmd.key);
      return [`printf '%s\\n' '${START}${cmd.key}##'`, '(', `set --${args.map((a) => ` ${shellQuote(a)}`).join('')}`, script, ')', `printf '${END}%s##\\n' "$?"`].join('\n');
    })
    .join('\n');
}

/** Split the combined output into each probe's stdout and exit code; a probe cut short (no end marker) is left out. */
export function parseCombinedProbe(stdout: string): Map<string, ProbeAnswer> {
  const out = new Map<string, ProbeAnswer>();
  let at = 0;
  for (;;) {
    const s = stdout.indexOf(START, at);
    if (s < 0) break;
    const nameEnd = stdout.indexOf('##\n', s + START.length);
    if (nameEnd < 0) break;
    const key = stdout.slice(s + START.length, nameEnd);
    const bodyStart = nameEnd + 3;
    const e = stdout.indexOf(END, bodyStart);
    if (e < 0) break;
    const codeEnd = stdout.indexOf('##', e + END.length);
    const code = Number(stdout.slice(e + END.length, codeEnd));
    if (codeEnd < 0 || !Number.isInteger(code)) break;
    out.set(key, { stdout: stdout.slice(bodyStart, e), code });
    at = codeEnd + 2;
  }
  return out;
}

interface Cached extends ProbeAnswer {
  argv: string;
}

/** The probes' answers of one run, per VM, each handed out at most once while nothing changed. */
export class ReapplyProbes {
  private readonly byVm = new Map<string, Map<string, Cached>>();
  /** How many probe commands were answered from the combined one (for tests and the log). */
  hits = 0;

  /** Run every probe of `vm` in one command and keep the answers (nothing kept when it fails). */
  async prime(g: Guest, vm: string, cmds: ProbeCommand[]): Promise<number> {
    if (!cmds.length) return 0;
    const r = await g.exec(['sh', '-c', combinedProbeScript(cmds)], { okCodes: [0, 1, 2, 127] }).catch(() => undefined);
    if (!r) return 0;
    this.store(vm, cmds, r.stdout);
    return this.byVm.get(vm)?.size ?? 0;
  }

  /** Keep the answers parsed from a combined output (exit code 0 only). */
  store(vm: string, cmds: ProbeCommand[], stdout: string): void {
    const answers = parseCombinedProbe(stdout);
    const kept = new Map<string, Cached>();
    for (const cmd of cmds) {
      const a = answers.get(cmd.key);
      if (a && a.code === 0) kept.set(cmd.key, { ...a, argv: JSON.stringify(cmd.argv) });
    }
    this.byVm.set(vm, kept);
  }

  /** The kept answer of `cmd` on `vm`, once, when its command is the same; undefined otherwise. */
  take(vm: string, cmd: ProbeCommand): ProbeAnswer | undefined {
    const kept = this.byVm.get(vm);
    const a = kept?.get(cmd.key);
    if (!a) return undefined;
    kept!.delete(cmd.key);
    if (a.argv !== JSON.stringify(cmd.argv)) return undefined;
    this.hits++;
    return { stdout: a.stdout, code: a.code };
  }

  /** The probe's output: the kept answer when there is one, else the probe sent to the guest now. */
  async exec(g: Guest, vm: string, cmd: ProbeCommand): Promise<ExecResult> {
    const a = this.take(vm, cmd);
    return a ? { stdout: a.stdout, stderr: '', code: a.code } : g.exec(cmd.argv);
  }

  /** Something changed on `vm` (or, without a VM, anywhere in the lab): its kept answers are stale. */
  invalidate(vm?: string): void {
    if (vm === undefined) this.byVm.clear();
    else this.byVm.delete(vm);
  }
}

/** The probe command when there is no cache (a step called on its own): sent to the guest. */
export async function probeExec(g: Guest, vm: string, cmd: ProbeCommand, probes?: ReapplyProbes): Promise<ExecResult> {
  return probes ? probes.exec(g, vm, cmd) : g.exec(cmd.argv);
}
