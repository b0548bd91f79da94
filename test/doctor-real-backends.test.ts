/**
 * Issue 9: doctor on real backends - every correct setup passes, every misconfiguration is named
 * first. Real loopback servers: the emulator (one per instance, one with its clock behind), the
 * reference target, a real Express app behind @clerk/express, and a service that answers 404.
 * The expectations come from the seeds and the libraries' documented behaviour.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { clerkMiddleware, getAuth } from '@clerk/express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEmulatorArgs } from '../src/cli/commands/emulator.js';
import { DIAGNOSTICS_DIR, loadDiagnostics } from '../src/doctor/data.js';
import { evaluateRules } from '../src/doctor/lib/rules.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { envText, runDoctorCli, startTarget, startWorld, writeBackendEnv, type DoctorRun, type World } from './doctor-e2e-helpers.js';

let world: World;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  world = await startWorld();
});
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});
afterAll(async () => {
  await world.stop();
});

async function target(options: Parameters<typeof startTarget>[1] = {}, w: World = world): Promise<ReferenceTarget> {
  const t = await startTarget(w, options);
  stops.push(() => t.stop());
  return t;
}

async function emulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const e = await startEmulator(options);
  stops.push(() => e.stop());
  return e;
}

/** An env file written "long ago": the server (this process) started after it last changed. */
async function writeOldEnv(values: Record<string, string | undefined>, w: World = world): Promise<string> {
  const file = path.join(w.dir, 'backend.env');
  await writeFile(file, envText(values));
  const past = new Date(Date.now() - 24 * 3600 * 1000);
  await utimes(file, past, past);
  return file;
}

function doctor(url: string, w: World = world, env?: Record<string, string>): Promise<DoctorRun> {
  return runDoctorCli(w, ['--env-file', 'backend.env', '--target', url, '--audit-dir', 'audit'], { env });
}

const check = (run: DoctorRun, id: string) => run.report!.checks.find((c) => c.id === id);
const causeIds = (run: DoctorRun) => run.report!.rootCauses.map((c) => c.id);
const failing = (run: DoctorRun) => JSON.stringify(run.report!.checks.filter((c) => c.status === 'fail' || c.status === 'warn'), null, 1);

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('1. the backend needs what its way of verifying reads, not what the harness needs', () => {
  it('a PyJWT-style backend with only CLERK_PEM_PUBLIC_KEY and CLERK_ISSUER passes: no CLERK_SECRET_KEY asked of it', async () => {
    const { issuer } = world.emulator;
    const pem = world.emulator.currentKey().publicPem;
    const t = await target({ jwtKey: pem, secretKey: undefined, issuer });
    await writeFile(path.join(world.dir, 'backend.env'), envText({ CLERK_ISSUER: issuer, CLERK_PEM_PUBLIC_KEY: pem }));
    const run = await doctor(t.url);
    expect(run.code, failing(run)).toBe(0);
    expect(check(run, 'env.required-keys')).toMatchObject({ status: 'pass', outcome: 'complete' });
    expect(check(run, 'env.required-keys')?.says).toMatch(/^verifies by networkless PEM .*: CLERK_PEM_PUBLIC_KEY present$/);
    expect(check(run, 'target.fresh-token')?.status).toBe('pass');
    expect(causeIds(run)).not.toContain('env-key-missing');
  });

  it('the harness without a secret key of its own: said as the harness\'s configuration, the backend\'s keys still pass', async () => {
    const { issuer } = world.emulator;
    const pem = world.emulator.currentKey().publicPem;
    await writeFile(path.join(world.dir, 'backend.env'), envText({ CLERK_ISSUER: issuer, CLERK_PEM_PUBLIC_KEY: pem }));
    const run = await runDoctorCli(world, ['--env-file', 'backend.env', '--only', 'env,clerk'], { env: { CLERK_SECRET_KEY: '' } });
    expect(check(run, 'env.required-keys')?.status).toBe('pass');
    expect(check(run, 'clerk.config')).toMatchObject({ status: 'warn', outcome: 'no-secret-key', cause: 'harness-secret-key-missing' });
    expect(check(run, 'clerk.config')?.says).toMatch(/^the harness itself has no CLERK_SECRET_KEY to mint test tokens with \(the backend may not need one\)/);
    expect(check(run, 'clerk.config')?.fix).toMatch(/give the harness a secret key .*The backend itself needs it only if it verifies with the secret key/);
    expect(run.code).toBe(0);
  });
});

describe('3. the variable the server names is the one quoted', () => {
  it('server says missing CLERK_PEM_PUBLIC_KEY, the file has only CLERK_JWT_KEY → that key is missing, not "env not loaded"', async () => {
    const t = await target({ flaws: ['env-not-loaded'] });
    await writeOldEnv({ ...world.emulator.env(), CLERK_PEM_PUBLIC_KEY: undefined });
    const run = await doctor(t.url);
    expect(run.code).toBe(1);
    const loaded = check(run, 'server.env-loaded')!;
    expect(loaded).toMatchObject({ status: 'fail', outcome: 'other-name-only', cause: 'env-key-missing' });
    expect(loaded.says).toBe('the server reports CLERK_PEM_PUBLIC_KEY missing; backend.env has it only as CLERK_JWT_KEY, a name this server does not read');
    expect(causeIds(run)[0]).toBe('env-key-missing');
    expect(causeIds(run)).not.toContain('env-not-loaded');
    expect(run.report!.rootCauses[0].fix).toMatch(/^add CLERK_PEM_PUBLIC_KEY to backend\.env/);
    expect(run.report!.rootCauses[0].checks).toEqual(expect.arrayContaining(['server.env-loaded', 'env.required-keys']));
  });
});

describe('4. evidence decides between "restart" and "another instance"', () => {
  it('env file and server from instance O, tokens from instance E, restart check passes → the token\'s key is not the backend\'s, no restart advice', async () => {
    const other = await emulator();
    const t = await startReferenceTarget({ jwtKey: other.currentKey().publicPem, auditDir: path.join(world.dir, 'audit') });
    stops.push(() => t.stop());
    await writeOldEnv(other.env());
    const run = await doctor(t.url);
    expect(run.code).toBe(1);
    expect(check(run, 'server.restart')).toMatchObject({ status: 'pass', outcome: 'started-after-change' });
    expect(check(run, 'keys.token-kid')).toMatchObject({ status: 'fail', outcome: 'absent' });
    expect(check(run, 'auth.cause')).toMatchObject({ outcome: 'kid-mismatch' });
    expect(causeIds(run)[0]).toBe('kid-mismatch');
    expect(causeIds(run)).not.toContain('server-old-key');
    expect(causeIds(run)).not.toContain('server-not-restarted');
    expect(run.report!.rootCauses[0].fix).not.toMatch(/^restart/);
  });

  it('the file\'s key is live, the server started after the file changed, yet rejects the signature → not "restart": it reads its key elsewhere', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const t = await target({ jwtKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(), secretKey: undefined });
    await writeOldEnv(world.emulator.env());
    const run = await doctor(t.url);
    expect(run.code).toBe(1);
    expect(check(run, 'keys.pem-matches-jwks')?.status).toBe('pass');
    expect(check(run, 'server.restart')?.outcome).toBe('started-after-change');
    expect(causeIds(run)[0]).toBe('server-key-elsewhere');
    expect(causeIds(run)).not.toContain('server-old-key');
  });
});

describe('5. clock skew is not "expired"', () => {
  it('the emulator\'s Date header is on its own (offset) clock', async () => {
    const skewed = await emulator({ clockOffsetSeconds: -120 });
    const res = await fetch(`${skewed.url}/.well-known/jwks.json`);
    const offset = (Date.parse(res.headers.get('date')!) - Date.now()) / 1000;
    expect(offset).toBeGreaterThan(-123);
    expect(offset).toBeLessThan(-117);
  });

  it('`emulator --clock-offset -120` is a negative offset, not an ambiguous flag', () => {
    expect(parseEmulatorArgs(['--clock-offset', '-120', '--port', '0']).values['clock-offset']).toBe('-120');
    expect(parseEmulatorArgs(['--clock-offset=-5']).values['clock-offset']).toBe('-5');
    expect(parseEmulatorArgs(['--clock-offset', '30']).values['clock-offset']).toBe('30');
  });

  it('issuer 2 min behind: a token minted a moment ago arrives expired → the clocks are named first, and Clerk\'s clock check catches it', async () => {
    const skewed = await emulator({ clockOffsetSeconds: -120 });
    const w: World = { emulator: skewed, dir: world.dir, stop: async () => {} };
    const t = await target({}, w);
    await writeOldEnv(skewed.env(), w);
    const run = await doctor(t.url, w);
    expect(run.code).toBe(1);
    expect(check(run, 'clerk.clock')).toMatchObject({ status: 'fail', outcome: 'far' });
    expect(check(run, 'clerk.clock')?.says).toMatch(/^local clock is 2 min ahead of Clerk's$/);
    expect(check(run, 'auth.cause')).toMatchObject({ outcome: 'server-clock-ahead' });
    expect(causeIds(run)[0]).toBe('server-clock-ahead');
    expect(causeIds(run)[0]).not.toBe('expired');
    expect(check(run, 'auth.cause')?.evidence.join('\n')).toMatch(/the harness minted it \d+ ms before the request, yet it arrived expired: the target's clock is 2 min ahead of the issuer's/);
    expect(check(run, 'target.fresh-token')?.says).toMatch(/with a fresh token \(minted \d+ ms before\)/);
    expect(run.report!.rootCauses[0].fix).toMatch(/sync the clocks .*differ by 2 min.*Minting again does not help/);
  });
});

describe('6. a 404 on the protected endpoint fails', () => {
  it('a service answering 404 everywhere (wrong port): exit 1, naming port, base path and method', async () => {
    const url = await listen(createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"detail":"Not Found"}');
    }));
    await writeBackendEnv(world);
    const run = await doctor(url);
    expect(run.code).toBe(1);
    expect(run.report!.ok).toBe(false);
    expect(check(run, 'target.no-token')).toMatchObject({ status: 'fail', outcome: 'not-found', cause: 'endpoint-not-found' });
    expect(check(run, 'target.no-token')?.says).toBe('POST /jobs without a token: 404 (and /health answered 404 too)');
    expect(causeIds(run)[0]).toBe('endpoint-not-found');
    const fix = run.report!.rootCauses[0].fix;
    expect(fix).toMatch(/port/);
    expect(fix).toMatch(/base path/);
    expect(fix).toMatch(/method/);
    expect(fix).toMatch(/tried POST \/jobs/);
  });
});

/** The slice of Express this test uses (the project ships no @types/express). */
interface ExpressResponse { status(code: number): ExpressResponse; json(body: unknown): void }
type Handler = (req: unknown, res: ExpressResponse) => void;
interface ExpressApp {
  (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void;
  use(handler: unknown): void;
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
}
async function loadExpress(): Promise<() => ExpressApp> {
  const specifier: string = 'express';
  return ((await import(specifier)) as { default: () => ExpressApp }).default;
}

describe('8. a malformed publishable key is not a missing one', () => {
  it('@clerk/express with an invalid CLERK_PUBLISHABLE_KEY answers 500 "Publishable key not valid" → publishable-key-invalid', async () => {
    const bad = 'pk_test_notvalid';
    const app = (await loadExpress())();
    app.use(clerkMiddleware({ publishableKey: bad, secretKey: world.emulator.secretKey, apiUrl: world.emulator.url }));
    app.post('/jobs', (req, res) => {
      if (!getAuth(req as Parameters<typeof getAuth>[0]).userId) return void res.status(401).json({ detail: 'Not authenticated' });
      res.status(201).json({ ok: true });
    });
    app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
    const url = await listen(createServer(app));
    await writeOldEnv({ ...world.emulator.env(), CLERK_PUBLISHABLE_KEY: bad });
    const run = await doctor(url);
    expect(run.code).toBe(1);
    expect(check(run, 'server.env-loaded')).toMatchObject({ status: 'fail', outcome: 'key-invalid', cause: 'publishable-key-invalid' });
    expect(check(run, 'server.env-loaded')?.says).toMatch(/^the server rejects CLERK_PUBLISHABLE_KEY as malformed: .*Publishable key not valid/);
    expect(causeIds(run)[0]).toBe('publishable-key-invalid');
    expect(causeIds(run)).not.toContain('env-not-loaded');
  });
});

describe('the reasoning for a refused fresh token is rules over named facts (diagnostics/auth-rules.yaml)', () => {
  const { authRules } = loadDiagnostics();
  const decide = (values: Record<string, string | boolean>) => evaluateRules(authRules, values)?.outcome;

  it.each([
    // [what the facts are, the outcome]
    [{ answer: 'signature-invalid', 'pem-live': true, 'token-key-in-backend': false, 'process-older-than-env': true }, 'kid-mismatch'],
    [{ answer: 'signature-invalid', 'pem-live': true, 'token-key-in-backend': true, 'process-older-than-env': true }, 'server-old-key'],
    [{ answer: 'signature-invalid', 'pem-live': true, 'token-key-in-backend': true, 'process-older-than-env': false }, 'server-key-elsewhere'],
    [{ answer: 'signature-invalid', 'pem-live': false }, 'pem-stale'],
    [{ answer: 'signature-invalid' }, 'signature'],
    [{ answer: 'expired', 'token-fresh': true, 'verifier-ahead-of-issuer': true }, 'server-clock-ahead'],
    [{ answer: 'expired', 'token-fresh': true, 'verifier-ahead-of-issuer': false }, 'expired'],
    [{ answer: 'nbf-future', 'verifier-behind-issuer': true }, 'nbf-future'],
    [{ answer: 'cause-hidden', 'audience-set': true }, 'aud-required'],
    [{ answer: 'none' }, 'unknown'],
    [{ answer: 'jwks-unreachable' }, 'matched'],
  ])('%j → %s', (values, outcome) => {
    expect(decide(values)).toBe(outcome);
  });

  it('every fact the rules read is measured by auth.cause, and every written fact comes from a check', async () => {
    const { measureFacts } = await import('../src/doctor/checks/auth-cause.js');
    const fresh = { method: 'POST', url: 'http://x/jobs', status: 401, headers: {}, body: '', sentAt: 1000, receivedAt: 1001, token: { token: 't', header: {}, claims: {}, receivedAt: 900 } };
    const { values } = measureFacts({ unavailable: {} }, fresh, undefined, [], authRules);
    expect(Object.keys(values).sort()).toEqual([...authRules.facts.keys()].sort());
  });

  async function editedCopy(edit: (files: { checks: string; rules: string }) => { checks: string; rules: string }): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-diag-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    await cp(DIAGNOSTICS_DIR, dir, { recursive: true });
    const files = { checks: await readFile(path.join(dir, 'checks.yaml'), 'utf8'), rules: await readFile(path.join(dir, 'auth-rules.yaml'), 'utf8') };
    const out = edit(files);
    await writeFile(path.join(dir, 'checks.yaml'), out.checks);
    await writeFile(path.join(dir, 'auth-rules.yaml'), out.rules);
    return dir;
  }

  it('loading fails when a rule reads a fact no check before auth.cause writes', async () => {
    // auth.cause no longer waits for server.restart: "process-older-than-env" would read nothing.
    const dir = await editedCopy(({ checks, rules }) => ({ checks: checks.replace('    after_if_run: [server.restart]\n', '').replace(', clerk-offset, server-process]', ', clerk-offset]'), rules }));
    expect(() => loadDiagnostics(dir)).toThrow(/auth-rules\.yaml: facts\.process-older-than-env: reads "server-process", which no check before auth\.cause writes \(server\.restart writes it/);
  });

  it('loading fails when a rule reads an undeclared fact, or names an outcome auth.cause does not have', async () => {
    const undeclared = await editedCopy(({ checks, rules }) => ({ checks, rules: rules.replace('when: { answer: none }', 'when: { answer: none, moon-phase: full }') }));
    expect(() => loadDiagnostics(undeclared)).toThrow(/rules\.nothing-said\.when: reads fact "moon-phase", which `facts:` does not declare/);
    const outcome = await editedCopy(({ checks, rules }) => ({ checks, rules: rules.replace('outcome: server-key-elsewhere', 'outcome: restart-everything') }));
    expect(() => loadDiagnostics(outcome)).toThrow(/"restart-everything" is not a verdict of auth\.cause/);
  });

  it('loading fails when a check reads a fact nothing it waits for writes', async () => {
    const dir = await editedCopy(({ checks, rules }) => ({ checks: checks.replace('    reads: [target-offset]\n', '    reads: [target-offset, server-process]\n'), rules }));
    expect(() => loadDiagnostics(dir)).toThrow(/checks\.yaml: target\.clock\.reads: fact "server-process" is written by no check target\.clock waits for \(written by server\.restart/);
  });
});
