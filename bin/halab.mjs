#!/usr/bin/env node
// The `halab` command. Runs the TypeScript sources through tsx, so the CLI
// is always the code in this checkout (no separate build step to forget).
import { register } from 'tsx/esm/api';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

register();
const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src-main', 'cli', 'main.ts');
const { runCli } = await import(pathToFileURL(main).href);
process.exitCode = await runCli(process.argv.slice(2));
