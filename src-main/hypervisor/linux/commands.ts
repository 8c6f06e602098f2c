/**
 * The provider's door to the command runner: passes the caller's log and
 * AbortSignal, and remembers the last command and its output for
 * `failureDetails()`.
 */
import { CommandError, run, type RunOptions, type RunResult } from '../../exec/runner';
import type { FailureDetails, OpOptions } from '../types';

/** Runs commands for one provider instance and keeps the failure details of the last one. */
export class Commands {
  private last: FailureDetails = {};

  /** Run one program (argv array). Rejects with the runner's CommandError. */
  async run(argv: string[], opts: OpOptions & Omit<RunOptions, 'signal'> = {}): Promise<RunResult> {
    const { log, ...runOpts } = opts;
    if (log && !opts.quiet) log(`> ${argv.join(' ')}`);
    try {
      const res = await run(argv, runOpts);
      if (!opts.quiet) this.last = { lastCommand: argv.join(' '), lastOutput: tail(`${res.stdout}\n${res.stderr}`) };
      return res;
    } catch (e) {
      if (e instanceof CommandError) this.last = { lastCommand: argv.join(' '), lastOutput: e.tail(10) || e.message };
      throw e;
    }
  }

  /** Like run() but resolves to undefined instead of rejecting when the program fails. */
  async tryRun(argv: string[], opts: OpOptions & Omit<RunOptions, 'signal'> = {}): Promise<RunResult | undefined> {
    try {
      return await this.run(argv, opts);
    } catch (e) {
      if (e instanceof CommandError && e.reason === 'canceled') throw e;
      return undefined;
    }
  }

  /** Record something that was not a command (a process that died early, a log tail). */
  note(details: FailureDetails): void {
    this.last = details;
  }

  /** Last command and its last output lines. */
  details(): FailureDetails {
    return { ...this.last };
  }
}

function tail(text: string, lines = 10): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
