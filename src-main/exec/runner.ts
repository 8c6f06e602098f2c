/**
 * The one command runner. Every external program the app starts (vmrun,
 * ip, systemd-nspawn, debootstrap, dnsmasq, nginx -t, …) goes through here:
 * argv arrays only (never a shell string), a timeout, cancellation with an
 * AbortSignal, a typed error carrying argv/stdout/stderr/exit code, and one
 * log line `> prog args…` per call. Nothing else in the project imports
 * execa or child_process (ESLint enforces it).
 */
import { execa, type ResultPromise } from 'execa';
import { basename } from 'node:path';

export interface RunOptions {
  /** Kill the process after this many milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Abort to cancel: the process is killed and the call rejects with `canceled`. */
  signal?: AbortSignal;
  /** Text written to the process' standard input. */
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * Resolve when the process exits, without waiting for its pipes to close
   * (a grandchild such as vmware.exe may inherit them and hold them open for
   * hours). Output seen until then (plus a short grace) is returned.
   */
  resolveOnExit?: boolean;
  /** Exit codes that count as success (default [0]). */
  okExitCodes?: number[];
  /** Words to mask in the log line (passwords after -gp, …). */
  secrets?: string[];
  /** Do not log this call (used for high-frequency polling). */
  quiet?: boolean;
}

export interface RunResult {
  argv: string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

export type CommandFailure = 'exit' | 'timeout' | 'canceled' | 'not-found' | 'spawn';

/** A command that failed: everything needed to explain it to a user. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly argv: string[],
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | undefined,
    readonly reason: CommandFailure,
  ) {
    super(message);
  }
  /** The last lines of output, for "failure details" shown to the user. */
  tail(lines = 10): string {
    const all = `${this.stdout}\n${this.stderr}`.trim().split(/\r?\n/);
    return all.slice(-lines).join('\n');
  }
}

export type CommandLogger = (line: string) => void;
const loggers = new Set<CommandLogger>();

/** Subscribe to the `> prog args` lines; returns the unsubscribe function. */
export function onCommandLog(fn: CommandLogger): () => void {
  loggers.add(fn);
  return () => loggers.delete(fn);
}

function mask(argv: string[], secrets: string[] = []): string {
  return argv
    .map((a) => {
      let s = a;
      for (const secret of secrets) if (secret) s = s.split(secret).join('****');
      return /[\s"'$`\\]/.test(s) || s === '' ? JSON.stringify(s) : s;
    })
    .join(' ');
}

function logLine(argv: string[], opts: RunOptions): void {
  if (opts.quiet || loggers.size === 0) return;
  const shown = [basename(argv[0] ?? ''), ...argv.slice(1)];
  const line = `> ${mask(shown, opts.secrets)}`;
  for (const fn of loggers) fn(line);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));

/** Run a program to completion. Rejects with CommandError unless the exit code is allowed. */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (argv.length === 0 || !argv[0]) throw new TypeError('run(): empty argv');
  const [file, ...args] = argv;
  const ok = opts.okExitCodes ?? [0];
  const started = Date.now();
  logLine(argv, opts);
  let child: ResultPromise;
  try {
    child = execa(file, args, {
      reject: false,
      timeout: opts.timeoutMs ?? 120_000,
      cancelSignal: opts.signal,
      input: opts.input,
      env: opts.env,
      extendEnv: true,
      cwd: opts.cwd,
      windowsHide: true,
      stripFinalNewline: false,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      forceKillAfterDelay: 2000,
      all: false,
    });
  } catch (e) {
    throw new CommandError(`${basename(file)} could not start: ${(e as Error).message}`, argv, '', '', undefined, 'spawn');
  }

  let result: { stdout: unknown; stderr: unknown; exitCode?: number; timedOut?: boolean; isCanceled?: boolean; code?: string; failed?: boolean; originalMessage?: string };
  if (opts.resolveOnExit) {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    result = await new Promise((resolve) => {
      let done = false;
      const finish = (r: typeof result) => {
        if (!done) {
          done = true;
          resolve(r);
        }
      };
      child.then((r) => finish({ ...r, stdout: out || r.stdout, stderr: err || r.stderr }), (e) => finish(e));
      child.once('exit', (code) => {
        setTimeout(() => finish({ stdout: out, stderr: err, exitCode: code ?? undefined }), 1500).unref();
      });
    });
    // A grandchild may still hold the pipes; drop our ends so they do not keep this process alive.
    child.stdout?.destroy();
    child.stderr?.destroy();
  } else {
    result = (await child.catch((e: unknown) => e)) as typeof result;
  }

  const res: RunResult = {
    argv,
    stdout: text(result.stdout),
    stderr: text(result.stderr),
    exitCode: result.exitCode ?? -1,
    durationMs: Date.now() - started,
  };
  const prog = basename(file);
  if (result.code === 'ENOENT') {
    throw new CommandError(`${prog} was not found. Install it or set its path.`, argv, '', '', undefined, 'not-found');
  }
  if (result.isCanceled || opts.signal?.aborted) {
    throw new CommandError(`${prog} was canceled.`, argv, res.stdout, res.stderr, result.exitCode, 'canceled');
  }
  if (result.timedOut) {
    const secs = Math.round((opts.timeoutMs ?? 120_000) / 1000);
    throw new CommandError(`${prog} did not finish within ${secs} s and was stopped.`, argv, res.stdout, res.stderr, result.exitCode, 'timeout');
  }
  if (result.exitCode === undefined) {
    throw new CommandError(`${prog} could not run: ${result.originalMessage ?? 'unknown error'}`, argv, res.stdout, res.stderr, undefined, 'spawn');
  }
  if (!ok.includes(result.exitCode)) {
    const last = `${res.stderr}\n${res.stdout}`.trim().split(/\r?\n/).filter(Boolean).slice(-3).join(' | ');
    throw new CommandError(`${prog} exited with code ${result.exitCode}${last ? `: ${last}` : ''}`, argv, res.stdout, res.stderr, result.exitCode, 'exit');
  }
  return res;
}

/** A long-running background process (systemd-nspawn, dnsmasq, a load generator). */
export interface BackgroundProcess {
  readonly pid: number;
  readonly argv: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Output collected so far (last 64 KiB). */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Start a process that keeps running. It is not tied to the caller's
 * lifetime unless `detached` is false (the default keeps it in our process
 * group so a crash of the CLI takes it down too).
 */
export function spawnBackground(argv: string[], opts: { env?: Record<string, string>; cwd?: string; detached?: boolean; quiet?: boolean } = {}): BackgroundProcess {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('spawnBackground(): empty argv');
  logLine(argv, { quiet: opts.quiet });
  const child = execa(file, args, {
    reject: false,
    env: opts.env,
    cwd: opts.cwd,
    detached: opts.detached ?? false,
    stdin: 'ignore',
    buffer: false,
    cleanup: !opts.detached,
  });
  let buf = '';
  const keep = (d: Buffer) => {
    buf = (buf + d.toString()).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (opts.detached) child.unref();
  // Resolve on the process' own exit, not when its pipes close: a grandchild
  // (an sshd session, a daemon it forked) may hold them open much longer.
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? code ?? -1));
    child.catch(() => resolve(-1));
  });
  if (child.pid === undefined) throw new CommandError(`${basename(file)} could not start`, argv, '', '', undefined, 'spawn');
  return {
    pid: child.pid,
    argv,
    exited,
    output: () => buf,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      child.kill(signal);
    },
  };
}
