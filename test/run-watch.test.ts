import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startCli, type RunningCli } from './helpers/cli.js';

let cli: RunningCli | undefined;
afterEach(async () => {
  await cli?.stop();
});

it('run --watch reruns the suite with fresh tokens when a watched file changes, and stops on Ctrl-C with 130', async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'run-watch-'));
  writeFileSync(path.join(cwd, 'backend.py'), 'v = 1\n');
  cli = startCli(['run', '--watch', '--watch-path', 'backend.py', '-t', 'create job valid-session-token', '--reporter', 'dot'], { cwd });
  await cli.waitFor(/watching backend\.py/, 30_000);
  writeFileSync(path.join(cwd, 'backend.py'), 'v = 2\n');
  const out = await cli.waitFor(/watching backend\.py[\s\S]*watching backend\.py/, 30_000);
  expect(out.match(/1 tests: 1 passed/g)).toHaveLength(2);
  const exit = await cli.stop('SIGINT');
  expect(exit.code).toBe(130); // interrupted, as any command stopped by Ctrl-C
  expect(cli.stderr()).not.toMatch(/internal error/);
}, 60_000);
