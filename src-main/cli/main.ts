/**
 * `halab`: the command line of HA Lab Studio. Same code as the desktop app
 * and web mode. Exit codes: 0 ok / valid, 1 invalid blueprint, 2 usage
 * error, 3 the operation failed.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { upCommand } from './commands/lab';
import type { serveCommand } from './commands/serve';
import { LanguageError, pickLang } from '../shared/i18n';
import { errorText } from '../shared/i18n/message-error';
import { cliLang, extractLangFlag, say, setCliLang } from './lang';
import { EXIT, style, UsageError } from './output';
import { VERSION } from './version';


type Flags = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes. */
  positionals: number;
  /** How many are required (default: all). */
  minPositionals?: number;
  run(args: string[], flags: Flags, signal: AbortSignal): Promise<number>;
}

const json = { json: { type: 'boolean' } } as const;

// Each command's module is loaded when it runs, so `halab validate` starts
// without loading SSH, the lab service or the web server.
const blueprint = () => import('./commands/blueprint');
const lab = () => import('./commands/lab');
const drills = () => import('./commands/drill');

const COMMANDS: Record<string, Command> = {
  validate: { usage: 'halab validate FILE [--provider vmware|linux|incus] [--json]', options: { ...json, provider: { type: 'string' } }, positionals: 1, run: async ([f], fl) => (await blueprint()).validateCommand(f, fl as { json?: boolean; provider?: string }) },
  plan: { usage: 'halab plan FILE [--provider vmware|linux|incus] [--json]', options: { ...json, provider: { type: 'string' } }, positionals: 1, run: async ([f], fl) => (await blueprint()).planCommand(f, fl as { json?: boolean; provider?: string }) },
  export: {
    usage: 'halab export FILE [--format yaml|json] [--output OUT]',
    options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' } },
    positionals: 1,
    run: async ([f], fl) => (await blueprint()).exportCommand(f, fl as { format?: string; output?: string }),
  },
  graph: {
    usage: 'halab graph FILE [--format mermaid|svg|png] [--output OUT] [--lang en|ko]',
    options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, lang: { type: 'string' } },
    positionals: 1,
    run: async ([f], fl) => (await blueprint()).graphCommand(f, fl as { format?: string; output?: string; lang?: string }),
  },
  report: {
    usage: 'halab report FILE [--lang en|ko] [--format html|md|pdf] [--output OUT]',
    options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, lang: { type: 'string' } },
    positionals: 1,
    run: async ([f], fl, signal) => (await import('./commands/report')).reportCommand(f, fl as { format?: string; output?: string; lang?: string }, signal),
  },
  up: {
    usage: 'halab up FILE [--provider vmware|linux|incus] [--stage vms|all] [--concurrency N] [--reconfigure-vmnet8] [--verbose] [--json]',
    options: { provider: { type: 'string' }, stage: { type: 'string' }, concurrency: { type: 'string' }, 'reconfigure-vmnet8': { type: 'boolean' }, verbose: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: 1,
    run: async ([f], fl, signal) => (await lab()).upCommand(f, fl as Parameters<typeof upCommand>[1], signal),
  },
  down: { usage: 'halab down FILE [--provider vmware|linux|incus]', options: { provider: { type: 'string' } }, positionals: 1, run: async ([f], fl, signal) => (await lab()).downCommand(f, fl as { provider?: string }, signal) },
  status: { usage: 'halab status FILE [--provider vmware|linux|incus] [--json]', options: { provider: { type: 'string' }, json: { type: 'boolean' } }, positionals: 1, run: async ([f], fl) => (await lab()).statusCommand(f, fl as { provider?: string; json?: boolean }) },
  watch: { usage: 'halab watch FILE [--provider vmware|linux|incus] [--once]', options: { provider: { type: 'string' }, once: { type: 'boolean' } }, positionals: 1, run: async ([f], fl, signal) => (await drills()).watchCommand(f, fl as { provider?: string; once?: boolean }, signal) },
  drill: {
    usage: 'halab drill FILE NAME [--provider vmware|linux|incus] [--json] [--force-promotion]',
    options: { provider: { type: 'string' }, json: { type: 'boolean' }, 'force-promotion': { type: 'boolean' } },
    positionals: 2,
    run: async ([f, n], fl, signal) => (await drills()).drillCommand(f, n, fl as { json?: boolean; provider?: string; 'force-promotion'?: boolean }, signal),
  },
  doctor: {
    usage: 'halab doctor [FILE] [--provider vmware|linux|incus] [--quick] [--json]',
    options: { provider: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: 1,
    minPositionals: 0,
    run: async ([f], fl, signal) => (await import('./commands/doctor')).doctorCommand(f, fl as { provider?: string; quick?: boolean; json?: boolean }, signal),
  },
  class: {
    usage: 'halab class up FILE --students N [--remote NAME] | class status [--json] | class down | class remote add NAME URL TOKEN',
    options: { students: { type: 'string' }, remote: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 5,
    minPositionals: 1,
    run: async ([sub, ...rest], fl, signal) => (await import('./commands/class')).classCommand(sub, rest, fl as { students?: string; remote?: string; json?: boolean }, signal),
  },
  template: {
    usage: 'halab template create OS [--from FILE.ova|URL] [--json]',
    options: { from: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 2,
    minPositionals: 0,
    run: async ([sub, os], fl, signal) => (await import('./commands/template')).templateCommand(sub, os, fl as { from?: string; json?: boolean }, signal),
  },
  serve: {
    usage: 'halab serve [--port N] [--host ADDR] [--allow-remote]',
    options: { port: { type: 'string', short: 'p' }, host: { type: 'string' }, 'allow-remote': { type: 'boolean' }, 'static-dir': { type: 'string' } },
    positionals: 0,
    run: async (_a, fl, signal) => (await import('./commands/serve')).serveCommand(fl as Parameters<typeof serveCommand>[0], signal),
  },
};

/** Register a command (later features add up/down/status/drill here). */
export function registerCommand(name: string, cmd: Command): void {
  COMMANDS[name] = cmd;
}

/** Run the CLI; returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  // --lang is global: taken out wherever it stands, before the command is parsed (graph and report get it back as their own flag).
  const { rest: args, flag: langFlag } = extractLangFlag(argv);
  try {
    setCliLang(pickLang(langFlag, process.env));
  } catch (e) {
    if (!(e instanceof LanguageError)) throw e;
    setCliLang(pickLang(undefined, process.env));
    process.stderr.write(`${style.red(say('cli.errorPrefix'))} ${say('lang.invalid', { value: JSON.stringify(langFlag) })}\n`);
    return EXIT.usage;
  }
  const [name, ...rest] = args;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(say('cli.help', { version: VERSION }));
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = COMMANDS[name];
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${say('cli.canceling')}\n`);
    controller.abort();
  };
  try {
    if (!cmd) {
      const known = Object.keys(COMMANDS);
      const guess = known.find((k) => k.startsWith(name.slice(0, 3)));
      throw new UsageError(guess ? say('cli.unknownCommandGuess', { name, guess }) : say('cli.unknownCommand', { name }));
    }
    const usage = say('cli.usage', { usage: cmd.usage });
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      // Node's own parseArgs message (English) names the option; the usage line follows in the chosen language.
      throw new UsageError(`${(e as Error).message.replace(/\. To specify.*$/s, '')}.\n${usage}`);
    }
    if (parsed.positionals.length > cmd.positionals) throw new UsageError(`${say('cli.tooManyArgs', { args: parsed.positionals.slice(cmd.positionals).join(' ') })}\n${usage}`);
    if (parsed.positionals.length < (cmd.minPositionals ?? cmd.positionals)) throw new UsageError(`${say(parsed.positionals.length === 0 ? 'cli.missingFile' : 'cli.missingName')}\n${usage}`);
    if (langFlag !== undefined && 'lang' in cmd.options) (parsed.values as Flags).lang = langFlag;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return await cmd.run(parsed.positionals, parsed.values as Flags, controller.signal);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${style.red(say('cli.errorPrefix'))} ${e.message}\n`);
      return EXIT.usage;
    }
    // A catalog message (a MessageError, a BackendError, a failed task's error) in the run's language; other errors as they are.
    process.stderr.write(`${style.red(say('cli.failedPrefix'))} ${errorText(e, cliLang())}\n`);
    if (process.env.HALAB_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
