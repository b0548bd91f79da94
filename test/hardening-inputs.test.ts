/**
 * Issue 14, bad inputs: one table of (argv, files, environment) -> exit code and a fragment of the
 * one-line message; no stack trace, no hang. The CLI runs in-process through main(); every case
 * fails before any network is touched. Plus the reading layer (src/config/user-file.ts), env
 * files, suites and --persist shapes, byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMain } from './helpers/main-in-process.js';
import { readEnv } from '../src/config/env-files.js';
import { loadConfig } from '../src/config/load.js';
import { readUserFileSync, UserFileError } from '../src/config/user-file.js';
import { HarnessError } from '../src/errors.js';
import { loadSuite } from '../src/suite/load.js';
import { persistEnvVar, persistEnvVars, updateEnvText } from '../src/tokens/env-persist.js';

let dir: string;
let fifo: string | undefined;
const KEY = 'sk_test_hardening0123456789';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hardening-inputs-'));
  await mkdir(join(dir, 'a-dir'));
  await symlink(join(dir, 'nowhere.env'), join(dir, 'dangling.env'));
  await writeFile(join(dir, 'utf16.env'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('TARGET_URL=http://127.0.0.1:8000\n', 'utf16le')]));
  await writeFile(join(dir, 'job.json'), '{}');
  try {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    fifo = join(dir, 'fifo');
  } catch {
    fifo = undefined; // no mkfifo here: the FIFO rows are skipped
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function cli(argv: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return callMain(argv, { cwd: o.cwd ?? dir, env: o.env });
}

const suite = async (name: string, text: string) => {
  await writeFile(join(dir, name), text);
  return name;
};

describe('bad flags: exit 2, one message naming the flag, nothing minted or printed', () => {
  const env = { CLERK_SECRET_KEY: KEY, CLERK_API_URL: 'http://127.0.0.1:9' };
  const rows: Array<[string[], string]> = [
    [['mint', '--template', '../../etc'], 'not a JWT template name'],
    [['mint', '--template', '..'], 'not a JWT template name'],
    [['mint', '--persist', ''], '--persist needs a file name'],
    [['mint', '--persist', 'a-dir'], 'a-dir is a directory, not a regular file'],
    [['mint', '--persist', 'dangling.env'], 'dangling.env is a symlink to'],
    [['emulator', '--template', 'server-token:5'], 'lifetime must be 30 to 315360000 seconds'],
    [['emulator', '--template', 'x:99999999999'], 'lifetime must be 30 to 315360000 seconds'],
    [['emulator', '--clock-offset', '1e308'], '--clock-offset must be within'],
    [['emulator', '--authorized-party', 'not a url'], '--authorized-party must be an origin'],
    [['emulator', '--authorized-party', 'https://app.example.com/path'], '--authorized-party must be an origin'],
    [['emulator', '--port', '99999'], '--port must be 0-65535'],
    [['target', '--port', '99999'], '--port must be 0-65535'],
    [['target', '--env-file', 'a-dir'], 'env file a-dir is a directory'],
    [['target', '--env-file', 'utf16.env'], 'UTF-16'],
    [['doctor', '--timeout', '0'], '--timeout must be between 100 and 600000 ms'],
    [['doctor', '--timeout', '99999999999999'], '--timeout must be between 100 and 600000 ms'],
    [['doctor', '--target', 'http://127.0.0.1:99999'], 'a port is 1-65535'],
    [['doctor', '--target', 'http://[::1'], 'is not an http(s) URL'],
    [['doctor', '--target', `http://${'a'.repeat(1_000_000)}.com`], '(1000011 characters)'],
  ];
  it.each(rows.map(([argv, fragment]) => ({ argv, fragment, name: argv.join(' ').slice(0, 70) })))('$name', async ({ argv, fragment }) => {
    const r = await cli(argv, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(fragment);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(r.stdout).not.toMatch(/eyJ/);
  });
});

describe('files the user names are regular UTF-8 files, read with a bound', () => {
  it('refuses a directory, /dev/zero, a FIFO, a dangling symlink and UTF-16, saying which', () => {
    const problem = (file: string) => {
      try {
        readUserFileSync(file, { what: 'env file x' });
        return 'read';
      } catch (err) {
        expect(err).toBeInstanceOf(UserFileError);
        return `${(err as UserFileError).problem}: ${(err as Error).message}`;
      }
    };
    expect(problem(join(dir, 'a-dir'))).toMatch(/^not-a-file: env file x is a directory/);
    expect(problem('/dev/zero')).toMatch(/^not-a-file: .*a device/);
    if (fifo) expect(problem(fifo)).toMatch(/^not-a-file: .*a FIFO/);
    expect(problem(join(dir, 'dangling.env'))).toMatch(/^dangling-symlink: .*nowhere\.env, which does not exist/);
    expect(problem(join(dir, 'utf16.env'))).toMatch(/^encoding: .*UTF-16/);
    expect(problem(join(dir, 'job.json'))).toBe('read');
  });

  it('an env file that is a dangling symlink or UTF-16 is an ENV_FILE error, not "not set"', async () => {
    const cwd = await mkdtemp(join(dir, 'cfg-'));
    await symlink(join(cwd, 'gone'), join(cwd, '.env.local'));
    expect(() => readEnv({ cwd, environment: {} })).toThrow(/env file \.env\.local is a symlink to .*gone, which does not exist/);
    await rm(join(cwd, '.env.local'));
    await writeFile(join(cwd, '.env'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`CLERK_SECRET_KEY=${KEY}\n`, 'utf16le')]));
    const r = await cli(['mint'], { cwd, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('env file .env is UTF-16 encoded');
    expect(r.stderr).toContain('save it as UTF-8');
  });

  it('an empty variable in the environment does not hide the file\'s value, and says so when it matters', async () => {
    const cwd = await mkdtemp(join(dir, 'empty-'));
    await writeFile(join(cwd, '.env.local'), `CLERK_SECRET_KEY=${KEY}\nTARGET_URL=not-a-url\n`);
    const config = () => loadConfig({ cwd, environment: { CLERK_SECRET_KEY: '', TARGET_URL: '' }, require: ['CLERK_SECRET_KEY'] });
    expect(config).toThrow(/TARGET_URL \(in \.env\.local; the empty TARGET_URL in the environment is ignored\) is not well-formed/);
    await writeFile(join(cwd, '.env.local'), `CLERK_SECRET_KEY=${KEY}\n`);
    expect(config().clerkSecretKey).toBe(KEY);
    const missing = await mkdtemp(join(dir, 'none-'));
    expect(() => loadConfig({ cwd: missing, environment: { CLERK_SECRET_KEY: '' }, require: ['CLERK_SECRET_KEY'] })).toThrow(/set but empty in the environment, and not set in \.env\.local or \.env/);
  });

  it('a 1 MB value is echoed cut, with its length', () => {
    const err = (() => {
      try {
        loadConfig({ cwd: dir, environment: { TARGET_URL: `http://${'a'.repeat(1_000_000)} x` } });
      } catch (e) {
        return e as HarnessError;
      }
    })();
    expect(err?.message).toMatch(/\.\.\." \(1000009 characters\)/);
    expect(err!.message.length).toBeLessThan(200);
  });

  it('URL variables must be URLs Node can open (port range, IPv6 brackets)', () => {
    expect(() => loadConfig({ cwd: dir, environment: { CLERK_API_URL: 'http://127.0.0.1:99999' } })).toThrow(/CLERK_API_URL is not a URL Node can open .*a port is 1-65535/);
    expect(() => loadConfig({ cwd: dir, environment: { TARGET_URL: 'http://[::1' } })).toThrow(/TARGET_URL/);
  });
});

describe('suites: one error with file:line', () => {
  const fails = async (name: string, text: string) => {
    await suite(name, text);
    try {
      loadSuite(name, { cwd: dir });
    } catch (err) {
      expect(err).toBeInstanceOf(HarnessError);
      return (err as Error).message;
    }
    return 'loaded';
  };
  it.each([
    ['alias.yaml', 'name: t\nendpoints:\n  - *nope\n', 'alias.yaml:3: alias *nope has no anchor &nope'],
    ['headername.yaml', 'name: t\ntarget:\n  headers:\n    "X Bad": v\nendpoints: [{ method: GET, path: /x }]\n', 'headername.yaml:4: target.headers name "X Bad" is not a valid header name'],
    ['headervalue.yaml', 'name: t\ntarget:\n  headers:\n    X-Ok: "a\\r\\nInjected: 1"\nendpoints: [{ method: GET, path: /x }]\n', 'headervalue.yaml:4: target.headers.X-Ok must not contain CR, LF or NUL'],
    ['ct.yaml', 'name: t\nendpoints:\n  - { method: POST, path: /x, content_type: "a/b\\nX: y" }\n', 'ct.yaml:3: endpoints[0].content_type must not contain CR, LF or NUL'],
    ['port.yaml', 'name: t\ntarget: { base_url: "http://127.0.0.1:99999" }\nendpoints: [{ method: GET, path: /x }]\n', 'port.yaml:2: target.base_url "http://127.0.0.1:99999" is not a valid http(s) URL'],
    ['ipv6.yaml', 'name: t\ntarget: { base_url: "http://[::1" }\nendpoints: [{ method: GET, path: /x }]\n', 'ipv6.yaml:2: target.base_url'],
    ['bodydir.yaml', 'name: t\nendpoints:\n  - { method: POST, path: /x, body: a-dir }\n', 'endpoints[0].body: fixture a-dir is a directory, not a regular file'],
    ['bodyzero.yaml', 'name: t\nendpoints:\n  - { method: POST, path: /x, body: /dev/zero }\n', 'fixture /dev/zero is a device'],
  ])('%s', async (name, text, fragment) => {
    expect(await fails(name, text)).toContain(fragment);
  });

  it('an alias bomb stops at the alias bound, fast', async () => {
    const lines = ['name: t', 'a0: &a0 [x,x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
    lines.push('endpoints: [{method: GET, path: /x}]');
    const started = performance.now();
    expect(await fails('bomb.yaml', lines.join('\n') + '\n')).toMatch(/bomb\.yaml:3: its aliases expand to more than 1000 nodes/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a suite that is a directory, /dev/zero or a FIFO is refused before reading', async () => {
    expect(() => loadSuite('a-dir', { cwd: dir })).toThrow(/suite file a-dir is a directory/);
    expect(() => loadSuite('/dev/zero', { cwd: dir })).toThrow(/is a device/);
    if (fifo) expect(() => loadSuite(fifo!, { cwd: dir })).toThrow(/is a FIFO/);
  });
});

describe('mint --persist never damages the rest of the file', () => {
  const T = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2ln';
  it.each([
    ['another variable\'s multi-line value holding CLERK_TOKEN=', 'A="line1\nCLERK_TOKEN=inner\n"\nB=2\n', 'A="line1\nCLERK_TOKEN=inner\n"\nB=2\nCLERK_TOKEN=' + T + '\n'],
    ['an unterminated quote (dotenv reads one line)', 'CLERK_TOKEN="abc\nB=2\nC=3\n', `CLERK_TOKEN=${T}\nB=2\nC=3\n`],
    ['single quotes followed by other lines', "CLERK_TOKEN='old'\nB='x'\n", `CLERK_TOKEN='${T}'\nB='x'\n`],
    ['the KEY: value form', 'CLERK_TOKEN: old\nB=2\n', `CLERK_TOKEN: ${T}\nB=2\n`],
    ['a multi-line token value', 'CLERK_TOKEN="a\nb"\nB=2\n', `CLERK_TOKEN="${T}"\nB=2\n`],
    ['spaces before a comment', 'CLERK_TOKEN=old   # note\r\nB=2\r\n', `CLERK_TOKEN=${T}   # note\r\nB=2\r\n`],
  ])('%s', (_what, before, after) => {
    const { text } = updateEnvText(before, { CLERK_TOKEN: T });
    expect(text).toBe(after);
    const { CLERK_TOKEN: _old, ...rest } = parse(before);
    const { CLERK_TOKEN: token, ...restAfter } = parse(text);
    expect(token).toBe(T);
    expect(restAfter).toEqual(rest);
  });

  it('non-UTF-8 bytes elsewhere survive byte for byte', async () => {
    const file = join(dir, 'latin1.env');
    const before = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\nCLERK_TOKEN=old\nNAME=\xc3\n')]);
    await writeFile(file, before);
    await persistEnvVar(file, 'CLERK_TOKEN', T);
    const after = await readFile(file);
    expect(after.equals(Buffer.from(before.toString('latin1').replace('CLERK_TOKEN=old', `CLERK_TOKEN=${T}`), 'latin1'))).toBe(true);
  });

  it('refuses a read-only file and leaves it as it was', async () => {
    if (process.getuid?.() === 0) return; // root can write anything
    const file = join(dir, 'ro.env');
    await writeFile(file, 'CLERK_TOKEN=old\n');
    await chmod(file, 0o400);
    await expect(persistEnvVar(file, 'CLERK_TOKEN', T)).rejects.toMatchObject({ code: 'ENV_FILE', message: expect.stringContaining('is read-only; refused') });
    expect(await readFile(file, 'utf8')).toBe('CLERK_TOKEN=old\n');
  });

  it('concurrent writers of different variables lose nothing (the file is locked)', async () => {
    const file = join(dir, 'race.env');
    await writeFile(file, 'KEEP=1\n');
    await Promise.all(Array.from({ length: 12 }, (_, i) => persistEnvVars(file, { [`V${i}`]: `value${i}` })));
    const values = parse(await readFile(file, 'utf8'));
    expect(values.KEEP).toBe('1');
    for (let i = 0; i < 12; i++) expect(values[`V${i}`]).toBe(`value${i}`);
  });
});
