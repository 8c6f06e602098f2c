#!/usr/bin/env node
// Adds up vitest JSON reports: each test file's duration (slowest first), then
// what failed, with its message (CI shows only the end of the output), then
// one closing line: "Tests: N passed, N failed".
// Exits 1 when a report is missing, a test failed, or nothing ran.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
const durations = [];
const failures = [];
/** The first `n` lines of a failure message, without colour codes. */
const head = (text, n) => {
  const lines = String(text ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  return lines.slice(0, n).join('\n') + (lines.length > n ? `\n… (${lines.length - n} more lines)` : '');
};
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`missing report: ${file} (that run crashed before reporting)`);
    missing++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += r.numPendingTests + r.numTodoTests;
  for (const suite of r.testResults) {
    durations.push({ name: suite.name.replace(`${process.cwd()}/`, ''), s: ((suite.endTime ?? 0) - (suite.startTime ?? 0)) / 1000 });
    // A file that failed with no failed test of its own: it did not run (an import error) or a
    // set-up hook failed and its tests were skipped. Either way it counts as a failure.
    if (suite.status === 'failed' && !suite.assertionResults.some((a) => a.status === 'failed')) {
      const what = suite.assertionResults.length ? `set-up failed, ${suite.assertionResults.length} tests skipped` : 'failed to run';
      failures.push(`suite ${what}: ${suite.name}:\n${head(suite.message, 40)}`);
      failed++;
    }
    for (const a of suite.assertionResults) {
      if (a.status === 'failed') failures.push(`failed: ${suite.name.replace(`${process.cwd()}/`, '')} > ${a.fullName}:\n${head((a.failureMessages ?? []).join('\n'), 15)}`);
    }
  }
}
console.log('Time in each test file (s, its tests; the console report above adds set-up hooks):');
for (const d of durations.sort((a, b) => b.s - a.s)) console.log(`${d.s.toFixed(1).padStart(8)}  ${d.name}`);
console.log(`Total: ${durations.reduce((t, d) => t + d.s, 0).toFixed(0)} s in test files`);
for (const f of failures) console.log(`\n${f}`);
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || missing || passed === 0 || skipped ? 1 : 0);
