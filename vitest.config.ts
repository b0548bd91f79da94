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
    // Test files share their worker's module graph instead of re-importing src/ for each of the
    // 90 files: npm test 232 s -> 144 s wall (CPU 344 s -> 235 s) on 2 cores. Tests keep no state
    // in shared modules (no vi.mock, no process.env writes); anything that must be fresh per file
    // (servers, temp folders, child processes) is made in the file's own hooks.
    isolate: false,
    fileParallelism: true,
    // Three workers on two cores: files that wait (time-compressed load, audit quiet periods,
    // backends starting) leave a core idle with two. 2026-12-04, 2 cores: 2 workers 73-74 s wall,
    // 3 workers 61-65 s, 4 workers 61 s; CPU the same (~106 s) in all three.
    maxWorkers: 3,
  },
});
