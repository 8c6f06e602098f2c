/** `halab serve`: the app in a browser, on 127.0.0.1 with a per-run token. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend } from '../../backend/backend';
import { appRoot } from '../../backend/blueprint-files';
import { isLoopback, startWebServer, WebServerError } from '../../server/web-server';
import { onCommandLog } from '../../exec/runner';
import { UsageError } from '../output';
import { VERSION } from '../version';

export async function serveCommand(flags: { port?: string; host?: string; 'allow-remote'?: boolean; 'static-dir'?: string }, signal: AbortSignal): Promise<number> {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${flags.port}".`);
  const staticDir = flags['static-dir'] ?? join(appRoot(), 'out', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new UsageError(`The app is not built (${join(staticDir, 'index.html')} is missing). Run "npm run build" first.`);
  }
  const backend = createBackend({ mode: 'web', version: VERSION });
  const stopLogs = onCommandLog((line) => backend.events.emit('log:line', { at: Date.now(), source: 'command', line }));
  let server;
  try {
    server = await startWebServer({ backend, staticDir, host: flags.host, port, allowRemote: flags['allow-remote'] });
  } catch (e) {
    if (e instanceof WebServerError) throw new UsageError(e.message);
    throw e;
  }
  process.stdout.write(`HA Lab Studio is running at\n\n  ${server.url}\n\nOpen that address in a browser (it carries this run's access token). Press Ctrl-C to stop.\n`);
  if (flags['allow-remote'] && flags.host && !isLoopback(flags.host)) {
    process.stdout.write(`\nRemote access is on. The server answers only to the address it was started for (${flags.host}; for 0.0.0.0 or ::, this machine's own IP addresses): open it by that address, not by another name. The connection is plain HTTP, so anyone on the network path can read the token.\n`);
  }
  await new Promise<void>((ok) => signal.addEventListener('abort', () => ok(), { once: true }));
  stopLogs();
  await backend.close();
  await server.close();
  process.stdout.write('Stopped.\n');
  return 0;
}
