/**
 * ScriptedGuestPool — a unit-test stand-in for OUR OWN SSH pool
 * (`GuestPool`, src-main/lab/guest-pool.ts). It implements only the small
 * `MonitorPool` interface that `LabMonitor` and the VIP probes use, and
 * answers their commands with recorded outputs a test chooses:
 *
 * - `exec`: a test's handler per command (`onExec`), else an empty success;
 *   a handler may return a promise to hold an answer back (a slow poll);
 * - `stream`: lines a test pushes (`line`), as keepalived's notify log or an
 *   error log would stream them; a stream starts with the log's last line
 *   when the test set one (`tail -n 1`);
 * - `setDown`: the VM stops answering (connections refused, its streams end).
 *
 * It is not a fake of VMware, of SSH or of the guests: nothing here pretends
 * to be a lab. It lets the monitor's own logic (judging holders, events,
 * snapshots and deltas) run at unit level without one.
 */
import type { ExecOptions, ExecResult } from '../../src-main/guest/guest';
import type { MonitorGuest, MonitorPool } from '../../src-main/monitor/lab-monitor';
import type { ResolvedLab } from '../../src-main/shared/blueprint/model';

export type ExecHandler = (vm: string, argv: string[], opts: ExecOptions) => ExecResult | Promise<ExecResult> | undefined;

interface OpenStream {
  vm: string;
  argv: string[];
  onLine: (l: string) => void;
  end: () => void;
}

export const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0 });

export class ScriptedGuestPool implements MonitorPool {
  /** Every command run, in order. */
  readonly calls: { vm: string; argv: string[]; at: number }[] = [];
  private readonly handlers: ExecHandler[] = [];
  private readonly down = new Set<string>();
  private readonly streams = new Set<OpenStream>();
  private readonly lastLines = new Map<string, string>();

  constructor(private readonly resolved: ResolvedLab) {}

  staticAddress(vm: string): string {
    const nic = this.resolved.nodes.find((n) => n.hostname === vm)?.nics[0];
    if (!nic) throw new Error(`${vm} is not a VM of this lab.`);
    return nic.address;
  }

  /** Answer commands: the first handler that returns something wins (newest first). */
  onExec(h: ExecHandler): void {
    this.handlers.unshift(h);
  }

  /** The VM stops (or starts again) answering; stopping ends its open streams. */
  setDown(vm: string, down = true): void {
    if (down) {
      this.down.add(vm);
      for (const s of [...this.streams]) if (s.vm === vm) s.end();
    } else this.down.delete(vm);
  }

  /** The last line of a streamed file (what `tail -n 1 -F` prints first on connecting). */
  setLastLine(vm: string, fileOrUnit: string, line: string): void {
    this.lastLines.set(`${vm} ${fileOrUnit}`, line);
  }

  /** Push a line to every open stream on `vm` whose command mentions `match`; how many streams got it. */
  line(vm: string, match: string, text: string): number {
    let n = 0;
    for (const s of this.streams) {
      if (s.vm === vm && s.argv.some((a) => a.includes(match))) {
        s.onLine(text);
        n++;
      }
    }
    return n;
  }

  /** Open streams on `vm` mentioning `match`. */
  streaming(vm: string, match: string): number {
    return [...this.streams].filter((s) => s.vm === vm && s.argv.some((a) => a.includes(match))).length;
  }

  async get(vm: string): Promise<MonitorGuest> {
    if (this.down.has(vm)) throw Object.assign(new Error(`${vm}: no answer (scripted: down)`), { code: 'unreachable' });
    const exec = async (argv: string[], opts: ExecOptions = {}): Promise<ExecResult> => {
      this.calls.push({ vm, argv, at: Date.now() });
      if (this.down.has(vm)) throw Object.assign(new Error(`${vm}: connection lost (scripted: down)`), { code: 'unreachable' });
      for (const h of this.handlers) {
        const r = h(vm, argv, opts);
        if (r) return r;
      }
      return ok();
    };
    const stream = (argv: string[], onLine: (l: string) => void, signal: AbortSignal): Promise<void> =>
      new Promise<void>((resolve) => {
        if (this.down.has(vm) || signal.aborted) return resolve();
        const s: OpenStream = {
          vm,
          argv,
          onLine,
          end: () => {
            this.streams.delete(s);
            signal.removeEventListener('abort', s.end);
            resolve();
          },
        };
        this.streams.add(s);
        signal.addEventListener('abort', s.end, { once: true });
        if (argv.includes('-n') && argv[argv.indexOf('-n') + 1] === '1') {
          const file = argv.at(-1) ?? '';
          const last = this.lastLines.get(`${vm} ${file}`);
          if (last !== undefined) queueMicrotask(() => this.streams.has(s) && onLine(last));
        }
      });
    return { exec, stream };
  }
}
