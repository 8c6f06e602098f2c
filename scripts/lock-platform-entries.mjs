#!/usr/bin/env node
// The npm registry this project's machines reach does not serve rollup's
// prebuilt binaries for other platforms, so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock ("Missing: … from lock
// file"). This puts back lock entries for them, marked optional with their
// os/cpu/libc, exactly as npm writes them: on this platform npm skips them,
// on a user's Mac or Windows machine npm fetches the one it needs.
// Run after changing dependencies: node scripts/lock-platform-entries.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(import.meta.dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const CPU = { 'arm-eabi': 'arm', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };
let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const m = /^@rollup\/rollup-([a-z0-9]+)-(.+?)(?:-(gnu|musl|msvc))?$/.exec(dep);
    if (!m) continue;
    const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    if (pkgs[base] || pkgs[`node_modules/${dep}`]) continue;
    const [, os, cpuPart, abi] = m;
    const cpu = CPU[cpuPart];
    if (!cpu) throw new Error(`unknown cpu in ${dep}`);
    pkgs[`node_modules/${dep}`] = { version, cpu: [cpu], dev: meta.dev || undefined, license: 'MIT', optional: true, os: [os], ...(os === 'linux' && abi ? { libc: [abi === 'musl' ? 'musl' : 'glibc'] } : {}) };
    added++;
  }
}
// npm does not care about the order of entries; new ones go at the end.
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
