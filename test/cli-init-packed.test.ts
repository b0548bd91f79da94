/**
 * From zero to a suite as a user of the published package: `npm pack`, the tarball unpacked into an
 * empty project's node_modules (its dependencies linked, not downloaded), then `init` and `run`
 * with the installed binary. Catches a suite or body that only works inside this repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm pack` once for this file: the tarball a user installs, and the file list npm reports for it. */
let packed: { work: string; tarball: string; files: string[] } | undefined;
function pack(): { work: string; tarball: string; files: string[] } {
  if (packed) return packed;
  const work = mkdtempSync(path.join(tmpdir(), 'packed-'));
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = { work, tarball: path.join(work, info!.filename), files: info!.files.map((f) => f.path) };
  return packed;
}

function installPacked(): { project: string; bin: string } {
  const { work, tarball } = pack();
  const project = path.join(work, 'project');
  const pkg = path.join(project, 'node_modules', 'clerk-harness');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
  return { project, bin: path.join(pkg, 'bin', 'clerk-harness.js') };
}

function run(bin: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--', bin, ...args], { cwd, env: { PATH: process.env.PATH, NO_COLOR: '1', CLERK_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the packed package', () => {
  // (was package.test.ts's own `npm pack --dry-run`: the same list, from the one real pack here)
  it('packs the CLI, its data files and the built code, and nothing private', () => {
    const { files } = pack();
    for (const f of ['bin/clerk-harness.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/suite/auth.spec.js', 'suites/suite.schema.json', 'suites/reference.yaml', 'fixtures/audit.schema.json', 'fixtures/job.json', 'diagnostics/checks.yaml', 'README.md', 'package.json']) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(test|src|logs|reports)\//.test(f) || /\.env(\.local)?$/.test(f))).toEqual([]);
  }, 60_000);

  it('init in an empty folder, then run the suite it wrote', async () => {
    const { project, bin } = installPacked();
    expect(readFileSync(path.join(project, 'node_modules', 'clerk-harness', 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const init = await run(bin, ['init'], project);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const next = init.stdout.split('\n').filter((l) => l.trim().startsWith('npx clerk-harness'));
    expect(next).toHaveLength(2);
    // The two commands it printed, as printed (npx resolves to this binary).
    const list = await run(bin, next[0]!.trim().split('#')[0]!.trim().split(/\s+/).slice(2), project);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/35 would run, 2 skipped/);
    const res = await run(bin, next[1]!.trim().split('#')[0]!.trim().split(/\s+/).slice(2), project);
    expect(res.stderr).not.toMatch(/internal error|not found/);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/PASSED \(no finding at or above medium\)/);
    const report = JSON.parse(readFileSync(path.join(project, 'reports', 'results.json'), 'utf8')) as { suite: { file: string }; summary: { passed: number } };
    expect(report.suite.file).toBe('suites/my-api.yaml');
    expect(report.summary.passed).toBeGreaterThan(30);
  }, 120_000);
});
