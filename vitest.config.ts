import { defineConfig } from 'vitest/config';

// The project's own tests. The auth suites that the harness runs against a target use their own
// vitest config (src/suite/vitest-config.ts), started through vitest's node API by `clerk-harness run`.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once per run when sources changed; the CLI tests spawn bin/clerk-harness.js.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
