#!/usr/bin/env node
// `npm start`: the desktop app where it can run, the same app in a browser
// where it cannot.
// 1. Build (main, preload, renderer) if out/ is missing or older than the sources.
// 2. Electron's binary is not downloaded by `npm ci` (install scripts stay off);
//    fetch it now. Where that fails (no internet) or there is no display,
//    fall back to `halab serve` and print the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const built = join(root, 'out', 'renderer', 'index.html');
if (!existsSync(built) || newest(join(root, 'src-renderer')) > statSync(built).mtimeMs || newest(join(root, 'src-main')) > statSync(built).mtimeMs) {
  console.log('Building the app…');
  if (run('npm', ['run', 'build']) !== 0) process.exit(1);
}

function electronReady() {
  if (existsSync(join(root, 'node_modules', 'electron', 'path.txt'))) return true;
  console.log('Fetching the Electron runtime (first start only)…');
  return run('node', [join(root, 'node_modules', 'electron', 'install.js')], { stdio: 'ignore' }) === 0;
}

const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
if (hasDisplay && electronReady()) {
  const child = spawn('node', [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'preview', '--skipBuild'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(hasDisplay ? 'Electron could not be fetched (no internet?): starting the same app in your browser instead.' : 'No display here: starting the same app in your browser instead.');
  const child = spawn('node', [join(root, 'bin', 'halab.mjs'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
