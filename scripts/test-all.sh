#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`):
# machine set-up, type checks, lint, build, unit + integration tests (the
# Linux lab runs for real, as root), then the Playwright UI tests.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "set-up (packages, lab base image)"
bash scripts/setup-machine.sh

step "type check (node side, web side)"
npx tsc -p tsconfig.node.json --noEmit
npx tsc -p tsconfig.web.json --noEmit
npx tsc -p tsconfig.renderer-tests.json --noEmit

step "lint"
npx eslint .

step "build"
npm run build

mkdir -p test-results
rm -f test-results/vitest-*.json
status=0

step "unit tests"
npx vitest run tests/unit --reporter=default --reporter=json --outputFile.json=test-results/vitest-unit.json || status=1

# One real lab at a time: they share this machine's two cores.
step "integration tests (real Linux labs, fake vmrun)"
npx vitest run tests/integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=test-results/vitest-integration.json || status=1

step "UI tests (Playwright, Chromium)"
npx vitest run -c tests/e2e/vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json=test-results/vitest-e2e.json || status=1

step "summary"
node scripts/test-summary.mjs test-results/vitest-unit.json test-results/vitest-integration.json test-results/vitest-e2e.json || status=1
exit "$status"
