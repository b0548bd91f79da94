/**
 * Issue 14, "Tests that must exist": a secret scan over the output of every command, in normal
 * and in failing runs. Everything a command prints (stdout, stderr) and every file it leaves under
 * its reports folder is searched for
 *   - the secret key of the emulator in use (and a wrong one a user configured), or any
 *     unredacted sk_test_/sk_live_ key at all;
 *   - any line of a PEM private key: the emulator's signing key, a key planted by a careless
 *     backend, or any "-----BEGIN … PRIVATE KEY-----" armour;
 *   - any session JWT minted during the run: an eyJ….eyJ….<signature> string whose signature
 *     verifies against the emulators' keys, or that is one of the tokens the test minted.
 *
 * Secrets are planted where a careless backend would echo them: a target whose 401 body and
 * WWW-Authenticate header echo the Authorization header, with the secret key and a private key in
 * the body; audit lines carrying the token, the secret key and the PEM; a JWT template whose
 * claims carry the secret key and the PEM; a backend env file with the PRIVATE key pasted where
 * the public one belongs; audit lines to validate whose bad fields hold a token, a key and a PEM.
 *
 * Intentional outputs are exempt, and nothing else (see EXEMPT): what `mint` prints on stdout
 * (the token is what it is for), what `tokens serve` answers on GET /token, and the files a user
 * asked to be written with a secret (`mint --persist FILE`, `emulator --write-env FILE`).
 * (`emulator` without --write-env prints its own test secret key in the env block on purpose,
 * README "Reports"; it is run here only with --write-env, where stdout must not carry it.)
 *
 * One emulator is shared by every scenario (in-process); the commands that stay up until a
 * signal (run, emulator, target, tokens serve) are spawned from bin/clerk-harness.js, and start
 * in beforeAll so they overlap with the in-process ones.
 */
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { redact } from '../src/redact.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget } from '../src/target/types.js';
import { runCli, startCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';
import { envText } from './doctor-e2e-helpers.js';

/** What is allowed to carry a secret, and why. Everything else is scanned. */
const EXEMPT = {
  mintStdout: '`mint` prints the token on stdout: that is what it was asked for',
  tokensServeToken: '`tokens serve` hands out tokens on GET /token: that is its job',
  requestedFiles: 'the file named by `mint --persist FILE` / `emulator --write-env FILE`: the user asked for the secret to go there',
} as const;

const SK = `sk_test_scan${'K7'.repeat(20)}`;
const WRONG_SK = `sk_test_wrong${'W3'.repeat(20)}`;
/** A private key a careless backend echoes and a careless user pastes. */
const PLANTED_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const LEAKY_TEMPLATE = 'leaky';

/* ─────────────────────────────────────────── the scan ─────────────────────────────────────── */

interface Output {
  /** "run (careless target) reports/junit.xml", "doctor --json stdout"... */
  where: string;
  text: string;
}

const minted = new Set<string>();
const privatePems: string[] = [PLANTED_PEM];
const jwks: JSONWebKeySet = { keys: [] };
/** Scans of runs whose emulator the test cannot see: there any JWT-shaped string counts. */
const STRICT = new Set<string>();

const JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}/g;
const ANY_SECRET_KEY = /(sk|rk)_(test|live)_[A-Za-z0-9]{8,}/g;
const PRIVATE_ARMOUR = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** The lines of a PEM worth looking for: the armour and every base64 line (and its first 24 characters). */
function pemNeedles(pem: string): string[] {
  const lines = pem.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('-----'));
  return [...lines, ...lines.map((l) => l.slice(0, 24))];
}

async function isSessionToken(candidate: string): Promise<boolean> {
  if ([...minted].some((t) => t === candidate)) return true;
  try {
    decodeProtectedHeader(candidate);
    await compactVerify(candidate, createLocalJWKSet(jwks));
    return true;
  } catch {
    return false;
  }
}

/** Every secret found in one output, described (empty: clean). */
async function leaksIn(output: Output): Promise<string[]> {
  const { text, where } = output;
  const found: string[] = [];
  for (const key of [SK, WRONG_SK]) if (text.includes(key)) found.push(`${where}: the secret key ${key.slice(0, 12)}…`);
  for (const m of text.matchAll(ANY_SECRET_KEY)) if (m[0] !== SK && m[0] !== WRONG_SK) found.push(`${where}: an unredacted secret key ${m[0].slice(0, 12)}…`);
  if (PRIVATE_ARMOUR.test(text)) found.push(`${where}: a "BEGIN PRIVATE KEY" line`);
  for (const pem of privatePems) {
    const needle = pemNeedles(pem).find((n) => text.includes(n));
    if (needle) found.push(`${where}: a line of a PEM private key (${needle.slice(0, 12)}…)`);
  }
  for (const token of minted) if (text.includes(token)) found.push(`${where}: a minted session token ${token.slice(0, 16)}…`);
  for (const m of text.matchAll(JWT)) {
    if (STRICT.has(where) || (await isSessionToken(m[0]))) found.push(`${where}: a signed JWT ${m[0].slice(0, 16)}…[${m[0].length} chars]`);
  }
  return [...new Set(found)];
}

async function filesUnder(dir: string, label: string): Promise<Output[]> {
  const out: Output[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = join(e.parentPath, e.name);
    out.push({ where: `${label} ${file.slice(dir.length + 1)}`, text: await readFile(file, 'utf8') });
  }
  return out;
}

const streams = (label: string, r: { stdout: string; stderr: string }, o: { exemptStdout?: boolean } = {}): Output[] => [
  ...(o.exemptStdout ? [] : [{ where: `${label} stdout`, text: r.stdout }]),
  { where: `${label} stderr`, text: r.stderr },
];

async function expectClean(outputs: Output[], o: { planted?: boolean } = {}): Promise<void> {
  const leaks = (await Promise.all(outputs.map(leaksIn))).flat();
  expect(leaks).toEqual([]);
  // Where secrets were planted, some must have reached the output, redacted: the scan looked at
  // output that carried them, not at output that never could have.
  if (o.planted) expect(outputs.map((x) => x.text).join('\n')).toMatch(REDACTED);
}

/** What src/redact.ts leaves of a token, a secret key or a private key. */
const REDACTED = /…\[redacted \d+ chars\]|sk_test_…|\[redacted private key\]/;

/* ──────────────────────────────────── the world: emulator, targets ───────────────────────────── */

let root: string;
let emulator: Emulator;
let goodTarget: ReferenceTarget;
let careless: { url: string; auditFile: string; server: Server };
const harnessEnv = () => ({ CLERK_SECRET_KEY: SK, CLERK_API_URL: emulator.url });

/**
 * A careless backend: decodes tokens without verifying them (so forged ones pass: findings), logs
 * the Authorization header, the secret key and a private key in every audit line, and answers
 * every refusal (everything under /strict, and /openapi.json) with a 401 that echoes them all.
 */
async function startCarelessTarget(auditFile: string): Promise<{ url: string; auditFile: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      let claims: Record<string, unknown> | undefined;
      try {
        claims = JSON.parse(Buffer.from(/^Bearer (\S+)$/.exec(auth)![1].split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
      } catch {
        claims = undefined;
      }
      const fresh = claims && typeof claims.sub === 'string' && typeof claims.exp === 'number' && claims.exp > Date.now() / 1000;
      if (fresh && !req.url?.startsWith('/strict')) {
        appendFileSync(auditFile, JSON.stringify({ event: 'job_created', user_id: claims!.sub, token_iat: claims!.iat, alcoa_attributable: true, alcoa_contemporaneous: new Date().toISOString(), authorization: auth, debug: { clerk_secret_key: SK, signing_key: PLANTED_PEM } }) + '\n');
        return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'job_1', you_sent: auth }));
      }
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer error="invalid_token", error_description="${auth.replace(/"/g, '')}"`,
        'x-debug-secret-key': SK,
      });
      res.end(JSON.stringify({ detail: `Token validation failed for ${auth || '(no header)'}`, clerk_secret_key: SK, pem: PLANTED_PEM }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, auditFile, server };
}

async function folder(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Mint through the CLI in-process: stdout is the token (exempt), and the token joins the scan. */
async function mintToken(extra: string[] = [], env = harnessEnv()): Promise<string> {
  const r = await callMain(['mint', ...extra], { cwd: root, env });
  expect(r.code, r.stderr).toBe(0);
  const token = r.stdout.trim();
  minted.add(token);
  return token;
}

/* ───────────────────────────── spawned scenarios (started in beforeAll) ─────────────────────── */

const spawned: Record<string, Promise<Output[]>> = {};

/** `run` against the embedded default: passes. Its emulator is the run's own: strict scan. */
async function runEmbedded(): Promise<Output[]> {
  const cwd = await folder('run-embedded');
  const r = await runCli(['run', '--reports', 'reports'], { cwd, env: {}, timeoutMs: 60_000 });
  // That the default passes (exit 0) is run-cli.test.ts's to prove; here it must complete.
  expect(r.code, r.stderr.slice(-2000)).toBeLessThan(2);
  const outputs = [...streams('run (embedded)', r), ...(await filesUnder(join(cwd, 'reports'), 'run (embedded) reports/'))];
  for (const o of outputs) STRICT.add(o.where);
  return outputs;
}

/** `run` against the careless target with the leaky template: findings, blocked endpoint, audit. */
async function runCareless(): Promise<Output[]> {
  const cwd = await folder('run-careless');
  await writeFile(join(cwd, 'job.json'), '{"kind":"scan"}');
  await writeFile(join(cwd, 'careless.yaml'), [
    'name: careless backend',
    `template: ${LEAKY_TEMPLATE}`,
    'audit:',
    `  path: ${careless.auditFile.split('/').pop()}`,
    `  base_dir: ${root}`,
    '  endpoints: [create job]',
    'endpoints:',
    '  - { name: create job, method: POST, path: /jobs, body: job.json }',
    '  - { name: strict job, method: POST, path: /strict/jobs, body: job.json }',
    '',
  ].join('\n'));
  const r = await runCli(['run', '--suite', 'careless.yaml', '--target', careless.url, '--reports', 'reports', '--json'], { cwd, env: harnessEnv(), timeoutMs: 60_000 });
  expect(r.code, r.stderr.slice(-2000)).toBe(1);
  return [...streams('run (careless)', r), ...(await filesUnder(join(cwd, 'reports'), 'run (careless) reports/'))];
}

/** `emulator --write-env`: mint, rotate and inject a fault through it, then Ctrl-C. */
async function emulatorWriteEnv(): Promise<Output[]> {
  const cwd = await folder('emulator');
  const cli = startCli(['emulator', '--port', '0', '--ephemeral', '--secret-key', SK, '--write-env', '.env.local'], { cwd, env: {} });
  try {
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await cli.waitFor(/Press Ctrl-C/, 20_000))![1];
    const env = { CLERK_SECRET_KEY: SK, CLERK_API_URL: url };
    const jwksOf = async () => ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet).keys;
    jwks.keys.push(...(await jwksOf()));
    await mintToken([], env);
    const rotate = await callMain(['emulator', 'rotate', '--url', url, '--secret-key', SK], { cwd, env: {} });
    expect(rotate.code, rotate.stderr).toBe(0);
    jwks.keys.push(...(await jwksOf()));
    await mintToken(['--format', 'bare'], env);
    const fault = await callMain(['emulator', 'fault', '--status', '401', '--count', '1', '--url', url, '--secret-key', SK], { cwd, env: {} });
    const failedMint = await callMain(['mint'], { cwd: root, env }); // answered 401 by the fault
    expect(failedMint.code).toBe(2);
    await cli.stop('SIGINT');
    return [
      ...streams('emulator --write-env', { stdout: cli.stdout(), stderr: cli.stderr() }),
      ...streams('emulator rotate', rotate),
      ...streams('emulator fault', fault),
      ...streams('mint (emulator fault 401)', failedMint),
    ];
  } finally {
    await cli.stop('SIGINT');
  }
}

/** `tokens serve`: take a token and the stats, then Ctrl-C. GET /token is exempt, /stats is not. */
async function tokensServe(): Promise<Output[]> {
  const cwd = await folder('tokens');
  const cli = startCli(['tokens', 'serve', '--port', '0', '--users', '2'], { cwd, env: harnessEnv() });
  try {
    const url = /serving at (http:\/\/\S+)\/token/.exec(await cli.waitFor(/serving at/, 20_000))![1];
    const token = (await (await fetch(`${url}/token`)).json()) as { token: string };
    minted.add(token.token); // EXEMPT.tokensServeToken: the answer itself is not scanned
    minted.add(await (await fetch(`${url}/token?format=bare`)).text());
    const stats = await (await fetch(`${url}/stats`)).text();
    const refused = await fetch(`${url}/token`, { headers: { origin: 'https://evil.example' } });
    await cli.stop('SIGINT');
    return [...streams('tokens serve', { stdout: cli.stdout(), stderr: cli.stderr() }), { where: 'tokens serve GET /stats', text: stats }, { where: 'tokens serve refusal of an Origin', text: await refused.text() }];
  } finally {
    await cli.stop('SIGINT');
  }
}

/**
 * `target`: with a good env file, and with the PRIVATE key pasted as CLERK_JWT_KEY (a careless
 * user). Requests with a genuine and an expired token; the reference target is the example of
 * doing it right, so its answers are scanned as well.
 */
async function targets(): Promise<Output[]> {
  const outputs: Output[] = [];
  for (const [label, env] of [
    ['target (good env)', emulator.env()],
    ['target (private key as CLERK_JWT_KEY)', { ...emulator.env(), CLERK_JWT_KEY: PLANTED_PEM, CLERK_PEM_PUBLIC_KEY: PLANTED_PEM }],
  ] as const) {
    const cwd = await folder(label.replace(/\W+/g, '-'));
    await writeFile(join(cwd, 'backend.env'), envText(env));
    const cli = startCli(['target', '--env-file', 'backend.env', '--port', '0', '--log-failures'], { cwd, env: {} });
    try {
      const url = /listening on (http:\/\/\S+)/.exec(await cli.waitFor(/listening on/, 20_000))![1];
      const token = await mintToken();
      const expired = await emulator.sign({ alg: 'RS256', kid: emulator.currentKey().kid, typ: 'JWT' }, { sub: 'user_x', iat: 1, nbf: 1, exp: 2, iss: emulator.issuer });
      minted.add(expired);
      for (const t of [token, expired, 'not-a-token']) {
        const res = await fetch(`${url}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: '{}' });
        outputs.push({ where: `${label} answer to POST /jobs (${t === token ? 'genuine' : t === expired ? 'expired' : 'malformed'})`, text: `${[...res.headers].join('\n')}\n${await res.text()}` });
      }
      await cli.stop('SIGINT');
      outputs.push(...streams(label, { stdout: cli.stdout(), stderr: cli.stderr() }));
    } finally {
      await cli.stop('SIGINT');
    }
  }
  return outputs;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'secret-scan-'));
  const keyFile = join(root, 'emulator-key.json');
  emulator = await startEmulator({
    secretKey: SK,
    keyFile,
    templates: [{ name: LEAKY_TEMPLATE, claims: { email: '{{user.primary_email_address}}', debug_key: SK, debug_pem: PLANTED_PEM }, lifetime: 60 }],
  });
  privatePems.push((JSON.parse(await readFile(keyFile, 'utf8')) as { private_key_pem: string }).private_key_pem);
  jwks.keys.push(emulator.currentKey().publicJwk);
  goodTarget = await startReferenceTarget({ apiUrl: emulator.url, secretKey: SK, issuer: emulator.issuer, auditDir: join(root, 'good-audit') });
  careless = await startCarelessTarget(join(root, 'careless-audit.jsonl'));
  spawned.runEmbedded = runEmbedded();
  spawned.runCareless = runCareless();
  spawned.emulator = emulatorWriteEnv();
  spawned.tokens = tokensServe();
  spawned.target = targets();
  // Awaited by their tests; a failure is reported there, not as an unhandled rejection here.
  for (const p of Object.values(spawned)) p.catch(() => undefined);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(spawned));
  careless?.server.close();
  await goodTarget?.stop();
  await emulator?.stop();
  await rm(root, { recursive: true, force: true });
});

/* ───────────────────────────────────────────── tests ───────────────────────────────────────── */

describe('secret scan: no secret key, private key or session token in any output', () => {
  it('doctor: a passing setup and a failing one (401 echoing the token, the private key pasted as CLERK_JWT_KEY), text and --json', async () => {
    const cwd = await folder('doctor');
    await writeFile(join(cwd, 'good.env'), envText(emulator.env()));
    await writeFile(join(cwd, 'careless.env'), envText({ ...emulator.env(), CLERK_JWT_KEY: PLANTED_PEM, CLERK_PEM_PUBLIC_KEY: PLANTED_PEM }));
    await writeFile(join(cwd, 'wrong-key.env'), envText({ ...emulator.env(), CLERK_SECRET_KEY: WRONG_SK }));
    const outputs: Output[] = [];
    const good = ['doctor', '--target', goodTarget.url, '--env-file', 'good.env', '--audit-dir', goodTarget.auditDir];
    const bad = ['doctor', '--target', careless.url, '--env-file', 'careless.env', '--endpoint', 'POST /strict/jobs'];
    for (const [label, argv, env, exit] of [
      ['doctor (passing)', good, harnessEnv(), 0],
      ['doctor (careless backend)', bad, harnessEnv(), 1],
      ['doctor (backend with a wrong secret key)', ['doctor', '--target', goodTarget.url, '--env-file', 'wrong-key.env'], harnessEnv(), 1],
      ['doctor (harness with a wrong secret key)', good, { ...harnessEnv(), CLERK_SECRET_KEY: WRONG_SK }, 1],
    ] as const) {
      for (const json of [false, true]) {
        const r = await callMain([...argv, ...(json ? ['--json', '--verbose'] : ['--verbose'])], { cwd, env });
        expect(r.code, `${label}: ${r.stdout.slice(0, 3000)}${r.stderr}`).toBe(exit);
        outputs.push(...streams(`${label}${json ? ' --json' : ''}`, r));
      }
    }
    await expectClean(outputs, { planted: true });
  }, 30_000);

  it('doctor explain: a token whose claims carry the secret key and a PEM, and a 401 response echoing it', async () => {
    const token = await mintToken(['--template', LEAKY_TEMPLATE]);
    const response = [
      'HTTP/1.1 401 Unauthorized',
      `www-authenticate: Bearer error="invalid_token", error_description="Bearer ${token}"`,
      `x-debug-secret-key: ${SK}`,
      '',
      JSON.stringify({ detail: `Token validation failed for Bearer ${token}`, clerk_secret_key: SK, pem: PLANTED_PEM }),
    ].join('\n');
    const outputs: Output[] = [];
    for (const input of [token, response, `Authorization: Bearer ${token}`]) {
      for (const flags of [[], ['--json'], ['--verbose']]) {
        const r = await callMain(['doctor', 'explain', ...flags, input], { cwd: root, env: {} });
        expect(r.code).toBeLessThan(2);
        outputs.push(...streams(`doctor explain ${flags.join(' ')} (${input === token ? 'token' : input === response ? 'response' : 'header'})`, r));
      }
    }
    await expectClean(outputs, { planted: true });
  });

  it('mint: --persist, --format json, --exec, and failing mints (unknown template, wrong secret key, not a file)', async () => {
    const cwd = await folder('mint');
    await mkdir(join(cwd, 'a-dir'));
    const outputs: Output[] = [];
    const json = await callMain(['mint', '--format', 'json', '--template', LEAKY_TEMPLATE], { cwd, env: harnessEnv() });
    expect(json.code).toBe(0);
    minted.add((JSON.parse(json.stdout) as { token: string }).token);
    outputs.push(...streams('mint --format json', json, { exemptStdout: true })); // EXEMPT.mintStdout
    const persist = await callMain(['mint', '--persist', '.env.local'], { cwd, env: harnessEnv() });
    expect(persist.code, persist.stderr).toBe(0);
    minted.add(/CLERK_TOKEN=(\S+)/.exec(await readFile(join(cwd, '.env.local'), 'utf8'))![1]); // EXEMPT.requestedFiles
    outputs.push(...streams('mint --persist', persist));
    const exec = await callMain(['mint', '--exec', '--', 'sh', '-c', 'exit 3'], { cwd, env: { ...harnessEnv(), PATH: process.env.PATH! } });
    expect(exec.code).toBe(1);
    outputs.push(...streams('mint --exec (command fails)', exec));
    for (const [label, argv, env] of [
      ['mint (unknown template)', ['mint', '--template', 'nope'], harnessEnv()],
      ['mint (wrong secret key)', ['mint'], { ...harnessEnv(), CLERK_SECRET_KEY: WRONG_SK }],
      ['mint --persist a-dir', ['mint', '--persist', 'a-dir'], harnessEnv()],
      ['mint (secret key with a typo)', ['mint'], { ...harnessEnv(), CLERK_SECRET_KEY: `${SK} ` }],
    ] as const) {
      const r = await callMain([...argv], { cwd, env });
      expect(r.code, r.stderr).toBe(2);
      outputs.push(...streams(label, r));
    }
    await expectClean(outputs);
  });

  it('templates: text and --json (a template whose claims hold the secret key and a PEM), and a wrong secret key', async () => {
    const outputs: Output[] = [];
    for (const argv of [['templates'], ['templates', '--json']]) {
      const r = await callMain(argv, { cwd: root, env: harnessEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(LEAKY_TEMPLATE);
      outputs.push(...streams(argv.join(' '), r));
    }
    const wrong = await callMain(['templates'], { cwd: root, env: { ...harnessEnv(), CLERK_SECRET_KEY: WRONG_SK } });
    expect(wrong.code).toBe(2);
    outputs.push(...streams('templates (wrong secret key)', wrong));
    await expectClean(outputs, { planted: true });
  });

  it('audit validate: bad lines holding a token, the secret key and a PEM private key, text and --json', async () => {
    const cwd = await folder('audit');
    const token = await mintToken();
    const base = { user_id: 'user_abc123', token_iat: 1, alcoa_attributable: true, alcoa_contemporaneous: '2026-01-01T00:00:00Z' };
    await writeFile(join(cwd, 'audit.jsonl'), [
      JSON.stringify({ ...base, token_iat: `Bearer ${token}` }),
      JSON.stringify({ ...base, alcoa_attributable: `${'x'.repeat(40)}${PLANTED_PEM}` }),
      JSON.stringify({ ...base, user_id: { authorization: `Bearer ${token}`, key: SK } }),
      JSON.stringify({ ...base, user_email: 7, [SK]: 1, [`Bearer ${token}`]: PLANTED_PEM.slice(0, 200) }),
      `{"user_id": "user_1", "authorization": "Bearer ${token}", "key": "${SK}", "pem": ${JSON.stringify(PLANTED_PEM)}`, // not JSON (no closing brace)
      JSON.stringify({ ...base, user_id: SK }),
    ].join('\n') + '\n');
    const outputs: Output[] = [];
    for (const argv of [['audit', 'validate', 'audit.jsonl'], ['audit', 'validate', 'audit.jsonl', '--json']]) {
      const r = await callMain(argv, { cwd, env: {} });
      expect(r.code, r.stderr).toBe(1);
      outputs.push(...streams(argv.join(' '), r));
    }
    await expectClean(outputs, { planted: true });
  });

  it('load: a passing load, and one against the careless target\'s refusals (SLO missed), with --reports', async () => {
    const cwd = await folder('load');
    await writeFile(join(cwd, 'job.json'), '{"kind":"load"}');
    await writeFile(join(cwd, 'load.yaml'), `name: load\ntemplate: ${LEAKY_TEMPLATE}\naudit: false\nendpoints:\n  - { name: create job, method: POST, path: /jobs, body: job.json }\n  - { name: strict job, method: POST, path: /strict/jobs, body: job.json }\n`);
    const outputs: Output[] = [];
    for (const [label, target, endpoint, exit] of [
      ['load (passing)', goodTarget.url, 'create job', 0],
      ['load (careless refusals)', careless.url, 'strict job', 1],
    ] as const) {
      const reports = `reports-${exit}`;
      const r = await callMain(['load', '--suite', 'load.yaml', '--endpoint', endpoint, '--target', target, '--duration', '1s', '--rate', '20', '--max-error-rate', '1%', '--reports', reports, '--json', '--quiet'], { cwd, env: harnessEnv() });
      expect(r.code, `${label}: ${r.stderr}`).toBe(exit);
      outputs.push(...streams(label, r), ...(await filesUnder(join(cwd, reports), `${label} reports/`)));
    }
    await expectClean(outputs, { planted: true });
  }, 30_000);

  it('init: a starter suite, one refused (exists), one from an OpenAPI URL that answers 401 with secrets', async () => {
    const cwd = await folder('init');
    const env = harnessEnv();
    const outputs: Output[] = [];
    for (const [label, argv, exit] of [
      ['init', ['init'], 0],
      ['init (exists)', ['init'], 2],
      ['init --openapi (401 echoing secrets)', ['init', '--openapi', `${careless.url}/openapi.json`, '--suite', 'suites/other.yaml'], 2],
    ] as const) {
      const r = await callMain([...argv], { cwd, env });
      expect(r.code, `${label}: ${r.stderr}`).toBe(exit);
      outputs.push(...streams(label, r));
    }
    outputs.push(...(await filesUnder(cwd, 'init wrote')));
    await expectClean(outputs);
  });

  it('run: the embedded default (passing) — stdout, stderr, every report', async () => {
    await expectClean(await spawned.runEmbedded);
  }, 60_000);

  it('run: a careless target echoing Authorization, the secret key and a PEM; a leaky template; secrets in audit lines (findings)', async () => {
    await expectClean(await spawned.runCareless, { planted: true });
  }, 60_000);

  it('emulator: --write-env with mint, rotate and fault against it; and refused flags', async () => {
    const outputs = await spawned.emulator;
    const cwd = await folder('emulator-bad');
    await mkdir(join(cwd, 'a-dir'));
    for (const argv of [['emulator', '--secret-key', `${SK}!`], ['emulator', 'rotate', '--url', emulator.url, '--secret-key', WRONG_SK]]) {
      const r = await callMain(argv, { cwd, env: {} });
      expect(r.code, r.stderr).toBe(2);
      outputs.push(...streams(argv.slice(0, 2).join(' '), r));
    }
    await expectClean(outputs);
  }, 30_000);

  it('tokens serve: its output and /stats (GET /token is exempt), and a refused --host', async () => {
    const outputs = await spawned.tokens;
    const refused = await callMain(['tokens', 'serve', '--host', '0.0.0.0'], { cwd: root, env: harnessEnv() });
    expect(refused.code).toBe(2);
    outputs.push(...streams('tokens serve --host 0.0.0.0', refused));
    await expectClean(outputs);
  }, 30_000);

  it('target: a good env file and one with the private key as CLERK_JWT_KEY — its output and its answers', async () => {
    await expectClean(await spawned.target);
  }, 60_000);

  it('the scan itself finds each planted secret (it is not blind)', async () => {
    const token = [...minted][0];
    const planted: Output[] = [
      { where: 'a', text: `x ${SK} y` },
      { where: 'b', text: JSON.stringify({ pem: PLANTED_PEM }) },
      { where: 'c', text: PLANTED_PEM.split('\n')[3].slice(0, 30) },
      { where: 'd', text: `Bearer ${token}` },
      { where: 'e', text: privatePems[1].split('\n')[5] },
    ];
    for (const o of planted) expect((await leaksIn(o)).length, o.where).toBeGreaterThan(0);
    expect(await leaksIn({ where: 'f', text: 'sk_test_…K7K7 eyJhbGciOi…[redacted 812 chars] [redacted private key]' })).toEqual([]);
    expect(Object.keys(EXEMPT)).toHaveLength(3);
  });

  it('a token cut before it is redacted (inside its payload or its signature) still goes', () => {
    const token = [...minted][0];
    const dots = [token.indexOf('.'), token.lastIndexOf('.')];
    for (const cut of [token.slice(0, dots[0] + 12), token.slice(0, dots[1] + 8)]) {
      const shown = redact(`{"detail":"invalid token ${cut}`);
      expect(shown).toContain('[redacted');
      expect(shown).not.toContain(cut.slice(dots[0], dots[0] + 12));
    }
  });
});
