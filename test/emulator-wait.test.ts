/**
 * `emulator wait`'s check against a real emulator: only a file whose URL, secret key and PEM are the
 * running emulator's passes. Every stale variant is refused with the line that is stale named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { Emulator } from '../src/emulator/types.js';
import { checkEmulatorSettings, checkEnvFile, pollUntil } from '../src/emulator/wait.js';
import { envFileText } from './conformance/backends.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({});
});
afterAll(async () => {
  await emulator?.stop();
});

function fileWith(env: Record<string, string>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'emulator-wait-')), '.env.local');
  writeFileSync(file, `APP_NAME=mine\n${envFileText(env)}`);
  return file;
}

describe('emulator wait: checkEnvFile', () => {
  it('passes for the lines the running emulator wrote, and names its kid', async () => {
    const out = await checkEnvFile(fileWith(emulator.env()), '.env.local');
    expect(out).toEqual({ ok: true, url: emulator.url, kid: emulator.currentKey().kid });
  });

  it('a missing file, or a file without the URL yet, is "not yet"', async () => {
    expect(await checkEnvFile('/nonexistent/.env.local', '.env.local')).toEqual({ ok: false, reason: '.env.local does not exist yet' });
    expect(await checkEmulatorSettings('.env.local', { APP_NAME: 'mine' })).toEqual({ ok: false, reason: '.env.local has no CLERK_API_URL line yet' });
  });

  it('an earlier emulator\'s secret key is stale', async () => {
    const out = await checkEnvFile(fileWith({ ...emulator.env(), CLERK_SECRET_KEY: 'sk_test_earlierEmulatorKey123' }), '.env.local');
    expect(out).toEqual({ ok: false, reason: `the emulator at ${emulator.url} refuses the CLERK_SECRET_KEY in .env.local: the file is stale (written by an earlier emulator)` });
  });

  it('a PEM from before a rotation is stale, under either name', async () => {
    const before = emulator.env();
    await emulator.rotateKey();
    const out = await checkEnvFile(fileWith(before), '.env.local');
    expect(out.ok).toBe(false);
    expect(!out.ok && out.reason).toMatch(/^CLERK_JWT_KEY in \.env\.local is not a key the emulator at .* serves \(kid ins_\w+\): the file is stale/);
    const onlyPem: Record<string, string> = { ...emulator.env(), CLERK_PEM_PUBLIC_KEY: before.CLERK_PEM_PUBLIC_KEY! };
    delete onlyPem.CLERK_JWT_KEY;
    const out2 = await checkEnvFile(fileWith(onlyPem), '.env.local');
    expect(!out2.ok && out2.reason).toMatch(/^CLERK_PEM_PUBLIC_KEY in \.env\.local is not a key/);
    expect((await checkEnvFile(fileWith(emulator.env()))).ok).toBe(true);
  });

  it('something else on the URL is not an emulator; nothing there is "no emulator answers"', async () => {
    const other = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      const out = await checkEmulatorSettings('.env.local', { ...emulator.env(), CLERK_API_URL: url });
      expect(out).toEqual({ ok: false, reason: `${url} (CLERK_API_URL in .env.local) answered 200 but is not a clerk-harness emulator` });
    } finally {
      await new Promise((r) => other.close(r));
    }
    const gone = await checkEmulatorSettings('.env.local', { ...emulator.env(), CLERK_API_URL: url });
    expect(!gone.ok && gone.reason).toMatch(new RegExp(`^no emulator answers at ${url} .*connection refused`));
  });

  it('pollUntil repeats until the check passes, and gives the last outcome at the deadline', async () => {
    let n = 0;
    const passing = await pollUntil(async () => (++n < 3 ? { ok: false, reason: 'not yet' } : { ok: true, url: 'u', kid: 'k' }), 5000, 10);
    expect([passing.ok, n]).toEqual([true, 3]);
    const failing = await pollUntil(async () => ({ ok: false, reason: `try ${++n}` }), 50, 10);
    expect(failing.ok).toBe(false);
    expect(n).toBeGreaterThan(4);
  });
});
