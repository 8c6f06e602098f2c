import { defineConfig } from 'vitest/config';

// Playwright UI tests (playwright-core + Debian's Chromium) against web mode
// with the real backend. One file at a time: each test owns a browser.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    globalSetup: ['tests/e2e/support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
