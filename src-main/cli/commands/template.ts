/** `halab template create OS [--from FILE.ova|URL] [--json]`: a VMware template in one step. */
import { SettingsStore } from '../../backend/settings-store';
import { createTemplate, TemplateError, type TemplateProgress } from '../../hypervisor/vmware/template-create';
import { defaultDataDir, readHostSettings, templateVarFor } from '../../lab/host-settings';
import { EXIT, style, UsageError } from '../output';
import { say, sayMessage } from '../lang';
import { msg } from '../../shared/i18n';

/** Save `os → vmx` in the settings file (the other templates stay). */
export async function recordTemplate(dataDir: string, os: string, vmx: string): Promise<void> {
  const store = new SettingsStore(dataDir);
  const s = await store.get();
  await store.set({ templates: { ...(s.templates ?? {}), [os]: vmx } });
}

export async function templateCommand(sub: string | undefined, os: string | undefined, flags: { from?: string; json?: boolean }, signal: AbortSignal): Promise<number> {
  const usage = say('cli.tpl.usage');
  if (sub === undefined) throw new UsageError(`${say('cli.tpl.missingSub')}\n${usage}`);
  if (sub !== 'create') throw new UsageError(`${say('cli.tpl.unknownSub', { sub })}\n${usage}`);
  if (os === undefined) throw new UsageError(`${say('cli.tpl.missingOs')}\n${usage}`);
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(os)) throw new UsageError(`${say('cli.tpl.badOs', { os })}\n${usage}`);
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
    const line = p.lineMsg ? sayMessage(p.lineMsg) : p.line;
    const live = tty && p.step === 'download' && /\(\d+%\)$|MiB$/.test(p.line);
    if (live) {
      process.stderr.write(`\r\x1b[2K${line}`);
      inPlace = true;
      return;
    }
    if (inPlace) process.stderr.write('\n');
    inPlace = false;
    process.stderr.write(`${line}\n`);
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
      process.stderr.write(`${style.green(sayMessage(msg('cli.tpl.ready')), process.stderr)}: ${sayMessage(msg('cli.tpl.readyDetail', { os, vmx: made.vmx, snapshot: made.snapshot, path: `${dataDir}/settings.json` }))}\n`);
      if (settings.overrides.includes(envVar)) process.stderr.write(style.yellow(`${sayMessage(msg('cli.tpl.envWins', { name: envVar }))}\n`));
      process.stderr.write(`${sayMessage(msg('cli.tpl.next'))}\n`);
    }
    return EXIT.ok;
  } catch (e) {
    if (inPlace) process.stderr.write('\n');
    if (!(e instanceof TemplateError)) throw e;
    if (flags.json) process.stdout.write(`${JSON.stringify({ type: 'result', ok: false, code: e.code, error: e.message, fix: e.fix })}\n`);
    else {
      const what = e.msg ? sayMessage(e.msg) : e.message;
      const fix = e.fixMsg ? sayMessage(e.fixMsg) : e.fix;
      process.stderr.write(`${style.red(sayMessage(msg(e.code === 'canceled' ? 'cli.tpl.canceled' : 'cli.tpl.failed')))} ${what}\n${fix ? `  → ${fix}\n` : ''}`);
    }
    return EXIT.failed;
  }
}
