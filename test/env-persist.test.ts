/** persistEnvVar edits only the lines it must, atomically, keeping style, line endings and mode. */
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEnvValue, persistEnvVar, persistEnvVars, updateEnvText } from '../src/tokens/env-persist.js';

const PEM = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\nIDAQAB\n-----END PUBLIC KEY-----';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-env-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('updateEnvText', () => {
  it('replaces in place keeping prefix, quote style, inline comment and CRLF', () => {
    const text = '\uFEFF# Clerk\r\nexport CLERK_TOKEN="old" # refreshed by mint\r\nOTHER=\'x\'\r\n\r\nLAST=1';
    const { text: out, actions } = updateEnvText(text, { CLERK_TOKEN: 'eyJ.new.sig' });
    expect(out).toBe('\uFEFF# Clerk\r\nexport CLERK_TOKEN="eyJ.new.sig" # refreshed by mint\r\nOTHER=\'x\'\r\n\r\nLAST=1');
    expect(actions).toEqual({ CLERK_TOKEN: 'replaced' });
  });

  it('appends with the file\'s line ending, adding one when the last line has none', () => {
    expect(updateEnvText('A=1\r\nB=2', { CLERK_TOKEN: 't' }).text).toBe('A=1\r\nB=2\r\nCLERK_TOKEN=t\r\n');
    expect(updateEnvText('', { CLERK_TOKEN: 't' }).text).toBe('CLERK_TOKEN=t\n');
    expect(updateEnvText('# CLERK_TOKEN=commented\n', { CLERK_TOKEN: 't' }).text).toBe('# CLERK_TOKEN=commented\nCLERK_TOKEN=t\n');
  });

  it('replaces a multi-line quoted PEM as a whole and dotenv reads the new value back', () => {
    const text = 'CLERK_JWT_KEY="-----BEGIN PUBLIC KEY-----\nOLD\n-----END PUBLIC KEY-----"\nNEXT=keep\n';
    const { text: out } = updateEnvText(text, { CLERK_JWT_KEY: PEM });
    expect(out.split('\n')).toHaveLength(3);
    expect(parse(out)).toEqual({ CLERK_JWT_KEY: PEM, NEXT: 'keep' });
  });

  it('formats values dotenv parses back unchanged', () => {
    for (const v of ['eyJhbGc.eyJzdWIi.sig-_', 'a b', 'has"quote', "it's", PEM]) {
      expect(parse(`X=${formatEnvValue(v)}\n`).X).toBe(v);
      expect(parse(`X=${formatEnvValue(v, "'")}\n`).X).toBe(v);
    }
    expect(formatEnvValue('plain')).toBe('plain');
  });
});

describe('persistEnvVar', () => {
  it('creates a missing file with mode 0600', async () => {
    const file = path.join(dir, 'new.env');
    const result = await persistEnvVar(file, 'CLERK_TOKEN', 'abc');
    expect(result.created).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('CLERK_TOKEN=abc\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps the mode, leaves no temp file, and writes through a symlink', async () => {
    const real = path.join(dir, 'real.env');
    await writeFile(real, "# keep me\nCLERK_TOKEN='old'\n");
    await chmod(real, 0o640);
    const link = path.join(dir, 'link.env');
    await symlink(real, link);
    await persistEnvVars(link, { CLERK_TOKEN: 'new', EXTRA: 'x y' });
    expect(await readFile(real, 'utf8')).toBe("# keep me\nCLERK_TOKEN='new'\nEXTRA=\"x y\"\n");
    expect((await stat(real)).mode & 0o777).toBe(0o640);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fails with an ENV_FILE error naming the file when the directory is missing', async () => {
    await expect(persistEnvVar(path.join(dir, 'no/such/dir/.env'), 'A', 'b')).rejects.toMatchObject({ code: 'ENV_FILE', message: expect.stringContaining('no/such/dir/.env') });
  });
});
