/**
 * vitest globalSetup: the CLI tests run `node bin/clerk-harness.js`, which loads dist/. Build it
 * once per test run, and only when some source is newer than the last build (a warm run costs a
 * directory walk, not a compile).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT = path.join(ROOT, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export function isBuildStale(): boolean {
  if (!existsSync(BUILT)) return true;
  const inputs = Math.max(
    newestMtime(path.join(ROOT, 'src')),
    ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(path.join(ROOT, f)).mtimeMs),
  );
  return inputs > statSync(BUILT).mtimeMs;
}

export default function setup(): void {
  if (!isBuildStale()) return;
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(BUILT)) {
    throw new Error(`npm run build failed, so the CLI tests cannot run:\n${result.stdout}${result.stderr}`);
  }
  if (result.status !== 0) {
    // tsc still emits on type errors; CLI tests run against that output and fail on real breakage.
    process.stderr.write(`[global-setup] build reported type errors (CLI tests use the emitted JS anyway):\n${result.stdout.split('\n').slice(0, 10).join('\n')}\n`);
  }
}
