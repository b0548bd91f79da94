/**
 * Conformance backends: two real third-party-style servers (FastAPI + PyJWT, Express +
 * @clerk/express) started as child processes on 127.0.0.1, with FAULTS switches that inject the
 * misconfigurations users really make. The harness is judged against them, so nothing here
 * imports from src/: they only get env values (emulatorEnv) and tokens over HTTP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian interpreter: the Debian python3-* packages are installed for it, not for pyenv's. */
export const PYTHON = '/usr/bin/python3';
const FASTAPI_DIR = fileURLToPath(new URL('./fastapi/', import.meta.url));
const EXPRESS_SERVER = fileURLToPath(new URL('./express/server.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Authorization faults of GET/DELETE /jobs/{job_id}, the same three in both backends (and in the
 * reference target's AUTHZ_FLAWS): skip-ownership-check (another user's job is served; an admin of
 * any organization deletes), skip-role-check (DELETE needs only a signed-in user),
 * wrong-refusal-status (authorization refusals answer 401 instead of 403/404).
 */
export const AUTHZ_FAULTS = ['skip-ownership-check', 'skip-role-check', 'wrong-refusal-status'] as const;
export type AuthzFault = (typeof AUTHZ_FAULTS)[number];

export const FASTAPI_FAULTS = [
  'accept-expired',
  'no-signature-check',
  'alg-none',
  'issuer-unchecked',
  'require-aud',
  'require-email',
  'no-leeway',
  'audit-no-iat',
  'audit-none',
  'audit-wrong-user',
  'status-200',
  'forbid-missing-header',
  'env-not-loaded',
  'no-exp-required',
  ...AUTHZ_FAULTS,
] as const;
export type FastapiFault = (typeof FASTAPI_FAULTS)[number];

export const EXPRESS_FAULTS = [
  'authorized-parties',
  'issuer-check',
  'issuer-trailing-slash',
  'secret-key-missing',
  'publishable-key-missing',
  'check-auth-object',
  'audit-no-iat',
  'audit-none',
  'audit-wrong-user',
  'status-200',
  ...AUTHZ_FAULTS,
] as const;
export type ExpressFault = (typeof EXPRESS_FAULTS)[number];

export interface BackendOptions {
  /** FastAPI: written to a temp .env.local (read by python-dotenv). Express: the process env. */
  env: Record<string, string>;
  /** FAULTS switches (FASTAPI_FAULTS / EXPRESS_FAULTS); an unknown name makes the backend refuse to start. */
  faults?: readonly string[];
  /** Where audit_YYYYMMDD.jsonl goes; default a temp dir removed by stop(). */
  auditDir?: string;
}

export interface RunningBackend {
  url: string;
  auditDir: string;
  /** FastAPI only: the .env.local the app loaded. */
  envFile?: string;
  pid: number;
  /** What the child wrote to stderr so far (uvicorn / Node logs), for failure messages. */
  stderr(): string;
  /** Kill the child (SIGTERM, then SIGKILL), wait for it, remove temp dirs. Idempotent. */
  stop(): Promise<void>;
}

const PY_MODULES: Array<[module: string, debianPackage: string]> = [
  ['fastapi', 'python3-fastapi'],
  ['uvicorn', 'python3-uvicorn'],
  ['jwt', 'python3-jwt'],
  ['dotenv', 'python3-dotenv'],
  ['cryptography', 'python3-cryptography'],
];

let pythonCheck: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether /usr/bin/python3 can import what the FastAPI backend needs; the reason names the Debian packages. */
export function pythonAvailable(): { ok: true } | { ok: false; reason: string } {
  if (pythonCheck) return pythonCheck;
  const script = [
    'import importlib, sys',
    `mods = ${JSON.stringify(PY_MODULES.map(([m]) => m))}`,
    'missing = []',
    'for m in mods:',
    '    try:',
    '        importlib.import_module(m)',
    '    except Exception:',
    '        missing.append(m)',
    'print(",".join(missing))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-B', '-c', script], { encoding: 'utf8', timeout: 15_000 });
  const all = PY_MODULES.map(([, p]) => p).join(' ');
  if (r.error || r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : `exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`;
    pythonCheck = { ok: false, reason: `${PYTHON} unusable (${why}); install Debian packages: python3 ${all}` };
    return pythonCheck;
  }
  const missing = r.stdout.trim().split(',').filter(Boolean);
  pythonCheck = missing.length
    ? { ok: false, reason: `${PYTHON} cannot import ${missing.join(', ')}; install Debian package(s): ${missing.map((m) => PY_MODULES.find(([n]) => n === m)![1]).join(' ')}` }
    : { ok: true };
  return pythonCheck;
}

/** dotenv syntax python-dotenv and the dotenv npm package both read: double quotes, \n escapes. */
export function envFileText(env: Record<string, string>): string {
  const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
  return Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join('\n') + '\n';
}

interface SpawnInput {
  label: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  auditDir: string;
  envFile?: string;
  cleanup: string[];
}

function waitForListening(child: ChildProcess, label: string, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${label}: no "LISTENING <port>" line within ${START_TIMEOUT_MS} ms; stderr:\n${stderr()}`)), START_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`${label} exited (${signal ?? code}) before listening; stderr:\n${stderr()}`));
    const onError = (err: Error) => fail(new Error(`${label} could not start: ${err.message}`));
    function done() {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    function fail(err: Error) {
      done();
      reject(err);
    }
    child.on('exit', onExit);
    child.on('error', onError);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^LISTENING (\d+)\s*$/m.exec(out);
      if (m) {
        done();
        resolve(Number(m[1]));
      }
    });
  });
}

async function spawnBackend(input: SpawnInput): Promise<RunningBackend> {
  const child = spawn(input.command, input.args, { cwd: input.cwd, env: input.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stderr = () => err;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(killer);
      }
      await Promise.all(input.cleanup.map((d) => rm(d, { recursive: true, force: true })));
    })());

  try {
    const port = await waitForListening(child, input.label, stderr);
    return { url: `http://127.0.0.1:${port}`, auditDir: input.auditDir, envFile: input.envFile, pid: child.pid!, stderr, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function prepareDirs(prefix: string, auditDir: string | undefined): Promise<{ dir: string; auditDir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const audit = auditDir ?? path.join(dir, 'logs', 'audit', 'jobs');
  await mkdir(audit, { recursive: true });
  return { dir, auditDir: audit };
}

/**
 * The FastAPI + PyJWT backend (test/conformance/fastapi). `env` goes ONLY to .env.local, so the
 * env-not-loaded fault really leaves the PEM unset; FAULTS and AUDIT_DIR go to the process env.
 * With require-aud and no CLERK_JWT_AUDIENCE, the seeds' line CLERK_JWT_AUDIENCE=<issuer> is added.
 */
export async function startFastapiBackend(opts: BackendOptions): Promise<RunningBackend> {
  const check = pythonAvailable();
  if (!check.ok) throw new Error(`FastAPI backend unavailable: ${check.reason}`);
  const faults = opts.faults ?? [];
  const { dir, auditDir } = await prepareDirs('conformance-fastapi-', opts.auditDir);
  const env = { ...opts.env };
  if (faults.includes('require-aud') && env.CLERK_JWT_AUDIENCE === undefined && env.CLERK_ISSUER) env.CLERK_JWT_AUDIENCE = env.CLERK_ISSUER;
  const envFile = path.join(dir, '.env.local');
  await writeFile(envFile, envFileText(env));
  return spawnBackend({
    label: 'FastAPI backend',
    command: PYTHON,
    args: ['-B', path.join(FASTAPI_DIR, 'serve.py')],
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      APP_ENV_FILE: envFile,
      AUDIT_DIR: auditDir,
      FAULTS: faults.join(','),
    },
    auditDir,
    envFile,
    cleanup: [dir],
  });
}

/** The Express + @clerk/express backend (test/conformance/express/server.mjs); `env` is its process env. */
export async function startExpressBackend(opts: BackendOptions): Promise<RunningBackend> {
  const { dir, auditDir } = await prepareDirs('conformance-express-', opts.auditDir);
  return spawnBackend({
    label: 'Express backend',
    command: process.execPath,
    args: [EXPRESS_SERVER],
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      CLERK_TELEMETRY_DISABLED: '1',
      ...opts.env,
      AUDIT_DIR: auditDir,
      FAULTS: (opts.faults ?? []).join(','),
    },
    auditDir,
    cleanup: [dir],
  });
}

/** The audit lines written so far today (UTC), parsed; [] when the file does not exist yet. */
export async function readAuditLines(auditDir: string, date: Date = new Date()): Promise<Array<Record<string, unknown>>> {
  const day = date.toISOString().slice(0, 10).replaceAll('-', '');
  try {
    const text = await readFile(path.join(auditDir, `audit_${day}.jsonl`), 'utf8');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
