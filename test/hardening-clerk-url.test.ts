/**
 * Issue 14: a CLERK_API_URL that is not Clerk (200 {} to everything, HTML, a huge body, garbage
 * bytes, a reset) is named as such (exit 2), never an SDK stack (exit 3) or "new kid undefined".
 * Real loopback servers on port 0; the CLI in-process through main().
 */
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { garbageServer, hugeJsonServer, loopbackServers, resetServer } from './helpers/hostile-servers.js';
import { callMain } from './helpers/main-in-process.js';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { createTokenSource } from '../src/tokens/clerk-source.js';
import { HarnessError } from '../src/errors.js';

const KEY = 'sk_test_hardening0123456789';
const urls: Record<string, string> = {};
let emu: Emulator;
let cwd: string;

const loopback = loopbackServers(urls);
const listen = loopback.listen;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'hardening-clerk-url-'));
  await listen('empty', createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  await listen('html', createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hello</html>')));
  // 8 MiB and more on every request: the harness must stop reading after its cap.
  await listen('huge', hugeJsonServer());
  await listen('garbage', garbageServer());
  await listen('reset', resetServer());
  emu = await startEmulator({ secretKey: KEY });
});

afterAll(async () => {
  await loopback.stop();
  await emu.stop();
  await rm(cwd, { recursive: true, force: true });
});

function cli(argv: string[], env: NodeJS.ProcessEnv) {
  return callMain(argv, { cwd, env });
}

const fast = { attempts: 2, baseDelayMs: 1, timeoutMs: 5000 };

describe('a CLERK_API_URL that is not Clerk', () => {
  it.each([
    ['empty', /answered GET \/v1\/jwks with 200 "\{\}"/],
    ['html', /not JSON \(text\/html\)/],
    ['huge', /more than 1048576 bytes/],
    ['garbage', /bytes that are not HTTP \(HPE_/],
    ['reset', /reset the connection \(ECONNRESET\)/],
  ])('%s: the token source says so', async (name, detail) => {
    const started = performance.now();
    const err = await createTokenSource({ apiUrl: urls[name], secretKey: KEY, testUserEmail: 'a@example.com', retry: fast })
      .then(async (s) => s.mint())
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toContain("CLERK_API_URL does not answer like Clerk's Backend API");
    expect((err as HarnessError).message).toMatch(detail);
    expect((err as HarnessError).hint).toContain('https://api.clerk.com');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it.each([['mint'], ['templates']])('%s exits 2 with one line and no stack', async (command) => {
    const r = await cli([command], { CLERK_API_URL: urls.empty, CLERK_SECRET_KEY: KEY });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("CLERK_API_URL does not answer like Clerk's Backend API");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it.each([['empty'], ['huge'], ['garbage']])('emulator rotate against %s: not an emulator, exit 2, no "kid undefined"', async (name) => {
    const r = await cli(['emulator', 'rotate', '--url', urls[name], '--secret-key', KEY], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a clerk-harness emulator');
    expect(r.stdout).not.toContain('undefined');
  });

  it('the emulator and real-Clerk answers still pass the check', async () => {
    const source = await createTokenSource({ apiUrl: emu.url, secretKey: KEY, testUserEmail: 'a@example.com' });
    expect((await source.mint()).token.split('.')).toHaveLength(3);
    const r = await cli(['emulator', 'rotate', '--url', emu.url, '--secret-key', KEY], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/new kid ins_/);
  });
});
