import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// vitest strips types without checking them; this keeps `npm test` honest about src/ and test/.
it('type-checks the sources and the tests (tsc --noEmit, strict)', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  // Incremental: a warm run re-checks only what changed (about 3 s instead of 12-18 s on 2 cores);
  // a fresh clone pays the full check once. The build info lives beside the other caches, one per
  // checkout: worktrees that share one node_modules would otherwise force each other cold.
  const checkout = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
  const buildInfo = path.join(ROOT, 'node_modules', '.cache', 'clerk-harness', `typecheck-${checkout}.tsbuildinfo`);
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--incremental', '--tsBuildInfoFile', buildInfo], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120_000);
