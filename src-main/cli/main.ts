/**
 * `halab`: the command line of HA Lab Studio. Same code as the desktop app
 * and web mode. Exit codes: 0 ok / valid, 1 invalid blueprint, 2 usage
 * error, 3 the operation failed.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { upCommand } from './commands/lab';
import type { serveCommand } from './commands/serve';
import { EXIT, style, UsageError } from './output';
import { VERSION } from './version';

export const HELP = `halab ${VERSION} — design, provision, watch and drill high-availability labs

Usage: halab <command> [options]

Blueprints
  validate FILE [--provider vmware|linux] [--json]
                                    Check a blueprint; every problem with line:column and a fix.
                                    The provider's own rules are errors (else warnings).
  plan FILE [--provider P] [--json] What would be built: VMs, VMnets, NICs, addresses, services, totals.
  export FILE [--format yaml|json] [--output OUT]
                                    Write the blueprint as YAML (comments kept) or JSON.
  graph FILE [--format mermaid|svg|png] [--output OUT] [--lang en|ko]
                                    The topology as a Mermaid flowchart, or as a picture (SVG, or PNG
                                    through headless Chromium) with VMs, addresses, VMnets, VIP, replication.
  report FILE [--lang en|ko] [--format html|md|pdf] [--output OUT]
                                    The document to hand in: topology, plan (IP table, resources), the last
                                    provisioning result and every drill report of the lab. PDF through
                                    headless Chromium (says so where there is none). Language: --lang,
                                    else LANG/LC_ALL.

Labs
  up FILE [--provider vmware|linux] [--stage vms|all] [--concurrency N] [--reconfigure-vmnet8]
         [--verbose] [--json]       Create the VMs and VMnets and provision the whole lab; idempotent,
                                    resumes after a crash; Ctrl-C cancels cleanly. --reconfigure-vmnet8:
                                    change the host's vmnet8 to the blueprint's NAT subnet (other VMs on
                                    vmnet8 are affected; "down" restores it). Run as your own user.
  down FILE [--provider vmware|linux]
                                    Destroy every VM and network the lab created.
  status FILE [--provider vmware|linux] [--json]
                                    VMs with power state and addresses.
  watch FILE [--once]               Live view: VIP owner, keepalived states, replication, VMs, events.
  drill FILE NAME [--json]          Run a failover drill under load and write a report. NAME is one of
                                    lb-master-down, lb-nginx-stop, lb-keepalived-stop, app-down,
                                    db-primary-down, split-brain, maintenance. --force-promotion:
                                    db-primary-down promotes even when rows would be lost.

VMware host
  doctor [FILE] [--provider vmware|linux] [--quick] [--json]
                                    Check this computer for labs, one line each (ok, warning, error) with
                                    what to do: vmrun, templates (a throwaway clone is booted to test
                                    open-vm-tools, cloud-init and SSH; --quick skips it), the right to
                                    change VMnets, and with FILE the lab's RAM and VMnet subnets.
                                    Exit code 0 when every line is ok, 1 otherwise.
  template create OS [--from FILE.ova|URL] [--json]
                                    Make a VMware template from Ubuntu's cloud image OVA (downloaded,
                                    or the file you give), convert it with ovftool, take its snapshot
                                    and record it in Settings. OS: ubuntu-22.04.

App
  serve [--port N] [--host ADDR] [--allow-remote]
                                    Run the app in a browser (127.0.0.1, random port, access token).

Options
  -h, --help                        This help (also: halab <command> --help).
  -v, --version                     Print the version.

Exit codes: 0 ok, 1 invalid blueprint, 2 usage error, 3 failed.
The provider is the one given, else the one the lab was created with, else VMware
if it is installed, else the Linux lab (Linux, as root).

Examples:
  halab validate lab-blueprints/vmware-3tier-ha.yaml
  halab plan lab-blueprints/vmware-3tier-ha.yaml --json
  sudo halab up lab-blueprints/vmware-3tier-ha.yaml --provider linux
`;

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
  validate: { usage: 'halab validate FILE [--provider vmware|linux] [--json]', options: { ...json, provider: { type: 'string' } }, positionals: 1, run: async ([f], fl) => (await blueprint()).validateCommand(f, fl as { json?: boolean; provider?: string }) },
  plan: { usage: 'halab plan FILE [--provider vmware|linux] [--json]', options: { ...json, provider: { type: 'string' } }, positionals: 1, run: async ([f], fl) => (await blueprint()).planCommand(f, fl as { json?: boolean; provider?: string }) },
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
    usage: 'halab up FILE [--provider vmware|linux] [--stage vms|all] [--concurrency N] [--reconfigure-vmnet8] [--verbose] [--json]',
    options: { provider: { type: 'string' }, stage: { type: 'string' }, concurrency: { type: 'string' }, 'reconfigure-vmnet8': { type: 'boolean' }, verbose: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: 1,
    run: async ([f], fl, signal) => (await lab()).upCommand(f, fl as Parameters<typeof upCommand>[1], signal),
  },
  down: { usage: 'halab down FILE [--provider vmware|linux]', options: { provider: { type: 'string' } }, positionals: 1, run: async ([f], fl, signal) => (await lab()).downCommand(f, fl as { provider?: string }, signal) },
  status: { usage: 'halab status FILE [--provider vmware|linux] [--json]', options: { provider: { type: 'string' }, json: { type: 'boolean' } }, positionals: 1, run: async ([f], fl) => (await lab()).statusCommand(f, fl as { provider?: string; json?: boolean }) },
  watch: { usage: 'halab watch FILE [--provider vmware|linux] [--once]', options: { provider: { type: 'string' }, once: { type: 'boolean' } }, positionals: 1, run: async ([f], fl, signal) => (await drills()).watchCommand(f, fl as { provider?: string; once?: boolean }, signal) },
  drill: {
    usage: 'halab drill FILE NAME [--provider vmware|linux] [--json] [--force-promotion]',
    options: { provider: { type: 'string' }, json: { type: 'boolean' }, 'force-promotion': { type: 'boolean' } },
    positionals: 2,
    run: async ([f, n], fl, signal) => (await drills()).drillCommand(f, n, fl as { json?: boolean; provider?: string; 'force-promotion'?: boolean }, signal),
  },
  doctor: {
    usage: 'halab doctor [FILE] [--provider vmware|linux] [--quick] [--json]',
    options: { provider: { type: 'string' }, quick: { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: 1,
    minPositionals: 0,
    run: async ([f], fl, signal) => (await import('./commands/doctor')).doctorCommand(f, fl as { provider?: string; quick?: boolean; json?: boolean }, signal),
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
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(HELP);
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
    process.stderr.write('\nCanceling… (press Ctrl-C again to force)\n');
    controller.abort();
  };
  try {
    if (!cmd) {
      const known = Object.keys(COMMANDS);
      const guess = known.find((k) => k.startsWith(name.slice(0, 3)));
      throw new UsageError(`Unknown command "${name}".${guess ? ` Did you mean "${guess}"?` : ''} Run "halab --help" for the list.`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`Usage: ${cmd.usage}\n`);
      return EXIT.ok;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${(e as Error).message.replace(/\. To specify.*$/s, '')}.\nUsage: ${cmd.usage}`);
    }
    if (parsed.positionals.length > cmd.positionals) throw new UsageError(`Too many arguments: ${parsed.positionals.slice(cmd.positionals).join(' ')}.\nUsage: ${cmd.usage}`);
    if (parsed.positionals.length < (cmd.minPositionals ?? cmd.positionals)) throw new UsageError(`Missing ${parsed.positionals.length === 0 ? 'FILE' : 'NAME'}.\nUsage: ${cmd.usage}`);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return await cmd.run(parsed.positionals, parsed.values as Flags, controller.signal);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${style.red('error:')} ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`${style.red('failed:')} ${(e as Error).message}\n`);
    if (process.env.HALAB_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
