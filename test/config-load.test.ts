import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { HarnessError } from '../src/errors.js';

function fails(environment: NodeJS.ProcessEnv, files: Record<string, string> = {}): HarnessError {
  const cwd = mkdtempSync(path.join(tmpdir(), 'config-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(cwd, f), text);
  try {
    loadConfig({ cwd, environment });
  } catch (e) {
    if (e instanceof HarnessError) return e;
    throw e;
  }
  throw new Error('expected a HarnessError');
}

describe('loadConfig', () => {
  it('refuses a private key pasted as CLERK_JWT_KEY without echoing it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const e = fails({ CLERK_JWT_KEY: pem });
    expect(e.message).toBe('CLERK_JWT_KEY is not well-formed');
    expect(e.hint).toMatch(/PUBLIC key \(never a private key\)/);
    expect(`${e.message}${e.hint}`).not.toContain('MIIEvg');
  });

  it('names the file a bad value came from, and shows a non-secret value on one line', () => {
    const e = fails({}, { '.env.local': 'TARGET_URL="localhost:8000\nx"\n' });
    expect(e.message).toBe('TARGET_URL (in .env.local) is not well-formed (got "localhost:8000\\nx")');
  });

  it('lets .env.local override .env and the environment override both', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'config-'));
    writeFileSync(path.join(cwd, '.env'), 'TARGET_URL=http://127.0.0.1:1\nCLERK_JWT_TEMPLATE=from-env\n');
    writeFileSync(path.join(cwd, '.env.local'), 'TARGET_URL=http://127.0.0.1:2\n');
    const c = loadConfig({ cwd, environment: { CLERK_JWT_TEMPLATE: 'from-process' } });
    expect(c.targetUrl).toBe('http://127.0.0.1:2');
    expect(c.jwtTemplate).toBe('from-process');
    expect(c.sources).toMatchObject({ TARGET_URL: '.env.local', CLERK_JWT_TEMPLATE: 'environment' });
  });
});
