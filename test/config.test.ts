/**
 * Configuration mistakes seen in the field, through the CLI's main() in this process with an
 * explicit environment (test/helpers/main-in-process.ts: nothing of the test process's leaks in):
 * each gives exit 2 and a one-line error that names the variable (and where it came from), plus
 * the fix; no stack, no secret echoed. (mint through the built CLI: mint-cli.test.ts's smoke test.)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'dotenv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { valueProblem } from '../src/config/placeholders.js';
import { VARIABLE_NAMES } from '../src/config/variables.js';
import { callMain } from './helpers/main-in-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const GOOD_KEY = 'sk_test_abcdefgh12345678';

async function mintWith(files: Record<string, string>, env: Record<string, string> = {}) {
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const r = await callMain(['mint'], { cwd: dir, env });
  const lines = r.stderr.trimEnd().split('\n');
  return { ...r, lines };
}

function expectOneLineError(r: { code: number | null; lines: string[]; stderr: string; stdout: string }) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.lines.length).toBeLessThanOrEqual(2); // the error, then "  fix: ..."
  if (r.lines[1] !== undefined) expect(r.lines[1]).toMatch(/^ {2}fix: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('configuration errors through the CLI', () => {
  it('a missing CLERK_SECRET_KEY is named, with where it was looked for and the fix', async () => {
    const r = await mintWith({});
    expectOneLineError(r);
    expect(r.lines[0]).toBe('clerk-harness mint: CLERK_SECRET_KEY is not set (looked in .env.local, .env and the environment)');
    expect(r.lines[1]).toContain('clerk-harness emulator --write-env .env.local');
  });

  it.each([
    ['a documentation placeholder', 'your_clerk_key_here'],
    ['an elided example key', 'sk_test_...'],
    ['an angle-bracket placeholder', '<CLERK_SECRET_KEY>'],
  ])('%s in .env.local is named without echoing the value', async (_what, value) => {
    const r = await mintWith({ '.env.local': `# local settings\nCLERK_SECRET_KEY=${value}\n` });
    expectOneLineError(r);
    expect(r.lines[0]).toMatch(/^clerk-harness mint: CLERK_SECRET_KEY \(in \.env\.local\) /);
    expect(r.lines[0]).not.toContain(value);
  });

  it('a pasted Markdown link is named as such', async () => {
    const r = await mintWith({ '.env': `CLERK_SECRET_KEY=${GOOD_KEY}\nCLERK_API_URL=[http://127.0.0.1:4600](http://127.0.0.1:4600)\n` });
    expectOneLineError(r);
    expect(r.lines[0]).toBe('clerk-harness mint: CLERK_API_URL (in .env) is a pasted Markdown link ([text](url)); paste the raw value instead');
  });

  it('a placeholder user id from the environment is named', async () => {
    const r = await mintWith({}, { CLERK_SECRET_KEY: GOOD_KEY, CLERK_TEST_USER_ID: '<USER_ID>' });
    expectOneLineError(r);
    expect(r.lines[0]).toMatch(/^clerk-harness mint: CLERK_TEST_USER_ID contains an angle-bracket placeholder$/);
  });

  it('the environment wins over .env.local', async () => {
    const r = await mintWith({ '.env.local': 'CLERK_SECRET_KEY=your_clerk_key_here\n' }, { CLERK_SECRET_KEY: GOOD_KEY, CLERK_API_URL: 'not a url' });
    expectOneLineError(r);
    expect(r.lines[0]).toBe('clerk-harness mint: CLERK_API_URL is not well-formed (got "not a url")');
  });
});

describe('.env.example', () => {
  const example = parse(readFileSync(new URL('../.env.example', import.meta.url), 'utf8'));

  it('documents exactly the variables the harness reads', () => {
    expect(Object.keys(example).sort()).toEqual([...VARIABLE_NAMES].sort());
  });

  it('holds placeholders only for secrets and ids, so a copied file fails loudly until filled in', () => {
    for (const name of ['CLERK_SECRET_KEY', 'CLERK_PUBLISHABLE_KEY', 'CLERK_TEST_USER_ID', 'CLERK_ISSUER', 'CLERK_JWT_KEY']) {
      expect(valueProblem(example[name]), name).toBeDefined();
    }
  });
});
