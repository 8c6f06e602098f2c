/**
 * The vmrun wrapper: `vmrun -T ws <command> …` through the one command
 * runner. Success only on exit 0; failures become VmrunError classified from
 * the `Error:` text on stdout. Mutating commands run one at a time per VM;
 * only read-only commands are retried (short backoff); `start` resolves when
 * vmrun exits, never waiting for pipes a GUI grandchild may hold.
 */
import { access, constants } from 'node:fs/promises';
import { CommandError, run, type RunOptions, type RunResult } from '../../exec/runner.js';
import type { FailureDetails } from '../types.js';
import { KeyedMutex } from './keyed-mutex.js';
import { classifyVmrunOutput, errorText, VmrunError } from './vmrun-errors.js';
import {
  parseGuestIpAddresses,
  parseHostNetworks,
  parseList,
  parseListSnapshots,
  parseToolsState,
  parseVariable,
  parseVmrunVersion,
  vmxPathKey,
  type HostNetwork,
  type ToolsState,
} from './vmrun-parsers.js';

/** Commands that change nothing and may be retried. */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'list',
  'listSnapshots',
  'getGuestIPAddress',
  'readVariable',
  'checkToolsState',
  'listHostNetworks',
  'listPortForwardings',
]);

export interface VmrunClientOptions {
  vmrunPath: string;
  hostType?: 'ws' | 'fusion' | 'player';
  /** Default per-call timeout (120 s, like GNS3). */
  timeoutMs?: number;
  /** Extra attempts for read-only commands (default 2). */
  retries?: number;
  /** First retry delay; doubles each time (default 300 ms). */
  retryDelayMs?: number;
  /** Replaceable for tests; defaults to the project's command runner. */
  runner?: (argv: string[], opts?: RunOptions) => Promise<RunResult>;
  platform?: NodeJS.Platform;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Do not write the `> vmrun …` log line (polling). */
  quiet?: boolean;
  /** Guest/encryption passwords to mask in logs. */
  secrets?: string[];
  /** Guest login for guest operations (`-gu/-gp`, placed before the command; the password is masked). */
  guestAuth?: { user: string; password: string };
  /** Extra attempts for a read-only command (default: the client's); 0 for callers that poll and retry themselves. */
  retries?: number;
}

/** Wait `ms`, or less when `signal` aborts; never leaves a listener on the signal behind. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Typed access to vmrun. One instance per vmrun binary; safe to share. */
export class VmrunClient {
  readonly vmrunPath: string;
  private readonly hostType: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly runner: (argv: string[], opts?: RunOptions) => Promise<RunResult>;
  private readonly platform: NodeJS.Platform;
  /** Per-VM serialization of mutating commands; exposed so the driver can group a sequence. */
  readonly locks = new KeyedMutex();
  private last: FailureDetails = {};

  constructor(opts: VmrunClientOptions) {
    this.vmrunPath = opts.vmrunPath;
    this.hostType = opts.hostType ?? 'ws';
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 300;
    this.runner = opts.runner ?? run;
    this.platform = opts.platform ?? process.platform;
  }

  /** The lock key of a VM (normalized .vmx path). */
  vmKey(vmx: string): string {
    return `vm:${vmxPathKey(vmx, this.platform)}`;
  }

  /** Run `fn` holding the VM's lock, so no other mutating command reaches that VM meanwhile. */
  withVm<T>(vmx: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(this.vmKey(vmx), fn);
  }

  /** The last command run and its last output lines (for error reports). */
  failureDetails(): FailureDetails {
    return { ...this.last };
  }

  /**
   * Run one vmrun command. `vmx` (when the command targets a VM) serializes
   * mutating commands per VM. Returns stdout with CRLF normalized.
   */
  async exec(command: string, args: string[], opts: CallOptions & { vmx?: string; resolveOnExit?: boolean } = {}): Promise<string> {
    const readOnly = READ_ONLY_COMMANDS.has(command);
    const once = () => this.execOnce(command, args, opts);
    const attempt = async (): Promise<string> => {
      for (let i = 0; ; i++) {
        try {
          return await once();
        } catch (e) {
          const retry = readOnly && e instanceof VmrunError && e.transient && i < (opts.retries ?? this.retries) && !opts.signal?.aborted;
          if (!retry) throw e;
          await sleep(this.retryDelayMs * 2 ** i, opts.signal);
        }
      }
    };
    if (readOnly || !opts.vmx) return attempt();
    return this.withVm(opts.vmx, attempt);
  }

  private async execOnce(command: string, args: string[], opts: CallOptions & { resolveOnExit?: boolean }): Promise<string> {
    const auth = opts.guestAuth ? ['-gu', opts.guestAuth.user, '-gp', opts.guestAuth.password] : [];
    const argv = [this.vmrunPath, '-T', this.hostType, ...auth, command, ...args];
    const secrets = [...(opts.secrets ?? []), ...argv.filter((_, i) => /^-(gp|vp)$/.test(argv[i - 1] ?? ''))];
    const shown = maskArgs(argv, secrets);
    this.last = { lastCommand: shown };
    try {
      const r = await this.runner(argv, {
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        signal: opts.signal,
        resolveOnExit: opts.resolveOnExit,
        quiet: opts.quiet,
        secrets,
      });
      const out = r.stdout.replace(/\r\n/g, '\n');
      this.last = { lastCommand: shown, lastOutput: tail(out) };
      return out;
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const output = `${e.stdout}\n${e.stderr}`.replace(/\r\n/g, '\n').trim();
      this.last = { lastCommand: shown, lastOutput: tail(output) };
      // Ctrl-C reaches vmrun (same process group) before our signal handler runs: a vmrun that
      // started and then died without an exit code was interrupted, not missing.
      if (e.reason === 'spawn' || e.reason === 'canceled') {
        if (e.reason === 'canceled' || opts.signal?.aborted || (await isExecutable(this.vmrunPath))) {
          throw new VmrunError(opts.signal?.aborted || e.reason === 'canceled' ? 'canceled' : 'vmrun was interrupted (stopped by a signal such as Ctrl-C)', 'aborted', shown, output, e.exitCode);
        }
      }
      throw commandToVmrunError(e, shown, output);
    }
  }

  /** Paths of running VMs (only those of the calling OS user). */
  async list(opts: CallOptions = {}): Promise<string[]> {
    return parseList(await this.exec('list', [], opts)).vmxPaths;
  }

  /** True when `vmx` appears in `vmrun list` (path compared like VMware does). */
  async isRunning(vmx: string, opts: CallOptions = {}): Promise<boolean> {
    const key = vmxPathKey(vmx, this.platform);
    return (await this.list(opts)).some((p) => vmxPathKey(p, this.platform) === key);
  }

  /** Power on; resolves when vmrun exits (pipes held by vmware.exe are not waited for). */
  async start(vmx: string, mode: 'gui' | 'nogui' = 'nogui', opts: CallOptions = {}): Promise<void> {
    await this.exec('start', [vmx, mode], { timeoutMs: 300_000, ...opts, vmx, resolveOnExit: true });
  }

  async stop(vmx: string, mode: 'soft' | 'hard', opts: CallOptions = {}): Promise<void> {
    await this.exec('stop', [vmx, mode], { ...opts, vmx });
  }

  async reset(vmx: string, mode: 'soft' | 'hard', opts: CallOptions = {}): Promise<void> {
    await this.exec('reset', [vmx, mode], { ...opts, vmx });
  }

  async suspend(vmx: string, mode: 'soft' | 'hard', opts: CallOptions = {}): Promise<void> {
    await this.exec('suspend', [vmx, mode], { ...opts, vmx });
  }

  async snapshot(vmx: string, name: string, opts: CallOptions = {}): Promise<void> {
    await this.exec('snapshot', [vmx, name], { ...opts, vmx });
  }

  async revertToSnapshot(vmx: string, name: string, opts: CallOptions = {}): Promise<void> {
    await this.exec('revertToSnapshot', [vmx, name], { ...opts, vmx });
  }

  async deleteSnapshot(vmx: string, name: string, opts: CallOptions & { andDeleteChildren?: boolean } = {}): Promise<void> {
    await this.exec('deleteSnapshot', [vmx, name, ...(opts.andDeleteChildren ? ['andDeleteChildren'] : [])], { ...opts, vmx });
  }

  async listSnapshots(vmx: string, opts: CallOptions = {}): Promise<string[]> {
    return parseListSnapshots(await this.exec('listSnapshots', [vmx], opts));
  }

  /** Clone `src` to `dst`. Linked clones need a snapshot of the source. Locks the source. */
  async clone(src: string, dst: string, kind: 'linked' | 'full', opts: CallOptions & { snapshot?: string; cloneName?: string } = {}): Promise<void> {
    const args = [src, dst, kind];
    if (opts.snapshot) args.push(`-snapshot=${opts.snapshot}`);
    if (opts.cloneName) args.push(`-cloneName=${opts.cloneName}`);
    await this.exec('clone', args, { timeoutMs: 600_000, ...opts, vmx: src });
  }

  async deleteVM(vmx: string, opts: CallOptions = {}): Promise<void> {
    await this.exec('deleteVM', [vmx], { ...opts, vmx });
  }

  async checkToolsState(vmx: string, opts: CallOptions = {}): Promise<ToolsState> {
    return parseToolsState(await this.exec('checkToolsState', [vmx], opts));
  }

  /** The guest's primary IPv4 addresses. With `wait`, blocks until Tools report one (bounded by the timeout). */
  async getGuestIPAddress(vmx: string, opts: CallOptions & { wait?: boolean } = {}): Promise<string[]> {
    return parseGuestIpAddresses(await this.exec('getGuestIPAddress', [vmx, ...(opts.wait ? ['-wait'] : [])], opts));
  }

  async readVariable(vmx: string, scope: 'runtimeConfig' | 'guestEnv' | 'guestVar', name: string, opts: CallOptions = {}): Promise<string> {
    return parseVariable(await this.exec('readVariable', [vmx, scope, name], opts));
  }

  async writeVariable(vmx: string, scope: 'runtimeConfig' | 'guestEnv' | 'guestVar', name: string, value: string, opts: CallOptions = {}): Promise<void> {
    await this.exec('writeVariable', [vmx, scope, name, value], { ...opts, vmx });
  }

  /** Plug (`connected`) or pull a NIC's virtual cable, e.g. device `ethernet1`. */
  async setDeviceConnected(vmx: string, device: string, connected: boolean, opts: CallOptions = {}): Promise<void> {
    await this.exec(connected ? 'connectNamedDevice' : 'disconnectNamedDevice', [vmx, device], { ...opts, vmx });
  }

  async listHostNetworks(opts: CallOptions = {}): Promise<HostNetwork[]> {
    return parseHostNetworks(await this.exec('listHostNetworks', [], opts));
  }

  /**
   * vmrun's version banner (run without arguments; the exit code is not
   * meaningful there, so only the text counts). Undefined when unrecognised.
   */
  async version(opts: CallOptions = {}): Promise<{ version: string; build?: string; banner: string } | undefined> {
    let text: string;
    try {
      const r = await this.runner([this.vmrunPath], { timeoutMs: opts.timeoutMs ?? 15_000, signal: opts.signal, quiet: opts.quiet, okExitCodes: [] });
      text = r.stdout;
    } catch (e) {
      if (!(e instanceof CommandError) || e.reason !== 'exit') throw commandToVmrunError(e, this.vmrunPath, '');
      text = `${e.stdout}\n${e.stderr}`;
    }
    const parsed = parseVmrunVersion(text);
    return parsed ? { ...parsed, banner: text.split(/\r?\n/)[0] ?? '' } : undefined;
  }
}

const isExecutable = (path: string): Promise<boolean> => access(path, constants.X_OK).then(() => true, () => false);

function tail(text: string, n = 10): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** The command as shown in logs: passwords after -gp/-vp and given secrets masked. */
export function maskArgs(argv: string[], secrets: string[] = []): string {
  return argv
    .map((a, i) => {
      if (i > 0 && /^-(gp|vp|p)$/.test(argv[i - 1] ?? '')) return '****';
      let s = a;
      for (const secret of secrets) if (secret) s = s.split(secret).join('****');
      return /\s/.test(s) || s === '' ? JSON.stringify(s) : s;
    })
    .join(' ');
}

function commandToVmrunError(e: unknown, shown: string, output: string): VmrunError {
  if (!(e instanceof CommandError)) return new VmrunError((e as Error)?.message ?? String(e), 'unknown', shown, output, undefined);
  switch (e.reason) {
    case 'not-found':
    case 'spawn':
      return new VmrunError(`vmrun could not be run (${e.message})`, 'vmrun-missing', shown, output, undefined);
    case 'timeout':
      return new VmrunError(e.message, 'timeout', shown, output, e.exitCode);
    case 'canceled':
      return new VmrunError('canceled', 'aborted', shown, output, e.exitCode);
    default: {
      const kind = classifyVmrunOutput(output);
      const words = errorText(output) || `vmrun exited with code ${e.exitCode}`;
      return new VmrunError(words, kind, shown, output, e.exitCode);
    }
  }
}
