/**
 * `run --list` and the checks `run` makes before anything starts (--reports), in-process: none of
 * these start vitest, the emulator or a target, and none sends a request.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callMain } from './helpers/main-in-process.js';
import { CATALOGUE } from '../src/cases/catalogue.js';
import { assertReportsDirUsable } from '../src/report/write.js';

function call(argv: string[], cwd: string, env: Record<string, string> = {}) {
  return callMain(argv, { cwd, env });
}

const dir = () => mkdtempSync(path.join(tmpdir(), 'run-list-'));

describe('run --list', () => {
  it('lists every endpoint × case of the default suite with skip reasons, and starts nothing', async () => {
    const r = await call(['run', '--list'], dir());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^clerk-harness run --list: reference target \(.*suites\/reference\.yaml\)\ntarget: the embedded reference target · tokens: emulator · nothing is sent\n/);
    // The catalogue on each of the 3 endpoints, plus the authorization cases of the two with access rules.
    const counted = /(\d+) tests on 3 endpoints: (\d+) would run, (\d+) skipped/.exec(r.stdout);
    expect(counted).not.toBeNull();
    expect(Number(counted![1])).toBeGreaterThan(CATALOGUE.length * 3);
    expect(r.stdout).toMatch(/\n {2}alg-none +rejected 401 +critical +alg "none" with no signature\n/);
    expect(r.stdout).toMatch(/\n {2}alg-none +rejected 401 +critical +as alice: alg "none" with no signature\n/);
    expect(r.stdout).toMatch(/\nread job — GET \/jobs\/\{job_id\}\n[\s\S]*\n {2}bola-read-other-user +rejected 404 +critical +as bob: bob reads alice's object\n/);
    expect(r.stdout).toMatch(/\n {2}member-calls-admin-route +rejected 403 +critical +as bob: bob \(org:member\) calls a route for org:admin\n/);
    expect(r.stdout).toMatch(/\n {2}azp-foreign [^\n]+\n {4,}skipped: the suite names no authorized_party/);
    expect(r.stdout).not.toMatch(/embedded default: Clerk emulator at/); // nothing was started
  });

  it('sends nothing to your target, honours -t, and says why cases skip against real Clerk', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const cwd = dir();
      writeFileSync(path.join(cwd, 'api.yaml'), 'name: api\naudit: false\ncases:\n  skip:\n    oversized-token: our proxy caps headers at 8 KB\nendpoints:\n  - method: GET\n    path: /me\n  - name: create\n    method: POST\n    path: /jobs\n');
      // CLERK_API_URL of real Clerk: cases needing the emulator's key are skipped, with the reason.
      const env = { CLERK_SECRET_KEY: 'sk_test_AbCdEfGhIjKlMnOpQrStUvWxYz012345', CLERK_API_URL: 'https://api.clerk.com' };
      const r = await call(['run', '--list', '--suite', 'api.yaml', '--target', url, '-t', '(expired-token|oversized-token|alg-none)$'], cwd, env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`target: ${url} · tokens: Clerk · nothing is sent`);
      expect(r.stdout).toContain('6 tests on 2 endpoints: 4 would run, 2 skipped');
      expect(r.stdout).toMatch(/\nGET \/me\n/);
      expect(r.stdout).toMatch(/\ncreate — POST \/jobs\n/);
      expect(r.stdout).toMatch(/oversized-token [^\n]+\n\s+skipped: our proxy caps headers at 8 KB/);
      expect(r.stdout).not.toContain('sk_test_AbCdEf');
      const json = await call(['run', '--list', '--json', '--suite', 'api.yaml', '--target', url], cwd, env);
      const doc = JSON.parse(json.stdout) as { format: string; mode: string; tests: Array<{ endpoint: string; caseId: string; skipReason?: string }> };
      expect(doc.format).toBe('clerk-harness/list@1');
      expect(doc.mode).toBe('clerk');
      expect(doc.tests).toHaveLength(2 * CATALOGUE.length);
      // Against real Clerk a genuine-but-forged-claims case needs the emulator's key: skipped with why.
      const missingExp = doc.tests.find((t) => t.endpoint === 'GET /me' && t.caseId === 'missing-exp')!;
      expect(missingExp.skipReason).toMatch(/emulator/);
      expect(requests).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a filter that matches nothing is a usage error', async () => {
    const r = await call(['run', '--list', '-t', 'no-such-case'], dir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no test matched the filter "no-such-case"/);
  });
});

describe('run --reports is checked before anything runs', () => {
  it.each([
    ['a file', (cwd: string) => (writeFileSync(path.join(cwd, 'out'), 'x'), 'out'), /--reports out: is a file, not a directory/],
    ['under a file', (cwd: string) => (writeFileSync(path.join(cwd, 'out'), 'x'), 'out/reports'), /--reports out\/reports: .*out is a file, not a directory/],
    ['under /proc', () => '/proc/self/reports', /--reports \/proc\/self\/reports: .* is under \/proc, a kernel file system/],
  ])('%s: one clear error, exit 2, no emulator started', async (_name, make, message) => {
    const cwd = dir();
    const r = await call(['run', '--reports', make(cwd)], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\n {2}fix: pass --reports with a directory you can write to/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.stderr).not.toMatch(/embedded default|\n\s+at /);
  });

  it('a directory that does not exist yet is fine: it is created when the reports are written', () => {
    const cwd = dir();
    expect(() => assertReportsDirUsable(path.join(cwd, 'ci', 'new', 'reports'))).not.toThrow();
    expect(existsSync(path.join(cwd, 'ci'))).toBe(false); // checking creates nothing
  });
});
