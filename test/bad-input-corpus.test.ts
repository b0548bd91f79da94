/**
 * Issue 14, "Tests that must exist": the bad-input corpus, one table. Each row is an input a
 * careless or hostile user gives (the files it needs, the argv, the environment), the exit code
 * and a fragment of the message that user should see: 2 for a usage or configuration mistake
 * (README "Exit codes"), 1 for a finding (a bad audit line, a failed doctor check), 0 when
 * `doctor explain` explains what it was given. Expectations come from the issue and the README,
 * not from what the harness happens to print.
 *
 * Every row also asserts: no stack trace and no internal error (exit 3), output of a bounded size,
 * and that it finished within its own timeout. Rows run in-process through main()
 * (test/helpers/main-in-process.ts); the few that need a real process spawn the built CLI:
 * stdin, and the FIFOs (a harness that regressed to reading one would block the test worker
 * itself, which no timeout can interrupt).
 *
 * A row whose expectation the harness does not meet yet is kept with the correct expectation and
 * skipped (`skip: 'defect: ...'`), so the table is the list of what remains; CORPUS_SKIPPED=1
 * runs those rows as well.
 */
import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { garbageServer, hugeJsonServer, loopbackServers, resetServer } from './helpers/hostile-servers.js';
import { callMain } from './helpers/main-in-process.js';

const KEY = 'sk_test_corpus0123456789abcdef';

/** A file a row needs, relative to the row's own folder. */
type FileSpec = string | Buffer | { dir: true } | { fifo: true } | { symlink: string } | { unwritableDir: true };

interface Row {
  /** The bad input, in a user's words. */
  input: string;
  argv: string[];
  files?: Record<string, FileSpec>;
  env?: Record<string, string>;
  exit: 0 | 1 | 2;
  /** In stdout + stderr. */
  fragment: string | RegExp;
  /** Must not appear anywhere in the output (a leaked file, the wrong blame). */
  absent?: Array<string | RegExp>;
  /** Spawn bin/clerk-harness.js (with this stdin) instead of calling main() in-process. */
  spawn?: { input?: string };
  /** Default 5 s in-process, 15 s spawned. */
  timeoutMs?: number;
  /** Output longer than this is a megabyte-long error (default 4000 characters). */
  maxOutput?: number;
  /** Why the row cannot pass yet: the defect, where it lives, and the fix (see the report). */
  skip?: string;
}

/* Placeholders in argv, env and text files, replaced per row: servers started in beforeAll. */
const FAKE = '@fake-clerk'; // answers 200 {} to everything
const HUGE = '@huge-clerk'; // answers 8 MiB and more
const GARBAGE = '@garbage'; // answers bytes that are not HTTP
const RESET = '@reset'; // resets the connection
const EMU = '@emulator'; // a real clerk-harness emulator (secret key KEY)

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const DEEP = 100_000;
const deepJson = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;
/** A token whose header kid and claim x nest 100k deep. */
const DEEP_TOKEN = `${b64(`{"alg":"RS256","kid":${deepJson}}`)}.${b64(`{"sub":"user_1","x":${deepJson}}`)}.c2ln`;
const OBJECT_HEADER_TOKEN = `${b64({ alg: { toString: 1 }, kid: { a: 1 }, typ: [1], jku: {} })}.${b64({ sub: { a: 1 }, exp: { a: 1 }, aud: { toString: 1 } })}.c2ln`;
const HUGE_VALUE = `http://${'a'.repeat(1_000_000)} x`;
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';
const AUDIT_LINE = '{"user_id":"user_1","token_iat":1,"alcoa_attributable":true,"alcoa_contemporaneous":"2026-01-01T00:00:00Z"}\n';

const ONE_GET = 'name: t\nendpoints:\n  - { method: GET, path: /x }\n';
const CLERK_ENV = { CLERK_SECRET_KEY: KEY, CLERK_API_URL: EMU };
const NOT_CLERK = "CLERK_API_URL does not answer like Clerk's Backend API";
const UTF16_ENV = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`CLERK_SECRET_KEY=${KEY}\n`, 'utf16le')]);

function aliasBomb(): string {
  const lines = ['name: t', 'a0: &a0 [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
  lines.push('endpoints: [{method: GET, path: /x}]');
  return lines.join('\n') + '\n';
}

const schemaRef = (ref: string) => JSON.stringify({ $schema: DRAFT, type: 'object', properties: { user_id: { $ref: ref } } });

const ROWS: Row[] = [
  // ── security: a request never leaves the target's origin ──────────────────────────────────
  { input: 'suite path //other-host:port/x (would send valid tokens to another host)', files: { 's.yaml': 'name: t\nendpoints:\n  - method: GET\n    path: //evil.example:8080/x\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:4: endpoints[0].path' },
  { input: 'suite path /\\evil.example/x (a URL parser reads /\\ as //)', files: { 's.yaml': 'name: t\nendpoints:\n  - method: GET\n    path: "/\\\\evil.example/x"\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:4: endpoints[0].path' },

  // ── YAML aliases ─────────────────────────────────────────────────────────────────────────
  { input: 'suite alias *nope without an anchor', files: { 's.yaml': 'name: t\nendpoints:\n  - *nope\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:3: alias *nope' },
  { input: 'suite alias used before its anchor', files: { 's.yaml': 'name: t\nendpoints:\n  - *e\nx: &e { method: GET, path: /x }\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /s\.yaml:3: .*\*?e/ },
  { input: 'suite alias bomb (10^12 nodes)', files: { 's.yaml': aliasBomb() }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /s\.yaml:\d+: .*alias/, timeoutMs: 3000 },

  // ── not a regular file where a suite, a body or an env file is expected ────────────────────
  { input: 'suite that is a directory', files: { suite: { dir: true } }, argv: ['run', '--suite', 'suite', '--list'], exit: 2, fragment: 'suite file suite is a directory' },
  { input: 'suite that is /dev/zero', argv: ['run', '--suite', '/dev/zero', '--list'], exit: 2, fragment: '/dev/zero is a device' },
  { input: 'suite that is a FIFO', files: { 's.yaml': { fifo: true } }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 'is a FIFO', spawn: {} },
  { input: 'body file that is a directory', files: { b: { dir: true }, 's.yaml': 'name: t\nendpoints:\n  - { method: POST, path: /x, body: b }\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /endpoints\[0\]\.body: .*b is a directory/ },
  { input: 'body file that is /dev/zero', files: { 's.yaml': 'name: t\nendpoints:\n  - { method: POST, path: /x, body: /dev/zero }\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /endpoints\[0\]\.body: .*\/dev\/zero is a device/ },
  { input: 'body file that is a FIFO', files: { b: { fifo: true }, 's.yaml': 'name: t\nendpoints:\n  - { method: POST, path: /x, body: b }\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /endpoints\[0\]\.body: .*is a FIFO/, spawn: {} },
  { input: 'env file .env.local that is a directory', files: { '.env.local': { dir: true } }, argv: ['mint'], exit: 2, fragment: 'env file .env.local is a directory' },
  { input: 'env file that is /dev/zero (target --env-file)', argv: ['target', '--env-file', '/dev/zero'], exit: 2, fragment: '/dev/zero is a device' },
  { input: 'env file .env.local that is a FIFO', files: { '.env.local': { fifo: true } }, argv: ['mint'], exit: 2, fragment: 'env file .env.local is a FIFO', spawn: {} },
  // doctor checks the backend's env file: one that is not a file is a failed check (exit 1), named.
  { input: 'doctor --env-file that is a directory', files: { 'backend.env': { dir: true } }, argv: ['doctor', '--only', 'env', '--env-file', 'backend.env'], exit: 1, fragment: 'is a directory, not a regular file' },

  // ── headers and content_type: refused at load with file:line ───────────────────────────────
  { input: 'target.headers name with a space', files: { 's.yaml': 'name: t\ntarget:\n  headers:\n    "X Bad": v\nendpoints: [{ method: GET, path: /x }]\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:4: target.headers name "X Bad" is not a valid header name' },
  { input: 'target.headers name with CR/LF', files: { 's.yaml': 'name: t\ntarget:\n  headers:\n    "X-A\\r\\nInjected": v\nendpoints: [{ method: GET, path: /x }]\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:4: target.headers name' },
  { input: 'target.headers value with CR/LF', files: { 's.yaml': 'name: t\ntarget:\n  headers:\n    X-Ok: "a\\r\\nInjected: 1"\nendpoints: [{ method: GET, path: /x }]\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:4: target.headers.X-Ok must not contain CR, LF' },
  { input: 'endpoint header name with a space', files: { 's.yaml': 'name: t\nendpoints:\n  - method: GET\n    path: /x\n    headers:\n      "X Bad": v\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:6: endpoints[0].headers name "X Bad" is not a valid header name' },
  { input: 'endpoint header name with LF', files: { 's.yaml': 'name: t\nendpoints:\n  - method: GET\n    path: /x\n    headers:\n      "X-A\\nB": v\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:6: endpoints[0].headers name "X-A\\nB" is not a valid header name' },
  { input: 'endpoint header value with CR/LF', files: { 's.yaml': 'name: t\nendpoints:\n  - method: GET\n    path: /x\n    headers:\n      X-A: "a\\r\\nB: c"\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:6: endpoints[0].headers.X-A must not contain CR, LF' },
  { input: 'content_type with a newline', files: { 's.yaml': 'name: t\nendpoints:\n  - { method: POST, path: /x, content_type: "a/b\\nX-Injected: y" }\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:3: endpoints[0].content_type must not contain CR, LF' },

  // ── ports and URLs ───────────────────────────────────────────────────────────────────────
  { input: 'suite base_url with port 99999', files: { 's.yaml': 'name: t\ntarget: { base_url: "http://127.0.0.1:99999" }\nendpoints: [{ method: GET, path: /x }]\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: /s\.yaml:2: target\.base_url .*a port is 1-65535/ },
  { input: 'suite base_url http://[::1 (unclosed bracket)', files: { 's.yaml': 'name: t\ntarget: { base_url: "http://[::1" }\nendpoints: [{ method: GET, path: /x }]\n' }, argv: ['run', '--suite', 's.yaml', '--list'], exit: 2, fragment: 's.yaml:2: target.base_url "http://[::1"' },
  { input: 'TARGET_URL with port 99999', env: { TARGET_URL: 'http://127.0.0.1:99999' }, argv: ['run', '--list'], exit: 2, fragment: /TARGET_URL .*a port is 1-65535/ },
  { input: 'TARGET_URL http://[::1', env: { TARGET_URL: 'http://[::1' }, argv: ['run', '--list'], exit: 2, fragment: /TARGET_URL is not .*"http:\/\/\[::1"/ },
  { input: 'CLERK_API_URL with port 99999', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: 'http://127.0.0.1:99999' }, argv: ['mint'], exit: 2, fragment: /CLERK_API_URL .*a port is 1-65535/ },
  { input: 'CLERK_API_URL http://[::1', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: 'http://[::1' }, argv: ['mint'], exit: 2, fragment: /CLERK_API_URL is not .*"http:\/\/\[::1"/ },
  {
    input: 'run --target with port 99999', files: { 's.yaml': ONE_GET }, env: CLERK_ENV, argv: ['run', '--suite', 's.yaml', '--target', 'http://127.0.0.1:99999'], exit: 2, fragment: /--target .*1-65535/,
  },
  {
    input: 'run --target http://[::1', files: { 's.yaml': ONE_GET }, env: CLERK_ENV, argv: ['run', '--suite', 's.yaml', '--target', 'http://[::1'], exit: 2, fragment: /--target .*http:\/\/\[::1/,
  },
  {
    input: 'load --target with port 99999', files: { 's.yaml': ONE_GET }, env: CLERK_ENV, argv: ['load', '--suite', 's.yaml', '--target', 'http://127.0.0.1:99999'], exit: 2, fragment: /--target .*1-65535/,
  },
  { input: 'doctor --target with port 99999', argv: ['doctor', '--target', 'http://127.0.0.1:99999'], exit: 2, fragment: 'a port is 1-65535' },
  { input: 'doctor --target http://[::1', argv: ['doctor', '--target', 'http://[::1'], exit: 2, fragment: '"http://[::1" is not an http(s) URL' },
  { input: 'emulator --port 99999', argv: ['emulator', '--port', '99999'], exit: 2, fragment: '--port must be 0-65535' },
  { input: 'emulator --timeout without wait', argv: ['emulator', '--timeout', '5'], exit: 2, fragment: '--timeout belongs to `emulator wait`' },
  { input: 'emulator wait --timeout abc', argv: ['emulator', 'wait', '--timeout', 'abc'], exit: 2, fragment: 'emulator wait: --timeout must be a whole number' },
  { input: 'emulator wait for a file that never comes', argv: ['emulator', 'wait', '--env-file', 'nowhere/.env.local', '--timeout', '0'], exit: 1, fragment: 'not ready after 0 s: nowhere/.env.local does not exist yet' },
  { input: 'emulator --fault with a lookahead path pattern (RE2 runs faults)', argv: ['emulator', '--fault', '503x1,path=(?=x)y'], exit: 2, fragment: /--fault: fault path pattern "\(\?=x\)y" is not a valid regular expression/ },
  { input: 'emulator --fault status 600', argv: ['emulator', '--fault', '600'], exit: 2, fragment: /fault status must be an HTTP error status \(400-599\), got 600/ },
  { input: 'target --port 99999', argv: ['target', '--port', '99999'], exit: 2, fragment: '--port must be 0-65535' },
  { input: 'tokens serve --port 99999', env: CLERK_ENV, argv: ['tokens', 'serve', '--port', '99999'], exit: 2, fragment: '--port must be 0-65535' },

  // ── out-of-range and hostile flag values ─────────────────────────────────────────────────
  { input: 'emulator --template NAME:5 (under 30 s)', argv: ['emulator', '--template', 'server-token:5'], exit: 2, fragment: 'lifetime must be 30 to 315360000 seconds' },
  { input: 'emulator --template NAME:99999999999', argv: ['emulator', '--template', 'x:99999999999'], exit: 2, fragment: 'lifetime must be 30 to 315360000 seconds' },
  { input: 'mint --expires-in 99999999999', env: CLERK_ENV, argv: ['mint', '--expires-in', '99999999999'], exit: 2, fragment: '--expires-in must be between 30 and 315360000' },
  { input: 'mint --template ../../etc (a path into the Backend API)', env: CLERK_ENV, argv: ['mint', '--template', '../../etc'], exit: 2, fragment: '"../../etc" is not a JWT template name' },
  { input: 'emulator --clock-offset 1e308', argv: ['emulator', '--clock-offset', '1e308'], exit: 2, fragment: '--clock-offset must be' },
  { input: 'emulator --authorized-party "not a url"', argv: ['emulator', '--authorized-party', 'not a url'], exit: 2, fragment: '--authorized-party must be an origin' },
  { input: 'doctor --timeout 99999999999999', argv: ['doctor', '--timeout', '99999999999999'], exit: 2, fragment: '--timeout must be between 100 and 600000 ms' },
  { input: 'doctor --timeout 0', argv: ['doctor', '--timeout', '0'], exit: 2, fragment: '--timeout must be between 100 and 600000 ms' },
  // With a working emulator configured: a harness that ignored the empty name would mint and print.
  { input: 'mint --persist "" (must not silently print the token)', env: CLERK_ENV, argv: ['mint', '--persist', ''], exit: 2, fragment: '--persist needs a file name', absent: ['eyJ'] },
  { input: 'mint --persist DIR', files: { d: { dir: true } }, env: CLERK_ENV, argv: ['mint', '--persist', 'd'], exit: 2, fragment: 'd is a directory', absent: ['eyJ'] },

  // ── --reports: one clear error before anything runs ───────────────────────────────────────
  { input: 'run --reports that is a file', files: { r: 'x' }, argv: ['run', '--reports', 'r'], exit: 2, fragment: /--reports r: .*is a file/ },
  { input: 'run --reports that is not writable', files: { r: { unwritableDir: true } }, argv: ['run', '--reports', 'r/out'], exit: 2, fragment: /--reports r\/out: .*not writable/ },
  { input: 'run --reports under /proc', argv: ['run', '--reports', '/proc/self/reports'], exit: 2, fragment: /--reports \/proc\/self\/reports: .*under \/proc/ },
  {
    input: 'load --reports that is a file', files: { r: 'x' }, argv: ['load', '--endpoint', 'create job', '--duration', '1s', '--reports', 'r'], exit: 2, fragment: /--reports r: .*is a file/,
  },

  // ── env values and env files ─────────────────────────────────────────────────────────────
  { input: 'a 1 MB env value (echoed cut, with its length)', files: { '.env.local': `TARGET_URL=${HUGE_VALUE}\n` }, argv: ['run', '--list'], exit: 2, fragment: `(${HUGE_VALUE.length} characters)`, maxOutput: 1000 },
  { input: 'an empty variable in the environment hiding the file\'s value', files: { '.env.local': 'TARGET_URL=not-a-url\n' }, env: { TARGET_URL: '' }, argv: ['run', '--list'], exit: 2, fragment: 'TARGET_URL (in .env.local; the empty TARGET_URL in the environment is ignored)' },
  { input: 'UTF-16 env file (not "not set")', files: { '.env.local': UTF16_ENV }, argv: ['mint'], exit: 2, fragment: 'env file .env.local is UTF-16 encoded', absent: ['is not set'] },
  { input: 'dangling symlink env file (not "not set")', files: { '.env.local': { symlink: 'gone.env' } }, argv: ['mint'], exit: 2, fragment: /env file \.env\.local is a symlink to .*gone\.env, which does not exist/, absent: ['is not set'] },

  // ── a CLERK_API_URL that is not Clerk ──────────────────────────────────────────────────────
  { input: 'Clerk API URL answering 200 {}: mint', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: FAKE }, argv: ['mint'], exit: 2, fragment: NOT_CLERK, absent: ['eyJ'] },
  { input: 'Clerk API URL answering 200 {}: templates', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: FAKE }, argv: ['templates'], exit: 2, fragment: NOT_CLERK },
  { input: 'Clerk API URL answering 200 {}: run', files: { 's.yaml': ONE_GET }, env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: FAKE }, argv: ['run', '--suite', 's.yaml', '--target', FAKE, '--reports', 'reports'], exit: 2, fragment: NOT_CLERK },
  // rotate needs a clerk-harness emulator (real Clerk has no such call): "not an emulator" is the
  // truth here, and the point of the issue (no "new kid undefined", no exit 3) holds.
  { input: 'Clerk API URL answering 200 {}: emulator rotate', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: FAKE }, argv: ['emulator', 'rotate'], exit: 2, fragment: 'is not a clerk-harness emulator', absent: ['undefined'] },
  { input: 'Clerk API URL answering 8 MiB (read up to a cap)', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: HUGE }, argv: ['mint'], exit: 2, fragment: NOT_CLERK },
  { input: 'Clerk API URL answering garbage bytes (not "connection refused")', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: GARBAGE }, argv: ['mint'], exit: 2, fragment: 'not HTTP', absent: [/refused/i] },
  { input: 'Clerk API URL resetting the connection (not "connection refused")', env: { CLERK_SECRET_KEY: KEY, CLERK_API_URL: RESET }, argv: ['mint'], exit: 2, fragment: 'reset the connection', absent: [/refused/i], timeoutMs: 15_000 },
  { input: 'target answering garbage bytes (not "connection refused")', files: { 's.yaml': ONE_GET }, env: CLERK_ENV, argv: ['run', '--suite', 's.yaml', '--target', GARBAGE, '--reports', 'reports'], exit: 2, fragment: 'not HTTP', absent: [/refused/i] },

  // ── doctor explain on hostile tokens: explained (exit 0), never crashed on ──────────────────
  { input: 'doctor explain: a token whose header fields are objects', argv: ['doctor', 'explain', OBJECT_HEADER_TOKEN], exit: 0, fragment: '"alg" is not a string' },
  { input: 'doctor explain: claims nested 100k deep', argv: ['doctor', 'explain', DEEP_TOKEN], exit: 0, fragment: 'nested deeper than', maxOutput: 20_000 },
  { input: 'doctor explain --json: claims nested 100k deep', argv: ['doctor', 'explain', '--json', DEEP_TOKEN], exit: 0, fragment: 'nested deeper than', maxOutput: 20_000 },
  { input: 'doctor explain - (stdin): claims nested 100k deep', argv: ['doctor', 'explain', '-'], spawn: { input: DEEP_TOKEN }, exit: 0, fragment: 'nested deeper than', maxOutput: 20_000 },

  // ── audit validate ───────────────────────────────────────────────────────────────────────
  { input: 'audit validate: a line nested 100k deep', files: { 'deep.jsonl': `${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n{"user_id":${deepJson}}\n` }, argv: ['audit', 'validate', 'deep.jsonl'], exit: 1, fragment: /deep\.jsonl:1: [\s\S]*deep\.jsonl:2: / },
  { input: 'audit validate: schema $ref to file:///etc/passwd', files: { 'a.jsonl': AUDIT_LINE, 'schema.json': schemaRef('file:///etc/passwd') }, argv: ['audit', 'validate', 'a.jsonl', '--schema', 'schema.json'], exit: 2, fragment: 'points outside the schema\'s folder', absent: ['root:'] },
  { input: 'audit validate: schema $ref to ../../../../etc/passwd', files: { 'a.jsonl': AUDIT_LINE, 'schema.json': schemaRef('../../../../../../../../etc/passwd') }, argv: ['audit', 'validate', 'a.jsonl', '--schema', 'schema.json'], exit: 2, fragment: 'points outside the schema\'s folder', absent: ['root:'] },
  {
    input: 'audit validate: schema pattern ^(a+)+$ (catastrophic backtracking)',
    files: { 'a.jsonl': `{"user_id":"${'a'.repeat(5000)}!"}\n`, 'schema.json': JSON.stringify({ $schema: DRAFT, type: 'object', properties: { user_id: { type: 'string', pattern: '^(a+)+$' } } }) },
    argv: ['audit', 'validate', 'a.jsonl', '--schema', 'schema.json'], exit: 1, fragment: /a\.jsonl:1: user_id: .*pattern/, timeoutMs: 3000,
  },
];

/* ─────────────────────────────────────────── the machinery ─────────────────────────────────── */

let root: string;
let emulator: Emulator;
const urls: Record<string, string> = {};
const cleanups: Array<() => Promise<unknown>> = [];
/** Spawned rows, started in beforeAll; each test awaits its own. */
const spawned = new Map<number, Promise<CliResult | undefined>>();

const loopback = loopbackServers(urls);
const listen = loopback.listen;

const fill = (s: string) => s.replace(/@[a-z-]+/g, (m) => urls[m] ?? m);

/** Create one file of a row; false when this system cannot make it (no mkfifo, no chattr). */
async function makeFile(file: string, spec: FileSpec): Promise<boolean> {
  if (typeof spec === 'string') await writeFile(file, fill(spec));
  else if (Buffer.isBuffer(spec)) await writeFile(file, spec);
  else if ('dir' in spec) await mkdir(file);
  else if ('symlink' in spec) await symlink(spec.symlink, file);
  else if ('fifo' in spec) {
    try {
      execFileSync('mkfifo', [file]);
    } catch {
      return false;
    }
  } else {
    // Unwritable even for root: chmod is not enough there, the immutable attribute is.
    await mkdir(file);
    if (process.getuid?.() !== 0) {
      await chmod(file, 0o555);
      cleanups.push(() => chmod(file, 0o755));
    } else {
      try {
        execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
      } catch {
        return false;
      }
      cleanups.push(async () => execFileSync('chattr', ['-i', file]));
    }
  }
  return true;
}

/** The row's own folder with its files; undefined when a file cannot be made here. */
async function rowDir(row: Row, i: number): Promise<string | undefined> {
  const dir = join(root, `row${i}`);
  await mkdir(dir);
  for (const [name, spec] of Object.entries(row.files ?? {})) if (!(await makeFile(join(dir, name), spec))) return undefined;
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bad-input-corpus-'));
  emulator = await startEmulator({ secretKey: KEY });
  urls[EMU] = emulator.url;
  await listen(FAKE, createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  await listen(HUGE, hugeJsonServer());
  await listen(GARBAGE, garbageServer());
  await listen(RESET, resetServer());
  // The spawned rows start now, all at once, and run while the in-process rows do.
  ROWS.forEach((row, i) => {
    if (!row.spawn || (row.skip && !process.env.CORPUS_SKIPPED)) return;
    const pending = runRow(row, i);
    pending.catch(() => undefined); // awaited (and reported) by the row's own test
    spawned.set(i, pending);
  });
});

afterAll(async () => {
  await loopback.stop();
  await emulator?.stop();
  for (const c of cleanups) await c().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

/** A stack frame ("    at fn (file.ts:12:5)"), or the words main() prints for a bug. */
const STACK = /\n\s+at .+:\d+:\d+/;
const INTERNAL = /internal error|exit 3/;

/** The row's result, or undefined when this system cannot set it up. */
async function runRow(row: Row, i: number): Promise<CliResult | undefined> {
  const cwd = await rowDir(row, i);
  if (!cwd) return undefined;
  const argv = row.argv.map(fill);
  const env = Object.fromEntries(Object.entries(row.env ?? {}).map(([k, v]) => [k, fill(v)]));
  if (row.spawn) return runCli(argv, { cwd, env, input: row.spawn.input, timeoutMs: (row.timeoutMs ?? 15_000) - 1000 });
  return callMain(argv, { cwd, env });
}

function check(row: Row, r: CliResult): void {
  const out = `${r.stdout}${r.stderr}`;
  const shown = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout.slice(0, 1500)}\n--- stderr\n${r.stderr.slice(0, 1500)}`;
  expect(out, `a stack trace:\n${shown}`).not.toMatch(STACK);
  expect(out, `an internal error:\n${shown}`).not.toMatch(INTERNAL);
  expect(r.code, `exit code:\n${shown}`).toBe(row.exit);
  if (typeof row.fragment === 'string') expect(out, shown).toContain(row.fragment);
  else expect(out, shown).toMatch(row.fragment);
  for (const a of row.absent ?? []) {
    if (typeof a === 'string') expect(out, shown).not.toContain(a);
    else expect(out, shown).not.toMatch(a);
  }
  expect(out.length, `output of ${out.length} characters:\n${shown}`).toBeLessThan(row.maxOutput ?? 4000);
}

/** One vitest test per row; a skipped row keeps its expectation and names its defect. */
function define(row: Row, i: number): void {
  const name = `${row.input} → exit ${row.exit}`;
  // CORPUS_SKIPPED=1 runs the skipped rows too: how whoever fixes a defect sees the row pass.
  if (row.skip && !process.env.CORPUS_SKIPPED) {
    it.skip(`${name} [${row.skip}]`, () => undefined);
    return;
  }
  it(name, async (ctx) => {
    const r = await (spawned.get(i) ?? runRow(row, i));
    if (!r) return ctx.skip(); // no mkfifo / chattr on this system
    check(row, r);
  }, row.timeoutMs ?? (row.spawn ? 15_000 : 20_000)); // in-process rows pay the first imports; 2 busy cores are slow
}

describe('bad-input corpus (in-process)', () => {
  ROWS.forEach((row, i) => row.spawn || define(row, i));
});

describe('bad-input corpus (a real process: stdin, FIFOs)', () => {
  ROWS.forEach((row, i) => row.spawn && define(row, i));
});

it('the table covers every command that takes a bad input', () => {
  const commands = new Set(ROWS.map((r) => (r.argv[0] === 'doctor' && r.argv[1] === 'explain' ? 'doctor explain' : r.argv[0])));
  for (const c of ['run', 'doctor', 'doctor explain', 'mint', 'templates', 'audit', 'emulator', 'target', 'load', 'tokens']) expect(commands).toContain(c);
});
