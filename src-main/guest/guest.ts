/**
 * The guest module: the only code that speaks SSH (node-ssh). A `Guest` runs
 * commands given as argv arrays — each word is shell-quoted here, so no
 * blueprint value ever reaches a shell unquoted — reads files, and uploads
 * files atomically (temp file + rename, previous version kept as
 * `<file>.halab-prev`), reporting whether anything changed.
 */
import { createHash } from 'node:crypto';
import { checkGuestRoute } from './route-guard';
import { NodeSSH } from 'node-ssh';
import { shellQuote } from '../configs/quote';
import { fingerprint, type HostKeyStore } from './lab-keys';
import { msg as catalogMsg, type Message } from '../shared/i18n';

export interface ConnectOptions {
  /** VM name (key for the pinned host key). */
  name: string;
  host: string;
  port?: number;
  user?: string;
  privateKey: string;
  hostKeys: HostKeyStore;
  /** Keep trying this long while the VM boots (default 120 s). */
  waitMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /**
   * The first session's command instead of `true` (argv words, quoted here):
   * a caller that would send a read-only command right after connecting
   * saves a session. Its result is `Guest.firstResult`.
   */
  firstCommand?: string[];
}

export interface ExecOptions {
  /** Run through `sudo -n` when not root. Default true. */
  sudo?: boolean;
  stdin?: string;
  /** Exit codes that are not failures (default [0]). */
  okCodes?: number[];
  cwd?: string;
  /** Stream output lines to the step's log. */
  log?: (line: string) => void;
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class GuestError extends Error {
  override readonly name = 'GuestError';
  constructor(
    message: string,
    readonly code: 'unreachable' | 'host-key-changed' | 'auth' | 'command' | 'canceled',
    readonly result?: ExecResult & { command: string },
    /** The same from the message catalog (rendered in the reader's language). */
    readonly msg?: Message,
  ) {
    super(message);
  }
}

/** One shell command line from argv words, each quoted. */
export function commandLine(argv: string[]): string {
  if (argv.length === 0) throw new TypeError('empty command');
  return argv.map(shellQuote).join(' ');
}

/**
 * The upload, as root: $1 path, $2 mode, $3 owner, content on stdin. Exit 3
 * when the directory is not root's all the way up (the message says which).
 */
const WRITE_SCRIPT = [
  'set -eu',
  'dir=$(dirname -- "$1"); base=$(basename -- "$1")',
  // The deepest existing ancestor, resolved: each of its components must be root's and not writable by others.
  'd=$dir; while [ ! -e "$d" ]; do d=$(dirname -- "$d"); done',
  'd=$(realpath -e -- "$d")',
  'c=$d; while :; do',
  '  st=$(stat -c "%u %a" -- "$c")',
  '  case "$st" in "0 "*) ;; *) echo "$c is not owned by root ($st); refusing to write there as root" >&2; exit 3;; esac',
  '  m=${st#* }; case "$m" in *[2367]?|*[2367]) [ -k "$c" ] || { echo "$c is writable by non-root users ($m); refusing to write there as root" >&2; exit 3; } ;; esac',
  '  [ "$c" = / ] && break; c=$(dirname -- "$c")',
  'done',
  'mkdir -p -- "$dir"',
  'dir=$(realpath -e -- "$dir")',
  'tmp=$(mktemp -- "$dir/.$base.halab-XXXXXX")',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'cat > "$tmp"',
  'chown -h -- "$3" "$tmp"',
  'chmod -- "$2" "$tmp"',
  'if [ -f "$dir/$base" ] && [ ! -L "$dir/$base" ]; then cp -p -- "$dir/$base" "$dir/$base.halab-prev"; fi',
  'mv -f -T -- "$tmp" "$dir/$base"',
  'trap - EXIT',
].join('\n');

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((ok) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      ok();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export class Guest {
  /** What {@link ConnectOptions.firstCommand} printed, when one was given. */
  firstResult?: ExecResult;

  constructor(
    readonly name: string,
    readonly host: string,
    private readonly ssh: NodeSSH,
    private readonly user: string,
  ) {}

  /** Run a command (argv words, quoted here). Throws GuestError on a code not in okCodes. */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const line = commandLine(argv);
    const full = opts.sudo !== false && this.user !== 'root' ? `sudo -n -- ${line}` : line;
    return this.run(full, line, opts);
  }

  /** Run a bash script we generated (values inside it quoted by its renderer), fed on stdin. */
  async script(text: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const runner = this.user !== 'root' && opts.sudo !== false ? 'sudo -n -- bash -s' : 'bash -s';
    return this.run(`${runner} <<'HALAB_EOF'\nset -euo pipefail\n${text}\nHALAB_EOF`, text.split('\n')[0] ?? 'script', opts);
  }

  private async run(command: string, shown: string, opts: ExecOptions): Promise<ExecResult> {
    const ok = opts.okCodes ?? [0];
    let timer: NodeJS.Timeout | undefined;
    const exec = this.ssh.execCommand(command, {
      noTrim: true,
      cwd: opts.cwd,
      stdin: opts.stdin,
      onStdout: opts.log ? (b) => b.toString().split('\n').filter(Boolean).forEach((l) => opts.log?.(l)) : undefined,
      onStderr: opts.log ? (b) => b.toString().split('\n').filter(Boolean).forEach((l) => opts.log?.(l)) : undefined,
    });
    const timeout = new Promise<never>((_, fail) => {
      const seconds = Math.round((opts.timeoutMs ?? 600_000) / 1000);
      timer = setTimeout(() => fail(new GuestError(`${this.name}: "${shown}" did not finish within ${seconds} s.`, 'command', undefined, catalogMsg('guest.timeout', { vm: this.name, command: shown, seconds }))), opts.timeoutMs ?? 600_000);
    });
    try {
      const r = await Promise.race([exec, timeout]);
      if (r.code === null && !r.signal) {
        // The channel closed without an exit status: the connection went away, the command's fate is unknown.
        throw new GuestError(`${this.name}: the SSH connection closed before "${shown.slice(0, 200)}" reported an exit status. Is the VM still running?`, 'unreachable', undefined, catalogMsg('guest.closed', { vm: this.name, command: shown.slice(0, 200) }));
      }
      const result = { stdout: r.stdout, stderr: r.stderr, code: r.code ?? 128 };
      if (!ok.includes(result.code)) {
        const tail = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-5).join('\n');
        throw new GuestError(`${this.name}: "${shown.slice(0, 200)}" failed with exit code ${result.code}${tail ? `:\n${tail}` : ''}`, 'command', { ...result, command: shown }, catalogMsg('guest.failed', { vm: this.name, command: shown.slice(0, 200), code: String(result.code), tail: tail ? `:\n${tail}` : '' }));
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** File content, or undefined when the file does not exist. */
  async readFile(path: string): Promise<string | undefined> {
    const r = await this.exec(['cat', '--', path], { okCodes: [0, 1] });
    return r.code === 0 ? r.stdout : undefined;
  }

  /**
   * Write a file if its content, mode or owner differ. The new content goes
   * to a `mktemp` name in the file's directory, gets its owner (`chown -h`)
   * and mode, and is renamed into place; the old file is kept as
   * `<path>.halab-prev`. Refuses a directory that any non-root user could
   * change (every component of its real path must be root's), so a planted
   * symlink or a renamed folder cannot redirect a root write. Returns whether
   * the file changed.
   */
  async writeFile(path: string, content: string, opts: { mode?: string; owner?: string } = {}): Promise<{ changed: boolean }> {
    if (!path.startsWith('/') || path.endsWith('/') || /(^|\/)\.\.?(\/|$)/.test(path)) throw new GuestError(`${this.name}: refusing to write "${path}": not a plain absolute file path.`, 'command', undefined, catalogMsg('guest.badPath', { vm: this.name, path }));
    const want = createHash('sha256').update(content).digest('hex');
    const mode = opts.mode ?? '0644';
    const owner = opts.owner ?? 'root:root';
    const probe = await this.exec(['sh', '-c', 'if [ -f "$1" ] && [ ! -L "$1" ]; then sha256sum -- "$1" | cut -d" " -f1; stat -c "%a %U:%G" -- "$1"; fi', 'sh', path]);
    const [have, meta] = probe.stdout.trim().split('\n');
    const modeNow = meta?.split(' ')[0]?.padStart(4, '0');
    if (have === want && modeNow === mode.padStart(4, '0') && meta?.split(' ')[1] === owner) return { changed: false };
    await this.exec(['sh', '-c', WRITE_SCRIPT, 'sh', path, mode, owner], { stdin: content });
    return { changed: true };
  }

  /**
   * Run a long-lived command (e.g. `tail -F`) and hand each output line to
   * `onLine` until it ends or `signal` aborts. Resolves when it has ended.
   */
  async stream(argv: string[], onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    const line = commandLine(argv);
    const full = this.user !== 'root' ? `sudo -n -- ${line}` : line;
    const conn = this.ssh.connection;
    if (!conn) throw new GuestError(`${this.name}: not connected.`, 'unreachable', undefined, catalogMsg('guest.notConnected', { vm: this.name }));
    await new Promise<void>((resolve) => {
      conn.exec(full, (err, channel) => {
        if (err) return resolve();
        let buf = '';
        const feed = (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          for (const p of parts) if (p) onLine(p);
        };
        channel.on('data', feed);
        channel.stderr.on('data', () => undefined);
        const stop = () => {
          channel.signal('KILL');
          channel.close();
        };
        signal.addEventListener('abort', stop, { once: true });
        channel.on('close', () => {
          signal.removeEventListener('abort', stop);
          resolve();
        });
        if (signal.aborted) stop();
      });
    });
  }

  /** Still connected (a VM that was powered off drops its connections). */
  isConnected(): boolean {
    return this.ssh.isConnected();
  }

  close(): void {
    this.ssh.dispose();
  }
}

/** The least time one connection attempt gets to open its first session, even near the deadline. */
const PROBE_MIN_MS = 8000;

/**
 * Wait before the next attempt while a VM boots: short at first, growing to
 * at most a second. A refused or unreachable attempt costs the guest nothing,
 * and a coarser poll (it grew to 3 s) left a booted VM idle for up to 3 s.
 */
export function retryDelay(attempt: number): number {
  return Math.min(1000, Math.round(200 * 1.5 ** (attempt - 1)));
}

/**
 * Connect with the lab key, retrying with backoff while the VM boots or a
 * login stalls, until `waitMs`. Ready means a first session has run. The
 * host key is pinned on first contact; a different key later stops with a
 * clear message (the VM was replaced, or something is impersonating it).
 */
export async function connectGuest(o: ConnectOptions): Promise<Guest> {
  const deadline = Date.now() + (o.waitMs ?? 120_000);
  const route = await checkGuestRoute(o.host, o.signal);
  if (!route.ok) throw new GuestError(`${o.name}: not connecting to ${o.host}: ${route.reason}. Lab traffic must stay on this computer: bring the lab's network up (VMware: the VMnet's host adapter; Linux lab: halab up), or check the VM's address.`, 'unreachable', undefined, catalogMsg('guest.route', { vm: o.name, host: o.host, reason: route.reason ?? '' }));
  const pinned = (await o.hostKeys.load())[o.name];
  let last = '';
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new GuestError(`${o.name}: canceled while connecting.`, 'canceled', undefined, catalogMsg('guest.canceled', { vm: o.name }));
    let seen: string | undefined;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: o.host,
        port: o.port ?? 22,
        username: o.user ?? 'root',
        privateKey: o.privateKey,
        readyTimeout: 8000,
        // A loaded guest can take tens of seconds to open a session (pam_systemd waiting on
        // user@0): tolerate a silent server for 60 s before calling the connection dead.
        keepaliveInterval: 5000,
        keepaliveCountMax: 12,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return pinned === undefined || pinned === seen;
        },
      } as Parameters<NodeSSH['connect']>[0]);
      // A VM that is powered off resets the connection later: that must not crash the process.
      ssh.connection?.on('error', (err: Error) => o.log?.(`${o.name}: SSH connection lost (${err.message})`));
      if (pinned === undefined && seen) await o.hostKeys.pin(o.name, seen);
      const guest = new Guest(o.name, o.host, ssh, o.user ?? 'root');
      // Authenticated is not usable yet: the first session (PAM, logind) is where a busy guest
      // stalls. Open one now, inside this retry loop and its deadline, not in the caller's step.
      // Any exit code of a caller's first command is its own business (kept only when 0): the session opened, that is what counts here.
      const okCodes = o.firstCommand ? Array.from({ length: 256 }, (_, i) => i) : [0];
      const first = await guest.exec(o.firstCommand ?? ['true'], { sudo: o.firstCommand ? undefined : false, okCodes, timeoutMs: Math.max(PROBE_MIN_MS, deadline - Date.now()) });
      if (o.firstCommand && first.code === 0) guest.firstResult = first;
      if (attempt > 1) o.log?.(`${o.name}: SSH is up at ${o.host} (attempt ${attempt})`);
      return guest;
    } catch (e) {
      ssh.dispose();
      const msg = (e as Error).message;
      if (pinned !== undefined && seen !== undefined && seen !== pinned) {
        throw new GuestError(
          `${o.name} (${o.host}) presented a different SSH host key (${seen}, pinned ${pinned}). The VM was re-created or something else answers at that address. If you re-created it on purpose, run "halab down" first (it forgets the old key); otherwise stop and check the network.`,
          'host-key-changed',
          undefined,
          catalogMsg('guest.hostKey', { vm: o.name, host: o.host, seen, pinned }),
        );
      }
      if (/authentication methods failed|All configured authentication/i.test(msg)) {
        throw new GuestError(`${o.name} (${o.host}) refused the lab's SSH key. The template must accept root (or the configured user) with the lab key; check ~/.ssh/authorized_keys in the guest.`, 'auth', undefined, catalogMsg('guest.auth', { vm: o.name, host: o.host }));
      }
      last = msg;
      const delay = retryDelay(attempt);
      if (Date.now() + delay > deadline) break;
      if (attempt === 1 || attempt % 5 === 0) o.log?.(`${o.name}: SSH to ${o.host} not ready (${msg}); retrying for up to ${Math.max(1, Math.round((deadline - Date.now()) / 1000))} s`);
      await sleep(delay, o.signal);
    }
  }
  const seconds = Math.round((o.waitMs ?? 120_000) / 1000);
  throw new GuestError(`${o.name}: SSH to ${o.host}:${o.port ?? 22} did not answer within ${seconds} s (last error: ${last}). Is the VM running and on that network?`, 'unreachable', undefined, catalogMsg('guest.noAnswer', { vm: o.name, host: o.host, port: o.port ?? 22, seconds, error: String(last) }));
}
