/**
 * doctor's parts one at a time: env-file checks on real files, PEM parsing, the process lookup,
 * transport-failure naming, the tree/module registry, the executor, ranking and rendering.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paint } from '../src/cli/output.js';
import { envAudience } from '../src/doctor/checks/env-audience.js';
import { keysPem } from '../src/doctor/checks/keys-pem.js';
import { pemStaleFix } from '../src/doctor/checks/keys-match.js';
import { envFile } from '../src/doctor/checks/env-file.js';
import { envFormats } from '../src/doctor/checks/env-formats.js';
import { envGit } from '../src/doctor/checks/env-git.js';
import { envKeyMode } from '../src/doctor/checks/env-key-mode.js';
import { envPlaceholders, envRequiredKeys } from '../src/doctor/checks/env-values.js';
import { CHECK_MODULES } from '../src/doctor/checks/index.js';
import { loadDiagnostics } from '../src/doctor/data.js';
import { executeChecks, toResult } from '../src/doctor/executor.js';
import { httpExchange } from '../src/doctor/lib/http.js';
import { parsePem } from '../src/doctor/lib/pem.js';
import { findListeningProcess } from '../src/doctor/lib/proc.js';
import { rankCauses } from '../src/doctor/rank.js';
import { renderReport } from '../src/doctor/render.js';
import type { CheckContext, CheckModule, CheckResult, DoctorReport, Facts } from '../src/doctor/types.js';
import { envText } from './doctor-e2e-helpers.js';

const diagnostics = loadDiagnostics();
let dir: string;
const servers: Array<{ close(cb: () => void): void; closeAllConnections?: () => void }> = [];
const sockets: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-doctor-unit-'));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections?.(), s.close(() => r())))));
  await rm(dir, { recursive: true, force: true });
});

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function ctx(id: string, options: Partial<CheckContext['options']> = {}, cwd = dir): CheckContext {
  return {
    diagnostics,
    cwd,
    env: {},
    now: Date.now,
    tokenSource: () => Promise.reject(new Error('no token source in unit tests')),
    spec: diagnostics.tree.byId.get(id)!,
    options: { envFile: 'backend.env', probe: '/health', endpoint: { method: 'POST', path: '/jobs' }, auditDir: 'audit', timeoutMs: 2000, ...options },
  };
}

/** Write an env file and return the facts env.file gathers from it. */
async function envFacts(values: Record<string, string>, name = 'backend.env', where = dir): Promise<Facts> {
  await writeFile(path.join(where, name), envText(values));
  const out = await envFile.run(ctx('env.file', { envFile: name }, where), { unavailable: {} });
  expect(out.outcome).toBe('found');
  return { unavailable: {}, ...out.facts };
}

const GOOD = {
  CLERK_SECRET_KEY: 'sk_test_abcdefghijklmnop1234',
  CLERK_PUBLISHABLE_KEY: 'pk_test_Y3VkZGx5LWNhdC0xMS5jbGVyay5hY2NvdW50cy5kZXYk',
  CLERK_ISSUER: 'https://cuddly-cat-11.clerk.accounts.dev',
  CLERK_PEM_PUBLIC_KEY: PEM,
  CLERK_TEST_USER_ID: 'user_35KgiAcvIC0tdtFvJUN1vDkrNYc',
};

describe('env checks on real env files', () => {
  it('a good file passes every value check', async () => {
    const facts = await envFacts(GOOD);
    for (const m of [envRequiredKeys, envPlaceholders, envFormats, envAudience, envKeyMode]) {
      const out = await m.run(ctx(m.id), facts);
      expect(diagnostics.tree.byId.get(m.id)!.verdicts[out.outcome].status, `${m.id}: ${out.outcome}`).toBe('pass');
    }
  });

  it.each([
    ['a publishable key as the secret key', { CLERK_SECRET_KEY: 'pk_test_abcdefghijkl' }, /CLERK_SECRET_KEY is a publishable key/],
    ['a PEM cut off before END', { CLERK_PEM_PUBLIC_KEY: PEM.split('-----END')[0] }, /no "-----END PUBLIC KEY-----" line/],
    ['an http issuer on a real host', { CLERK_ISSUER: 'http://cuddly-cat-11.clerk.accounts.dev' }, /must be an https URL/],
    ['a user id that is not user_...', { CLERK_TEST_USER_ID: 'usr-123' }, /is not a Clerk user id/],
  ])('env.formats: %s', async (_n, override, message) => {
    const facts = await envFacts({ ...GOOD, ...override });
    const out = await envFormats.run(ctx('env.formats'), facts);
    expect(out.outcome).toBe('malformed');
    expect(out.evidence!.join('\n')).toMatch(/^backend\.env:\d+ /);
    expect(out.evidence!.join('\n')).toMatch(message);
  });

  it('env.formats and keys.pem: a private key in a PEM variable is a leaked secret (its own verdict and cause), never echoed', async () => {
    const facts = await envFacts({ ...GOOD, CLERK_JWT_KEY: PRIVATE_PEM });
    const formats = await envFormats.run(ctx('env.formats'), facts);
    expect(formats).toMatchObject({ outcome: 'private-key', vars: { key: 'CLERK_JWT_KEY' } });
    expect(formats.evidence).toEqual([expect.stringMatching(/^backend\.env:\d+ CLERK_JWT_KEY holds a -----BEGIN \.\.\. PRIVATE KEY----- block/)]);
    const pem = await keysPem.run(ctx('keys.pem'), facts);
    expect(pem).toMatchObject({ outcome: 'private-key', vars: { key: 'CLERK_JWT_KEY' } });
    const result = toResult(diagnostics.tree.byId.get('keys.pem')!, pem, diagnostics, 1);
    expect(result).toMatchObject({ status: 'fail', cause: 'pem-private-key' });
    expect(result.fix).toMatch(/^remove CLERK_JWT_KEY from backend\.env now and treat the key as leaked: rotate it/);
    expect(JSON.stringify([formats, pem, result])).not.toContain(PRIVATE_PEM.split('\n')[3]);
    // The leak is the verdict, but other format problems are not hidden behind it.
    const more = await envFormats.run(ctx('env.formats'), await envFacts({ ...GOOD, CLERK_JWT_KEY: PRIVATE_PEM, CLERK_SECRET_KEY: 'pk_test_notasecretkey123' }));
    expect(more.outcome).toBe('private-key');
    expect(more.evidence).toEqual(expect.arrayContaining([expect.stringMatching(/^also: backend\.env:\d+ CLERK_SECRET_KEY /)]));
  });

  it('keys.pem: newline mistakes are judged by who reads the variable; every PEM variable is parsed', async () => {
    const oneLine = await envFacts({ ...GOOD, CLERK_PEM_PUBLIC_KEY: PEM.trim().replace(/\n/g, '') });
    const out = await keysPem.run(ctx('keys.pem'), oneLine);
    expect(out).toMatchObject({ outcome: 'one-line', vars: { key: 'CLERK_PEM_PUBLIC_KEY' } });
    const r = toResult(diagnostics.tree.byId.get('keys.pem')!, out, diagnostics, 1);
    expect(r.status).toBe('fail');
    expect(r.says).toMatch(/^CLERK_PEM_PUBLIC_KEY is on one line: its newlines were lost .*PyJWT\/cryptography reject it/);
    expect(r.fix).toMatch(/write CLERK_PEM_PUBLIC_KEY with its line breaks back/);
    expect(`${r.says} ${r.fix}`).not.toMatch(/turn(s|ing)? \\n into newlines/);
    expect(out.facts?.pems?.map((p) => p.key)).toEqual(['CLERK_PEM_PUBLIC_KEY']); // still compared with the JWKS

    // Single quotes: dotenv keeps the \n escapes literally, as many env loaders do.
    await writeFile(path.join(dir, 'escaped.env'), `CLERK_PEM_PUBLIC_KEY='${PEM.trim().replace(/\n/g, '\\n')}'\n`);
    const escapedFacts = { unavailable: {}, ...(await envFile.run(ctx('env.file', { envFile: 'escaped.env' }), { unavailable: {} })).facts };
    const escaped = await keysPem.run(ctx('keys.pem'), escapedFacts);
    expect(escaped.outcome).toBe('escaped-only');
    expect(diagnostics.tree.byId.get('keys.pem')!.verdicts['escaped-only'].status).toBe('warn');

    // CLERK_JWT_KEY is read by Clerk's SDKs, which strip real newlines (a one-line key works, a
    // warning) but not literal \n (the key cannot verify anything, a failure).
    const both = await keysPem.run(ctx('keys.pem'), await envFacts({ ...GOOD, CLERK_JWT_KEY: PEM.trim().replace(/\n/g, '') }));
    expect(both).toMatchObject({ outcome: 'one-line-sdk', vars: { key: 'CLERK_JWT_KEY' } });
    expect(toResult(diagnostics.tree.byId.get('keys.pem')!, both, diagnostics, 1).status).toBe('warn');
    expect(both.facts?.pems?.map((p) => p.key)).toEqual(['CLERK_JWT_KEY', 'CLERK_PEM_PUBLIC_KEY']);
    await writeFile(path.join(dir, 'escaped-sdk.env'), `CLERK_JWT_KEY='${PEM.trim().replace(/\n/g, '\\n')}'\n`);
    const sdkFacts = { unavailable: {}, ...(await envFile.run(ctx('env.file', { envFile: 'escaped-sdk.env' }), { unavailable: {} })).facts };
    const sdk = await keysPem.run(ctx('keys.pem'), sdkFacts);
    expect(sdk.outcome).toBe('escaped-sdk');
    expect(toResult(diagnostics.tree.byId.get('keys.pem')!, sdk, diagnostics, 1)).toMatchObject({ status: 'fail', cause: 'pem-escaped-sdk' });
  });

  it('env.formats: the emulator\'s http://127.0.0.1 issuer is fine; a trailing slash is its own verdict', async () => {
    expect((await envFormats.run(ctx('env.formats'), await envFacts({ ...GOOD, CLERK_ISSUER: 'http://127.0.0.1:4600' }))).outcome).toBe('well-formed');
    const slash = await envFormats.run(ctx('env.formats'), await envFacts({ ...GOOD, CLERK_ISSUER: 'https://cuddly-cat-11.clerk.accounts.dev/' }));
    expect(slash.outcome).toBe('issuer-trailing-slash');
  });

  it('env.required-keys: no key to verify with names the empty key with its line', async () => {
    const { CLERK_PEM_PUBLIC_KEY: _pem, ...noPem } = GOOD;
    const facts = await envFacts({ ...noPem, CLERK_SECRET_KEY: '' });
    const out = await envRequiredKeys.run(ctx('env.required-keys'), facts);
    expect(out).toMatchObject({ outcome: 'no-key-source' });
    expect(out.evidence?.[0]).toBe('backend.env:1 CLERK_SECRET_KEY is empty');
  });

  it('env.required-keys asks only for what the backend\'s way of verifying reads (issue 9)', async () => {
    // A PyJWT backend with the PEM never reads CLERK_SECRET_KEY: the harness's need is not its need.
    const pemOnly = await envRequiredKeys.run(ctx('env.required-keys'), await envFacts({ CLERK_ISSUER: GOOD.CLERK_ISSUER, CLERK_PEM_PUBLIC_KEY: PEM }));
    expect(pemOnly).toMatchObject({ outcome: 'complete', vars: { keys: 'CLERK_PEM_PUBLIC_KEY', style: expect.stringMatching(/^networkless PEM/) } });
    const jwksUrl = await envRequiredKeys.run(ctx('env.required-keys'), await envFacts({ CLERK_JWKS_URL: 'https://cuddly-cat-11.clerk.accounts.dev/.well-known/jwks.json' }));
    expect(jwksUrl).toMatchObject({ outcome: 'complete', vars: { keys: 'CLERK_JWKS_URL', style: expect.stringMatching(/^JWKS URL/) } });
    const sdk = await envRequiredKeys.run(ctx('env.required-keys'), await envFacts({ CLERK_SECRET_KEY: GOOD.CLERK_SECRET_KEY }));
    expect(sdk).toMatchObject({ outcome: 'complete', vars: { keys: 'CLERK_SECRET_KEY', style: expect.stringMatching(/^@clerk\/backend with the secret key/) } });
    // The server names the variable it reads: that one, not an alias, is required.
    const facts = await envFacts({ CLERK_JWT_KEY: PEM });
    const answered = { ...facts, target: { url: 'http://127.0.0.1:1', failed500: { method: 'POST', url: 'http://127.0.0.1:1/jobs', status: 500, headers: {}, body: '{"detail":"CRITICAL: Authentication system not configured (missing CLERK_PEM_PUBLIC_KEY)"}', sentAt: 0, receivedAt: 0 } } };
    expect(await envRequiredKeys.run(ctx('env.required-keys'), answered)).toMatchObject({ outcome: 'missing', vars: { key: 'CLERK_PEM_PUBLIC_KEY' } });
  });

  it('env.placeholders: the seeds\' mistakes (angle brackets, your_..., Markdown links)', async () => {
    const facts = await envFacts({ ...GOOD, CLERK_TEST_USER_ID: '<ACTUAL_USER_ID>', CLERK_ISSUER: '[issuer](https://x.clerk.accounts.dev)' });
    const out = await envPlaceholders.run(ctx('env.placeholders'), facts);
    expect(out.outcome).toBe('markdown-link');
    expect(out.evidence).toEqual([expect.stringMatching(/^backend\.env:3 CLERK_ISSUER is a pasted Markdown link/), expect.stringMatching(/^backend\.env:5 CLERK_TEST_USER_ID contains an angle-bracket placeholder/)]);
  });

  it('env.key-mode: live and test keys mixed, in the file or between the file and the harness', async () => {
    const mixed = await envKeyMode.run(ctx('env.key-mode'), await envFacts({ ...GOOD, CLERK_PUBLISHABLE_KEY: 'pk_live_Y2xlcmsuZXhhbXBsZS5jb20k' }));
    expect(mixed).toMatchObject({ outcome: 'mixed', vars: { detail: 'backend.env mixes test and live keys' } });
    const facts = await envFacts(GOOD);
    facts.harness = { apiUrl: 'https://api.clerk.com', config: { clerkSecretKey: 'sk_live_abcdefghijkl1234' } as never };
    expect((await envKeyMode.run(ctx('env.key-mode'), facts)).vars?.detail).toBe('the backend uses test keys, the harness mints with a live key');
  });

  it('env.audience: set for session tokens fails unless the target proves otherwise; with a template configured it warns', async () => {
    const facts = await envFacts({ ...GOOD, CLERK_JWT_AUDIENCE: 'my-api' });
    const out = await envAudience.run(ctx('env.audience'), facts);
    expect(out.outcome).toBe('set-for-session-tokens');
    expect(diagnostics.tree.byId.get('env.audience')!.verdicts[out.outcome]).toMatchObject({ status: 'fail', cause: 'aud-required' });
    facts.harness = { apiUrl: 'x', config: { jwtTemplate: 'server-token' } as never };
    expect((await envAudience.run(ctx('env.audience'), facts)).outcome).toBe('set-with-template');
  });

  it('env.audience: a placeholder or Markdown link is not read as an audience (env.placeholders reports it)', async () => {
    const facts = await envFacts({ ...GOOD, CLERK_JWT_AUDIENCE: '[my-api](https://x)' });
    const out = await envAudience.run(ctx('env.audience'), facts);
    expect(out).toMatchObject({ outcome: 'not-interpreted', vars: { key: 'CLERK_JWT_AUDIENCE' } });
    const r = toResult(diagnostics.tree.byId.get('env.audience')!, out, diagnostics, 1);
    expect(r).toMatchObject({ status: 'skip', cause: undefined, skipReason: 'CLERK_JWT_AUDIENCE holds a placeholder or Markdown link, not an audience (env.placeholders reports it)' });
  });

  it('env.git: outside a repo, tracked, ignored, not ignored (real git)', async () => {
    const repo = await mkdtemp(path.join(dir, 'repo-'));
    expect((await envGit.run(ctx('env.git', {}, repo), await envFacts(GOOD, '.env.local', repo))).outcome).toBe('not-a-repo');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    expect((await envGit.run(ctx('env.git', {}, repo), await envFacts(GOOD, '.env.local', repo))).outcome).toBe('not-ignored');
    await writeFile(path.join(repo, '.gitignore'), '.env.local\n');
    expect((await envGit.run(ctx('env.git', {}, repo), await envFacts(GOOD, '.env.local', repo))).outcome).toBe('ignored');
    git('add', '-f', '.env.local');
    expect((await envGit.run(ctx('env.git', {}, repo), await envFacts(GOOD, '.env.local', repo))).outcome).toBe('tracked');
  });

  it('env.file: a missing file makes the env-file need unavailable with the reason', async () => {
    const out = await envFile.run(ctx('env.file', { envFile: 'nope.env' }), { unavailable: {} });
    expect(out).toMatchObject({ outcome: 'missing', facts: { unavailable: { 'env-file': 'nope.env not found' } } });
  });
});

describe('PEM values as backends store them', () => {
  it('real newlines, \\n escapes, one line, garbage', () => {
    expect(parsePem(PEM)).toMatchObject({ ok: true, bits: 2048, newlines: 'real newlines', repaired: undefined });
    expect(parsePem(PEM.trim().replace(/\n/g, '\\n'))).toMatchObject({ ok: true, newlines: 'escaped \\n', repaired: 'turning \\n into newlines' });
    expect(parsePem(PEM.trim().replace(/\n/g, ''))).toMatchObject({ ok: true, newlines: 'one line', repaired: 'restoring its newlines' });
    const lines = PEM.split('\n');
    lines[3] = lines[3].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')).replace(/.$/, '!');
    expect(parsePem(lines.join('\n'))).toMatchObject({ ok: false });
  });
});

describe('process lookup and transport failures (loopback only)', () => {
  async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as AddressInfo).port;
  }

  it('finds this process listening on a port, with its start time', async () => {
    const port = await listen(createHttpServer());
    const found = await findListeningProcess(port);
    expect(found.ok).toBe(true);
    if (!found.ok) return;
    expect(found.processes.map((p) => p.pid)).toContain(process.pid);
    const me = found.processes.find((p) => p.pid === process.pid)!;
    const started = performance.timeOrigin; // this process's start, by another clock
    expect(Math.abs(me.startedAtMs - started)).toBeLessThan(2000);
  });

  it('says why it cannot look: another platform, or nothing listening', async () => {
    expect(await findListeningProcess(1, { platform: 'darwin' })).toEqual({ ok: false, reason: expect.stringMatching(/Linux only/) });
    const port = await listen(createHttpServer());
    servers.pop()!.close(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect((await findListeningProcess(port)).ok).toBe(false);
  });

  it('names connection refused, TLS and timeout', async () => {
    const closed = await listen(createHttpServer());
    servers.pop()!.close(() => undefined);
    const refused = await httpExchange({ method: 'GET', url: `http://127.0.0.1:${closed}/`, timeoutMs: 2000 });
    expect(refused).toMatchObject({ ok: false, kind: 'refused', code: 'ECONNREFUSED' });
    const plain = await listen(createHttpServer((_q, s) => s.end('x')));
    const tls = await httpExchange({ method: 'GET', url: `https://127.0.0.1:${plain}/`, timeoutMs: 2000 });
    expect(tls).toMatchObject({ ok: false, kind: 'tls', error: 'TLS handshake failed: the port speaks plain HTTP? use http:// (ERR_SSL_WRONG_VERSION_NUMBER)' });
    const silent = await listen(createNetServer((socket) => void sockets.push(socket))); // accepts, never answers
    const timeout = await httpExchange({ method: 'GET', url: `http://127.0.0.1:${silent}/`, timeoutMs: 300 });
    expect(timeout).toMatchObject({ ok: false, kind: 'timeout' });
  });
});

describe('tree, executor, ranking, rendering', () => {
  it('every check in diagnostics/checks.yaml has a module, and every module a check', () => {
    expect([...CHECK_MODULES.keys()].sort()).toEqual(diagnostics.tree.checks.map((c) => c.id).sort());
  });

  it('every verdict cause and every message cause is defined; every cause is reachable from somewhere', () => {
    const used = new Set<string>();
    for (const c of diagnostics.tree.checks) for (const v of Object.values(c.verdicts)) if (v.cause) used.add(v.cause);
    for (const m of diagnostics.catalogue.messages) used.add(m.cause);
    for (const r of diagnostics.catalogue.clerkReasons) used.add(r.cause);
    for (const id of used) expect(diagnostics.causes.has(id), id).toBe(true);
    const unused = [...diagnostics.causes.keys()].filter((id) => !used.has(id));
    // Named by doctor explain itself when the input is a Clerk key instead of a token.
    expect(unused.sort()).toEqual(['key-as-bearer']);
  });

  it('runs independent checks in parallel and turns an unknown outcome into a failed check, not a crash', async () => {
    let releaseA!: () => void;
    const aStarted = new Promise<void>((r) => (releaseA = r));
    const modules = new Map<string, CheckModule>(CHECK_MODULES);
    // env.file and clerk.config are both roots: clerk.config only finishes once env.file has started.
    modules.set('env.file', { id: 'env.file', run: async () => (releaseA(), { outcome: 'missing', vars: { envFile: 'x.env' }, facts: { unavailable: { 'env-file': 'x.env not found' } } }) });
    modules.set('clerk.config', { id: 'clerk.config', run: async () => (await aStarted, { outcome: 'weird' }) });
    const results = await executeChecks({
      diagnostics,
      modules,
      context: { diagnostics, cwd: dir, env: {}, now: Date.now, tokenSource: () => Promise.reject(new Error('none')), options: ctx('env.file').options },
      facts: { unavailable: { target: 'no target URL' } },
      only: ['env.file', 'clerk.config'],
    });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get('env.file')).toMatchObject({ status: 'fail', cause: 'env-file-missing', says: 'env file x.env not found' });
    expect(byId.get('clerk.config')).toMatchObject({ status: 'fail', outcome: '(error)' });
    expect(byId.get('clerk.config')!.evidence[0]).toMatch(/returned outcome "weird", which diagnostics\/checks\.yaml does not list/);
  });

  const result = (id: string, status: CheckResult['status'], cause?: string): CheckResult => ({
    id, branch: id.split('.')[0], title: id, status, says: `${id} says`, evidence: [], details: [], cause, vars: {}, shown: true, durationMs: 1,
  });

  it('ranks specific causes over symptoms, adds support, drops minor warnings next to failures', () => {
    const ranked = rankCauses(
      [result('target.no-token', 'fail', 'server-error'), result('server.restart', 'fail', 'server-not-restarted'), result('server.env-loaded', 'fail', 'env-not-loaded'), result('env.git', 'warn', 'env-file-not-ignored')],
      diagnostics,
    );
    expect(ranked.map((c) => c.id)).toEqual(['server-not-restarted', 'env-not-loaded', 'server-error']);
    const supported = rankCauses([result('env.audience', 'fail', 'aud-required'), result('auth.cause', 'fail', 'aud-required'), result('keys.pem-matches-jwks', 'fail', 'pem-stale')], diagnostics);
    expect(supported[0]).toMatchObject({ id: 'aud-required', checks: ['auth.cause', 'env.audience'] });
    expect(rankCauses([result('env.git', 'warn', 'env-file-not-ignored')], diagnostics).map((c) => c.id)).toEqual(['env-file-not-ignored']);
    // A private key in the env file is a leaked secret: first, even from one check against the strongest others.
    const leaked = rankCauses(
      [result('target.no-token', 'fail', 'anonymous-accepted'), result('server.restart', 'fail', 'server-not-restarted'), result('env.audience', 'warn', 'aud-required'), result('auth.cause', 'fail', 'aud-required'), result('keys.pem', 'fail', 'pem-private-key')],
      diagnostics,
    );
    expect(leaked[0].id).toBe('pem-private-key');
    // Even when another cause gathers more support than its weight gap.
    const many = rankCauses([result('keys.pem', 'fail', 'pem-private-key'), ...['a', 'b', 'c'].map((x) => result(`target.${x}`, 'fail', 'anonymous-accepted'))], diagnostics);
    expect(many.map((c) => c.id)).toEqual(['pem-private-key', 'anonymous-accepted']);
  });

  it('renders ✓ ! ✗ in the colours of src/cli/output.ts, evidence and fix only under problems', () => {
    const report: DoctorReport = {
      schema: 'clerk-harness/doctor@1',
      ok: false,
      inputs: { envFile: '.env.local', probe: '/health', endpoint: 'POST /jobs', auditDir: 'logs/audit' },
      summary: { pass: 1, warn: 1, fail: 1, skip: 0, notReached: 0 },
      rootCauses: [{ id: 'pem-stale', title: 'the PEM is stale', fix: 'copy the key', score: 93, checks: ['keys.pem-matches-jwks'], evidence: [] }],
      checks: [
        { ...result('env.file', 'pass'), evidence: ['hidden evidence'], details: ['hidden detail'] },
        { ...result('env.git', 'warn', 'env-file-not-ignored'), evidence: ['git check-ignore: not ignored'], fix: 'add it' },
        { ...result('keys.pem-matches-jwks', 'fail', 'pem-stale'), evidence: ['PEM n=abc'], fix: 'copy the key' },
      ],
    };
    const plain = renderReport(report, { paint: paint(false), tree: diagnostics.tree });
    expect(plain).toMatch(/^ {2}✓ env\.file says$/m);
    expect(plain).not.toMatch(/hidden/);
    expect(plain).toMatch(/^ {2}! env\.git says\n {6}• git check-ignore: not ignored\n {6}fix: add it$/m);
    expect(plain).toMatch(/^ {2}✗ keys\.pem-matches-jwks says\n {6}• PEM n=abc\n {6}fix: copy the key$/m);
    expect(plain).toMatch(/^Root cause\n {2}1\. the PEM is stale\n {5}found by keys\.pem-matches-jwks\n {5}fix: copy the key$/m);
    expect(plain).toMatch(/^Doctor found problems: 1 failed, 1 warning, 1 passed\./m);
    const coloured = renderReport(report, { paint: paint(true), tree: diagnostics.tree });
    expect(coloured).toContain('\u001b[32m✓\u001b[39m');
    expect(coloured).toContain('\u001b[33m!\u001b[39m');
    expect(coloured).toContain('\u001b[31m✗\u001b[39m');
    expect(renderReport(report, { paint: paint(false), tree: diagnostics.tree, verbose: true })).toMatch(/hidden detail/);
  });
});

describe('pemStaleFix', () => {
  it('offers only RSA keys of the live JWKS as lines to paste, whatever else the JWKS holds', () => {
    const rsa = publicKey.export({ format: 'jwk' });
    const fix = pemStaleFix(['CLERK_JWT_KEY'], [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, { ...rsa, kid: 'ins_live' }], 'backend.env');
    expect(fix).toMatch(/restart the server after editing the env file/);
    expect(fix.match(/CLERK_JWT_KEY="-----BEGIN PUBLIC KEY-----/g)).toHaveLength(1);
    expect(fix).not.toContain('c2VjcmV0');
  });
});
