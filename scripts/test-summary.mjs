#!/usr/bin/env node
// Adds up vitest JSON reports and prints one closing line: "Tests: N passed, N failed".
// Exits 1 when a report is missing, a test failed, or nothing ran.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
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
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      console.log(`suite failed to run: ${suite.name}: ${suite.message.split('\n')[0]}`);
      failed++;
    }
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed || missing || passed === 0 || skipped ? 1 : 0);
