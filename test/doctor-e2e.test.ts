/**
 * doctor end to end: the emulator and the reference target in this process, one deliberate
 * misconfiguration per test (target flaws, broken env files), doctor run through the CLI's main().
 * Each must name the right root cause first and exit 1; a correct setup exits 0.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditFilePath } from '../src/target/audit-log.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { runDoctorCli, startTarget, startWorld, writeBackendEnv, type DoctorRun, type World } from './doctor-e2e-helpers.js';

let world: World;
const targets: ReferenceTarget[] = [];

beforeAll(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});
afterAll(async () => {
  await world.stop();
});

async function target(options: Parameters<typeof startTarget>[1] = {}, w: World = world): Promise<ReferenceTarget> {
  const t = await startTarget(w, options);
  targets.push(t);
  return t;
}

async function doctor(t: ReferenceTarget, extra: string[] = [], w: World = world): Promise<DoctorRun> {
  return runDoctorCli(w, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit', ...extra]);
}

const check = (run: DoctorRun, id: string) => run.report!.checks.find((c) => c.id === id);
const causeIds = (run: DoctorRun) => run.report!.rootCauses.map((c) => c.id);

/** Secrets of the world must never reach doctor's output. */
function expectRedacted(run: DoctorRun, w: World = world): void {
  expect(run.stdout).not.toContain(w.emulator.secretKey);
  expect(run.stdout).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/);
}

describe('doctor against the reference target', () => {
  it('a correct setup: every check passes or is n/a, exit 0', async () => {
    const t = await target();
    await writeBackendEnv(world);
    const run = await doctor(t);
    expect(run.code, JSON.stringify(run.report!.checks.filter((c) => c.status === 'fail'), null, 1)).toBe(0);
    expect(run.report!.ok).toBe(true);
    expect(run.report!.summary.fail).toBe(0);
    expect(check(run, 'target.fresh-token')?.status).toBe('pass');
    expect(check(run, 'keys.pem-matches-jwks')?.status).toBe('pass');
    expect(check(run, 'audit.entries')?.says).toMatch(/^the entry doctor's request wrote is schema-valid; attributed to user_/);
    expect(run.report!.rootCauses.filter((c) => c.score >= 50)).toEqual([]);
    expectRedacted(run);
  });

  it('--json: every skipped check carries skipReason, and summary counts agree with the checks array', async () => {
    const t = await target();
    await writeBackendEnv(world);
    const run = await doctor(t);
    const { checks, summary } = run.report!;
    const skipped = checks.filter((c) => c.status === 'skip');
    expect(skipped.length).toBeGreaterThan(1); // clerk.template (a skip verdict) and the unreached 500 branch at least
    for (const c of skipped) expect(c.skipReason, c.id).toEqual(expect.any(String));
    expect(check(run, 'clerk.template')).toMatchObject({ status: 'skip', shown: true, skipReason: 'no CLERK_JWT_TEMPLATE configured' });
    expect(check(run, 'server.env-loaded')).toMatchObject({ status: 'skip', shown: false, skipReason: expect.stringMatching(/^not reached/) });
    const shown = checks.filter((c) => c.shown);
    for (const status of ['pass', 'warn', 'fail', 'skip'] as const) expect(summary[status], status).toBe(shown.filter((c) => c.status === status).length);
    expect(summary.notReached).toBe(skipped.filter((c) => !c.shown).length);
    expect(summary.skip + summary.notReached).toBe(skipped.length);
    // The text says the same numbers; --verbose, which prints the unreached checks, counts them too.
    const text = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit'], { text: true });
    expect(text.stdout).toMatch(new RegExp(`${summary.pass} passed, ${summary.skip} skipped\\.$`, 'm'));
    const verbose = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit', '--verbose'], { text: true });
    expect(verbose.stdout).toMatch(new RegExp(`${summary.skip} skipped, ${summary.notReached} not reached\\.$`, 'm'));
  });

  it('env not loaded (500 "not configured", server started after the file changed) → env-not-loaded', async () => {
    const t = await target({ flaws: ['env-not-loaded'] });
    const file = await writeBackendEnv(world);
    // The file predates this process: the server read nothing although the file was there.
    const past = new Date(Date.now() - 24 * 3600 * 1000);
    await utimes(file, past, past);
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('env-not-loaded');
    expect(check(run, 'target.fresh-token')?.outcome).toBe('not-configured');
    expect(check(run, 'server.env-loaded')?.says).toMatch(/reports CLERK_PEM_PUBLIC_KEY missing, but backend.env has it/);
    expect(check(run, 'server.restart')?.outcome).toBe('started-after-change');
  });

  it('aud required (PyJWT-style verifier, CLERK_JWT_AUDIENCE set) → aud-required first, from the 401 and the env file, exit 1', async () => {
    const t = await target({ flaws: ['require-aud'], audience: 'my-api' });
    await writeBackendEnv(world, { CLERK_JWT_AUDIENCE: 'my-api' });
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('aud-required');
    expect(run.report!.rootCauses[0].checks).toEqual(expect.arrayContaining(['auth.cause', 'env.audience']));
    // The 401 is the failure; the env file's setting is the supporting warning.
    expect(check(run, 'auth.cause')).toMatchObject({ status: 'fail', outcome: 'aud-required' });
    expect(check(run, 'env.audience')).toMatchObject({ status: 'fail', outcome: 'set-for-session-tokens' });
    expect(check(run, 'env.audience')?.evidence.join('\n')).toMatch(/backend\.env:\d+ CLERK_JWT_AUDIENCE=my-api/);
  });

  it('env file: audience set - a failure unless the target proves it does not enforce it', async () => {
    await writeBackendEnv(world, { CLERK_JWT_AUDIENCE: 'my-api' });
    // 1. The target does not enforce it (a fresh session token without aud got 201): a warning
    //    that says so, exit 0, and no "the verifier requires aud" root cause - it does not.
    const lenient = await doctor(await target());
    expect(lenient.code).toBe(0);
    expect(check(lenient, 'target.fresh-token')?.status).toBe('pass');
    expect(check(lenient, 'env.audience')).toMatchObject({ status: 'warn', outcome: 'set-not-enforced' });
    expect(check(lenient, 'env.audience')?.says).toMatch(/CLERK_JWT_AUDIENCE=my-api is set, but the target accepted a fresh session token/);
    expect(causeIds(lenient)).not.toContain('aud-required');
    // 2. No target to ask (the broken env file on its own): the seeds' rule holds, aud-required
    //    first, exit 1.
    const envOnly = await runDoctorCli(world, ['--env-file', 'backend.env', '--only', 'env']);
    expect(envOnly.code).toBe(1);
    expect(check(envOnly, 'env.audience')).toMatchObject({ status: 'fail', outcome: 'set-for-session-tokens', cause: 'aud-required' });
    expect(causeIds(envOnly)[0]).toBe('aud-required');
    // 3. The target enforces it: the test above - aud-required first, exit 1.
  });

  it('email required → email-required', async () => {
    const t = await target({ flaws: ['require-email'] });
    await writeBackendEnv(world);
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('email-required');
    expect(check(run, 'auth.cause')?.evidence.join('\n')).toMatch(/the token has no email claim/);
  });

  it('server clock 120 s behind → clock skew named (nbf/iat in the future), with the skew measured', async () => {
    const t = await target({ clockOffsetSeconds: -120 });
    await writeBackendEnv(world);
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(['nbf-future', 'iat-future']).toContain(causeIds(run)[0]);
    expect(check(run, 'target.clock')?.says).toMatch(/target clock is 1\d\d s behind this machine's|target clock is 2 min behind/);
    expect(check(run, 'auth.cause')?.evidence.join('\n')).toMatch(/server clock: .* behind this machine's/);
  });

  it.each([-4, 3])('a server clock %i s off, within the verifier\'s skew: tokens accepted and the audit entry judged by the server\'s clock', async (seconds) => {
    const t = await target({ clockOffsetSeconds: seconds });
    await writeBackendEnv(world);
    const run = await doctor(t);
    expect(check(run, 'target.fresh-token')?.status).toBe('pass');
    expect(check(run, 'audit.entries')).toMatchObject({ status: 'pass', outcome: 'valid' });
    expect(run.code).toBe(0);
  });

  it('403 for a missing header (FastAPI < 0.122) → forbid-missing-header, with how to get 401', async () => {
    const t = await target({ flaws: ['forbid-missing-header'] });
    await writeBackendEnv(world);
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('forbid-missing-header');
    expect(check(run, 'target.no-token')?.evidence.join('\n')).toMatch(/before 0\.122\.0/);
    expect(run.report!.rootCauses[0].fix).toMatch(/FastAPI to >= 0\.122/);
    expect(check(run, 'target.fresh-token')?.status).toBe('pass');
  });
});

describe('doctor against a broken env file (correct target)', () => {
  const broken: Array<[string, Record<string, string | undefined>, string, RegExp]> = [
    // Nothing to verify with: no PEM, no JWKS URL, no secret key (a PEM alone would do: issue 9).
    ['no key to verify with', { CLERK_SECRET_KEY: undefined, CLERK_PEM_PUBLIC_KEY: undefined, CLERK_JWT_KEY: undefined, CLERK_JWKS_URL: undefined }, 'verifier-key-missing', /backend\.env holds no key to verify tokens with/],
    ['placeholder', { CLERK_SECRET_KEY: '<your-secret-key>' }, 'env-placeholder', /CLERK_SECRET_KEY contains an angle-bracket placeholder/],
    ['Markdown link', { CLERK_ISSUER: '[https://cuddly-cat-11.clerk.accounts.dev](https://cuddly-cat-11.clerk.accounts.dev)' }, 'env-markdown-link', /CLERK_ISSUER is a pasted Markdown link/],
    // One paste mistake is one finding: the link is not read as an audience too.
    ['Markdown link as the audience', { CLERK_JWT_AUDIENCE: '[my-api](https://x)' }, 'env-markdown-link', /CLERK_JWT_AUDIENCE is a pasted Markdown link/],
  ];
  it.each(broken)('%s → %s', async (_name, overrides, cause, line) => {
    const t = await target();
    await writeBackendEnv(world, overrides);
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe(cause);
    expect(run.report!.rootCauses[0].evidence.join('\n')).toMatch(line);
    expect(causeIds(run)).not.toContain('aud-required');
    expectRedacted(run);
  });

  it('a private key in a PEM variable ranks first, above real failures; the fix says remove and rotate; the key is never printed', async () => {
    const t = await target({ flaws: ['require-aud'], audience: 'my-api' });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeBackendEnv(world, { CLERK_PEM_PUBLIC_KEY: pem, CLERK_JWT_AUDIENCE: 'my-api' });
    const run = await doctor(t);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('pem-private-key');
    expect(causeIds(run)).toContain('aud-required');
    expect(run.report!.rootCauses[0].checks).toEqual(expect.arrayContaining(['env.formats', 'keys.pem']));
    expect(run.report!.rootCauses[0].fix).toMatch(/^remove CLERK_PEM_PUBLIC_KEY from backend\.env now and treat the key as leaked: rotate it/);
    const body = pem.split('\n')[5];
    expect(run.stdout).not.toContain(body);
    const text = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit'], { text: true });
    expect(text.stdout).toMatch(/^Root causes, most likely first\n {2}1\. a PRIVATE key is stored where the backend's public key belongs/m);
    expect(text.stdout).not.toContain(body);
  });

  it('the env file missing altogether → env-file-missing; the env checks are skipped with that reason', async () => {
    const t = await target();
    const run = await runDoctorCli(world, ['--env-file', 'nope.env', '--target', t.url, '--audit-dir', 'audit']);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('env-file-missing');
    expect(check(run, 'env.formats')).toMatchObject({ status: 'skip', skipReason: 'needs env-file: nope.env not found', shown: true });
  });
});

describe('stale key after a rotation, server not restarted', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(); // its own emulator: rotating must not disturb the other tests
  });
  afterAll(async () => {
    await w.stop();
  });

  it('env file still holds the old PEM → pem-stale (rotation explained), exit 1', async () => {
    const oldPem = w.emulator.currentKey().publicPem;
    const t = await target({ jwtKey: oldPem, secretKey: undefined }, w);
    await writeBackendEnv(w); // before the rotation: the old PEM
    await w.emulator.rotateKey();
    const run = await doctor(t, [], w);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('pem-stale');
    expect(check(run, 'keys.pem-matches-jwks')?.says).toMatch(/^CLERK_JWT_KEY and CLERK_PEM_PUBLIC_KEY: matches no key in the live JWKS .* rotated/);
    expect(check(run, 'auth.cause')?.outcome).toBe('pem-stale');
    expectRedacted(run, w);
  });

  it('CLERK_PEM_PUBLIC_KEY is live but CLERK_JWT_KEY (what the target reads) is stale → pem-stale naming CLERK_JWT_KEY, with the live key to paste', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const t = await target({ jwtKey: otherPem, secretKey: undefined }, w);
    await writeBackendEnv(w, { CLERK_JWT_KEY: otherPem }); // CLERK_PEM_PUBLIC_KEY stays the live key
    const run = await doctor(t, [], w);
    expect(run.code).toBe(1);
    expect(causeIds(run)[0]).toBe('pem-stale');
    // Not "the PEM IS the live key ... restart": a restart would change nothing.
    expect(causeIds(run)).not.toContain('server-old-key');
    expect(check(run, 'auth.cause')?.outcome).toBe('pem-stale');
    expect(check(run, 'auth.cause')?.evidence.join('\n')).toMatch(/the env file's CLERK_JWT_KEY matches no live key/);
    const match = check(run, 'keys.pem-matches-jwks')!;
    expect(match.says).toMatch(/^CLERK_JWT_KEY: matches no key in the live JWKS/);
    expect(match.evidence.join('\n')).toMatch(/CLERK_PEM_PUBLIC_KEY: n=\S+ - the live key ins_/);
    expect(match.evidence.join('\n')).toMatch(/CLERK_JWT_KEY and CLERK_PEM_PUBLIC_KEY hold different keys/);
    // The fix names the stale variable, who reads it, the restart, and the live key as a line to paste.
    const live = w.emulator.currentKey();
    const pasteLine = `CLERK_JWT_KEY="${live.publicPem.trim().replace(/\n/g, '\\n')}"`;
    const fix = run.report!.rootCauses[0].fix;
    expect(fix).toMatch(/^put the live key ins_\S+ into CLERK_JWT_KEY in backend\.env, then restart the server after editing the env file/);
    expect(fix).toMatch(/CLERK_JWT_KEY is read by @clerk\/backend, @clerk\/express/);
    expect(fix.split('\n')).toContain(pasteLine);
    expect(fix).not.toMatch(/CLERK_PEM_PUBLIC_KEY="/);
    // In text the line to paste stands on its own line under the root cause's fix, printed once.
    const text = await runDoctorCli(w, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit'], { text: true });
    expect(text.stdout).toContain(`\n          ${pasteLine}\n`);
    expect(text.stdout.split(pasteLine).length).toBe(2);
    expect(text.stdout).toMatch(/^ {6}fix: see root cause 1 below$/m);
  });

  it('env file updated to the new PEM but the server still runs with the old one → restart (mtime evidence)', async () => {
    const oldPem = w.emulator.currentKey().publicPem;
    const t = await target({ jwtKey: oldPem, secretKey: undefined }, w);
    await w.emulator.rotateKey();
    await writeBackendEnv(w); // the user pasted the new key, but did not restart the server
    const run = await doctor(t, [], w);
    expect(run.code).toBe(1);
    // The file's key is live, the process started before the file changed: restart (auth-rules.yaml).
    expect(causeIds(run)[0]).toBe('server-old-key');
    expect(check(run, 'auth.cause')?.evidence.join('\n')).toMatch(/rule signature-process-holds-old-key/);
    expect(check(run, 'keys.pem-matches-jwks')?.status).toBe('pass');
    const restart = check(run, 'server.restart')!;
    expect(restart).toMatchObject({ status: 'warn', outcome: 'changed-since-start' });
    expect(restart.evidence.join('\n')).toMatch(/pid \d+ listens on port \d+/);
    expect(restart.evidence.join('\n')).toMatch(/backend\.env last modified/);
    expect(run.report!.rootCauses[0].fix).toMatch(/^restart the server .*reload is not enough/);
  });
});

describe('audit: only what doctor\'s own request appended counts', () => {
  it('nothing written is reported as such: an older line near in time, or a bad old line, changes nothing', async () => {
    const auditDir = path.join(world.dir, 'audit-prev');
    const file = auditFilePath(auditDir, new Date());
    await mkdir(path.dirname(file), { recursive: true });
    // A previous run's success entry seconds ago (another user and iat), and a line that is not JSON.
    const previous = { event_id: '0b6f0d7e-0000-4000-8000-000000000001', event: 'job.created', outcome: 'success', timestamp: new Date().toISOString(), user_id: 'user_previousRun', token_iat: Math.floor(Date.now() / 1000) - 30 };
    await writeFile(file, `{not json\n${JSON.stringify(previous)}\n`);
    await writeBackendEnv(world);
    const silent = await target({ flaws: ['audit-none'], auditDir });
    const run = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', silent.url, '--audit-dir', 'audit-prev']);
    expect(run.code).toBe(1);
    const entries = check(run, 'audit.entries')!;
    expect(entries).toMatchObject({ status: 'fail', outcome: 'not-written', cause: 'audit-not-written' });
    expect(entries.says).toMatch(/^doctor's accepted request \(sub user_\S+, iat \d+\) wrote no audit entry$/);
    expect(entries.evidence.join('\n')).toMatch(/the log gained nothing/);
    expect(entries.evidence.join('\n')).toMatch(/the audit files did not grow during doctor's request/);
    // The same dir with a target that writes its line: the old bad line does not make it fail.
    const good = await target({ auditDir });
    const ok = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', good.url, '--audit-dir', 'audit-prev']);
    expect(check(ok, 'audit.entries')).toMatchObject({ status: 'pass', outcome: 'valid' });
  });

  it('a request that writes two lines is named as a duplicate', async () => {
    await writeBackendEnv(world);
    const t = await target({ flaws: ['audit-double'] });
    const run = await doctor(t);
    expect(check(run, 'audit.entries')).toMatchObject({ status: 'fail', outcome: 'duplicated', says: "doctor's one accepted request wrote 2 audit entries" });
  });
});

describe('doctor output', () => {
  it('text: one line per check with ✓ ! ✗, evidence and fix under failures, root cause, summary; --verbose adds details', async () => {
    const t = await target({ flaws: ['require-email'] });
    await writeBackendEnv(world);
    const run = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit'], { text: true });
    expect(run.code).toBe(1);
    const out = run.stdout;
    expect(out).toMatch(/^ {2}✓ env file backend\.env \(\d+ keys, changed .* ago\)$/m);
    expect(out).toMatch(/^ {2}✗ fresh token \(minted .* before\) got 401: JWT missing 'email' claim$/m);
    expect(out).toMatch(/^ {6}fix: make email optional/m);
    expect(out).toMatch(/^Root cause\n {2}1\. the backend requires an "email" claim/m);
    // The env file was written after this process (the server) started: server.restart warns.
    expect(out).toMatch(/^Doctor found problems: 2 failed, 1 warning, \d+ passed/m);
    expect(out).toMatch(/^ {2}! server pid \d+ started .* it runs with the settings from before that change$/m);
    // No evidence under passing checks without --verbose; with it, details appear.
    expect(out).not.toMatch(/^ {6}• keys: CLERK_API_URL/m);
    const verbose = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url, '--audit-dir', 'audit', '--verbose'], { text: true });
    expect(verbose.stdout).toMatch(/^ {6}• keys: CLERK_API_URL/m);
    expectRedacted(run);
    expectRedacted(verbose);
  });

  it('--only runs one check (prerequisites silently); an unreachable target downgrades its checks with the reason', async () => {
    await writeBackendEnv(world);
    const only = await runDoctorCli(world, ['--env-file', 'backend.env', '--only', 'keys.pem-matches-jwks']);
    expect(only.code).toBe(0);
    expect(only.report!.checks.filter((c) => c.shown).map((c) => c.id)).toEqual(['keys.pem-matches-jwks']);
    expect(only.report!.summary).toMatchObject({ pass: 1, warn: 0, fail: 0, skip: 0 });

    const down = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', 'http://127.0.0.1:9', '--only', 'target']);
    expect(down.code).toBe(1);
    expect(check(down, 'target.reachable')).toMatchObject({ status: 'fail', outcome: 'refused' });
    expect(causeIds(down)[0]).toBe('target-down');
    expect(check(down, 'target.fresh-token')).toMatchObject({ status: 'skip', shown: true, skipReason: expect.stringMatching(/needs target: http:\/\/127\.0\.0\.1:9 is not reachable: connection refused/) });
  });

  it('TLS to a plain-HTTP port: the error code and a plain explanation, no OpenSSL internals', async () => {
    const t = await target();
    const tls = await runDoctorCli(world, ['--env-file', 'backend.env', '--target', t.url.replace('http:', 'https:'), '--only', 'target.reachable'], { text: true });
    expect(tls.code).toBe(1);
    expect(tls.stdout).toMatch(/^ {2}✗ https:\/\/127\.0\.0\.1:\d+\/health: TLS handshake failed: the port speaks plain HTTP\? use http:\/\/ \(ERR_SSL_WRONG_VERSION_NUMBER\)$/m);
    expect(tls.stdout).not.toMatch(/ssl3_|\.c:\d+|SSL routines/);
    expect(tls.stdout).not.toMatch(/\n\s*\n\s*fix:/);
  });

  it('usage errors exit 2 with a one-line message', async () => {
    const bad = await runDoctorCli(world, ['--only', 'nope.check'], { text: true });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--only nope\.check: no such check or branch/);
    const endpoint = await runDoctorCli(world, ['--endpoint', 'POST jobs'], { text: true });
    expect(endpoint.code).toBe(2);
    expect(endpoint.stderr).toMatch(/--endpoint must look like "POST \/jobs"/);
    const list = await runDoctorCli(world, ['--list'], { text: true });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^server\.restart +the server was started after the env file's last change +\[needs env-file, local-process\]$/m);
  });
});
