/** `halab template create OS [--from FILE.ova|URL] [--json]`: a VMware template in one step. */
import { SettingsStore } from '../../backend/settings-store';
import { createTemplate, TemplateError, type TemplateProgress } from '../../hypervisor/vmware/template-create';
import { defaultDataDir, readHostSettings, templateVarFor } from '../../lab/host-settings';
import { EXIT, style, UsageError } from '../output';

/** Save `os → vmx` in the settings file (the other templates stay). */
export async function recordTemplate(dataDir: string, os: string, vmx: string): Promise<void> {
  const store = new SettingsStore(dataDir);
  const s = await store.get();
  await store.set({ templates: { ...(s.templates ?? {}), [os]: vmx } });
}

export async function templateCommand(sub: string | undefined, os: string | undefined, flags: { from?: string; json?: boolean }, signal: AbortSignal): Promise<number> {
  const usage = 'Usage: halab template create OS [--from FILE.ova|URL] [--json]   (OS: ubuntu-22.04)';
  if (sub === undefined) throw new UsageError(`Missing the template command.\n${usage}`);
  if (sub !== 'create') throw new UsageError(`Unknown template command "${sub}"; the only one is "create".\n${usage}`);
  if (os === undefined) throw new UsageError(`Missing OS.\n${usage}`);
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(os)) throw new UsageError(`"${os}" is not an OS name; use lower-case letters, digits, "." and "-", e.g. ubuntu-22.04.\n${usage}`);
  const settings = await readHostSettings();
  const dataDir = defaultDataDir();
  const tty = process.stderr.isTTY === true && !flags.json;
  let inPlace = false;
  const onProgress = (p: TemplateProgress) => {
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ type: 'progress', ...p })}\n`);
      return;
    }
    // Download progress rewrites one line on a terminal; everything else is a line of its own.
    const live = tty && p.step === 'download' && /\(\d+%\)$|MiB$/.test(p.line);
    if (live) {
      process.stderr.write(`\r\x1b[2K${p.line}`);
      inPlace = true;
      return;
    }
    if (inPlace) process.stderr.write('\n');
    inPlace = false;
    process.stderr.write(`${p.line}\n`);
  };
  try {
    const made = await createTemplate({
      os,
      ...(flags.from ? { from: flags.from } : {}),
      labsDir: settings.labsDir,
      ...(settings.vmrunPath ? { vmrunPath: settings.vmrunPath } : {}),
      signal,
      onProgress,
      record: (o, vmx) => recordTemplate(dataDir, o, vmx),
    });
    if (inPlace) process.stderr.write('\n');
    const envVar = templateVarFor(os);
    if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ok: true, ...made })}\n`);
    else {
      process.stderr.write(`${style.green('Template ready', process.stderr)}: ${os} → ${made.vmx} (snapshot "${made.snapshot}"), saved in ${dataDir}/settings.json.\n`);
      if (settings.overrides.includes(envVar)) process.stderr.write(style.yellow(`Note: ${envVar} is set in the environment and wins over Settings while it is set.\n`));
      process.stderr.write('Next: halab doctor FILE, then halab up FILE --provider vmware.\n');
    }
    return EXIT.ok;
  } catch (e) {
    if (inPlace) process.stderr.write('\n');
    if (!(e instanceof TemplateError)) throw e;
    if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ok: false, code: e.code, error: e.message, fix: e.fix })}\n`);
    else process.stderr.write(`${style.red(e.code === 'canceled' ? 'canceled:' : 'failed:')} ${e.message}\n${e.fix ? `  → ${e.fix}\n` : ''}`);
    return EXIT.failed;
  }
}
