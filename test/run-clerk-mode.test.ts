/**
 * The runner against "real Clerk": the emulator behind a proxy that hides everything Clerk does not
 * have (its admin routes and marker header), so the harness cannot sign tokens the target trusts.
 * Cases that need such a signature must be skipped with their reason; "expired" must use a genuine
 * token minted early. The emulator's clock runs 50 s behind, so a 30 s token minted at the start is
 * already 20 s past exp while fresh 60 s tokens are still valid: no waiting.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import type { RunReport } from '../src/report/summary.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { runCli } from './helpers/cli.js';
import { startClerkLikeProxy, type ClerkLikeProxy } from './helpers/clerk-like-proxy.js';

let emulator: Emulator;
let clerkLike: ClerkLikeProxy;
let clerkUrl: string;
let target: ReferenceTarget;
const cwd = mkdtempSync(path.join(tmpdir(), 'run-clerk-'));

beforeAll(async () => {
  emulator = await startEmulator({ clockOffsetSeconds: -50 });
  clerkLike = await startClerkLikeProxy(emulator.url);
  clerkUrl = clerkLike.url;
  target = await startReferenceTarget({ apiUrl: emulator.url, secretKey: emulator.secretKey, auditDir: path.join(cwd, 'logs', 'audit') });
});

afterAll(async () => {
  await target?.stop();
  await clerkLike?.stop();
  await emulator?.stop();
});

it('skips what cannot be made honestly and ages a genuine token for "expired"', async () => {
  const res = await runCli(['run', '--target', target.url, '-t', ' (valid-session-token|expired-token|missing-exp|iat-in-future|signature-altered)$'], {
    cwd,
    env: { CLERK_API_URL: clerkUrl, CLERK_SECRET_KEY: emulator.secretKey },
    timeoutMs: 60_000,
  });
  expect(res.stderr).not.toMatch(/internal error/);
  const report = JSON.parse(readFileSync(path.join(cwd, 'reports', 'results.json'), 'utf8')) as RunReport;
  expect(report.mode).toBe('clerk');
  const by = (id: string) => report.results.find((r) => r.caseId === id)!;
  expect(by('valid-session-token').verdict).toBe('pass');
  expect(by('signature-altered').verdict).toBe('pass'); // made from a genuine token: possible in every mode
  for (const id of ['missing-exp', 'iat-in-future']) {
    expect(by(id).verdict).toBe('skip');
    expect(by(id).skipReason).toMatch(/signing key the target trusts.*emulator/);
  }
  const expired = by('expired-token');
  expect(expired.verdict, expired.message).toBe('pass');
  expect(expired.sent).toMatch(/genuine session token minted earlier, expired \d+s ago/);
  expect(res.stdout).toMatch(/SKIPPED\n\s+- (missing-exp, iat-in-future|iat-in-future, missing-exp): needs a signing key the target trusts/);
  expect(res.code).toBe(0);
});
