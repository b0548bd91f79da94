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

/** A backend's process as spawnBackend needs it: a spawned child, or a child forked by the FastAPI zygote. */
interface BackendProcess {
  readonly pid: number | undefined;
  /** Resolves once the process has exited; undefined while it runs. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): () => void;
  onError(cb: (err: Error) => void): () => void;
  onStdout(cb: (text: string) => void): void;
  onStderr(cb: (text: string) => void): void;
  kill(signal: NodeJS.Signals): void;
}

function spawned(child: ChildProcess): BackendProcess {
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  return {
    get pid() {
      return child.pid;
    },
    exitStatus: () => (child.exitCode !== null || child.signalCode !== null ? { code: child.exitCode, signal: child.signalCode } : undefined),
    onExit(cb) {
      child.on('exit', cb);
      return () => child.off('exit', cb);
    },
    onError(cb) {
      child.on('error', cb);
      return () => child.off('error', cb);
    },
    onStdout: (cb) => void child.stdout!.on('data', cb),
    onStderr: (cb) => void child.stderr!.on('data', cb),
    kill: (signal) => void child.kill(signal),
  };
}

function waitForListening(child: BackendProcess, label: string, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let listening = false;
    const timer = setTimeout(() => fail(new Error(`${label}: no "LISTENING <port>" line within ${START_TIMEOUT_MS} ms; stderr:\n${stderr()}`)), START_TIMEOUT_MS);
    const offExit = child.onExit((code, signal) => fail(new Error(`${label} exited (${signal ?? code}) before listening; stderr:\n${stderr()}`)));
    const offError = child.onError((err) => fail(new Error(`${label} could not start: ${err.message}`)));
    function done() {
      listening = true;
      clearTimeout(timer);
      offExit();
      offError();
    }
    function fail(err: Error) {
      done();
      reject(err);
    }
    child.onStdout((d: string) => {
      if (listening) return;
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
  return startBackendProcess(input, spawned(spawn(input.command, input.args, { cwd: input.cwd, env: input.env, stdio: ['ignore', 'pipe', 'pipe'] })));
}

async function startBackendProcess(input: Omit<SpawnInput, 'command' | 'args'>, child: BackendProcess): Promise<RunningBackend> {
  let err = '';
  child.onStderr((d: string) => (err += d));
  const stderr = () => err;
  const exited = new Promise<void>((resolve) => {
    if (child.exitStatus()) resolve();
    else child.onExit(() => resolve());
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (!child.exitStatus()) {
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

/**
 * The FastAPI backends' zygote (fastapi_zygote.py): one Python process per test worker that has
 * imported uvicorn, FastAPI, pydantic, PyJWT, python-dotenv and cryptography once, and forks a
 * child per backend that runs serve.py (and imports the app) on its own. Each backend is still its
 * own process with its own pid, env, cwd, stdout and stderr; this saves the ~0.4 s of CPU each
 * `python3 serve.py` spent on those imports. The zygote is unref'd while no backend runs, ends
 * when its stdin closes (this process exited) and is sent SIGTERM from an 'exit' hook; it stops its
 * children first, and they get SIGKILL if it dies (PR_SET_PDEATHSIG).
 */
const ZYGOTE = fileURLToPath(new URL('./fastapi_zygote.py', import.meta.url));

interface ForkedChild {
  started(): void;
  /** Everything the child wrote so far: a listener added late is given it first. */
  out: string;
  err: string;
  stdout: Array<(t: string) => void>;
  stderr: Array<(t: string) => void>;
  exit: Set<(code: number | null, signal: NodeJS.Signals | null) => void>;
  error: Set<(err: Error) => void>;
  pid?: number;
  status?: { code: number | null; signal: NodeJS.Signals | null };
}

class Zygote {
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly forks = new Map<number, ForkedChild>();
  private nextId = 1;
  private running = 0;
  private log = '';
  dead = false;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(PYTHON, ['-B', ZYGOTE, path.join(FASTAPI_DIR, 'serve.py')], { cwd: FASTAPI_DIR, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    let buffered = '';
    let onReady: () => void = () => {};
    let onFailed: (e: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFailed = reject)));
    this.ready.catch(() => {}); // reported to each start()
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffered.slice(0, nl)) as [string, ...unknown[]];
        buffered = buffered.slice(nl + 1);
        if (msg[0] === 'ready') onReady();
        else this.dispatch(msg);
      }
    });
    const gone = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      const err = new Error(`FastAPI zygote (${PYTHON} ${ZYGOTE}) ${why}; stderr:\n${this.log}`);
      onFailed(err);
      // Its children got SIGKILL (PR_SET_PDEATHSIG): report them as such.
      for (const [id, f] of [...this.forks]) {
        for (const cb of [...f.error]) cb(err);
        this.exited(id, f, null, 'SIGKILL');
      }
    };
    this.child.on('error', (e) => gone(`could not start: ${e.message}`));
    this.child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.child.stdin!.on('error', () => {}); // EPIPE once it is gone: reported by 'exit'
    this.unref();
  }

  private ref() {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private unref() {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stderr as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }

  private send(msg: unknown[]) {
    this.child.stdin!.write(JSON.stringify(msg) + '\n');
  }

  private exited(id: number, f: ForkedChild, code: number | null, signal: NodeJS.Signals | null) {
    if (f.status) return;
    f.status = { code, signal };
    this.forks.delete(id);
    if (--this.running === 0) this.unref();
    for (const cb of [...f.exit]) cb(code, signal);
  }

  private dispatch(msg: [string, ...unknown[]]) {
    const id = msg[1] as number;
    const f = this.forks.get(id);
    if (!f) return;
    if (msg[0] === 'started') {
      f.pid = msg[2] as number;
      f.started();
    }
    else if (msg[0] === 'out') {
      f.out += msg[2] as string;
      for (const cb of f.stdout) cb(msg[2] as string);
    } else if (msg[0] === 'err') {
      f.err += msg[2] as string;
      for (const cb of f.stderr) cb(msg[2] as string);
    }
    else if (msg[0] === 'exit') {
      this.send(['reap', id]); // the pid stayed a zombie until now: never signalled once reused
      this.exited(id, f, msg[2] as number | null, msg[3] as NodeJS.Signals | null);
    }
  }

  /** Fork a backend: serve.py in `cwd` with exactly `env`. */
  async start(cwd: string, env: NodeJS.ProcessEnv): Promise<BackendProcess> {
    if (this.running++ === 0) this.ref(); // kept referenced from here, as a spawned child would be
    try {
      await this.ready;
    } catch (e) {
      if (--this.running === 0) this.unref();
      throw e;
    }
    const id = this.nextId++;
    let started: () => void = () => {};
    const whenStarted = new Promise<void>((resolve) => (started = resolve));
    const f: ForkedChild = { started, out: '', err: '', stdout: [], stderr: [], exit: new Set([() => started()]), error: new Set() };
    this.forks.set(id, f);
    this.send(['start', id, cwd, env]);
    await whenStarted; // or it exited (the zygote died): exitStatus() then says so
    return {
      get pid() {
        return f.pid;
      },
      exitStatus: () => f.status,
      onExit(cb) {
        if (f.status) {
          const { code, signal } = f.status;
          let off = false;
          queueMicrotask(() => off || cb(code, signal));
          return () => (off = true);
        }
        f.exit.add(cb);
        return () => f.exit.delete(cb);
      },
      onError(cb) {
        f.error.add(cb);
        return () => f.error.delete(cb);
      },
      onStdout: (cb) => {
        if (f.out) cb(f.out);
        f.stdout.push(cb);
      },
      onStderr: (cb) => {
        if (f.err) cb(f.err);
        f.stderr.push(cb);
      },
      kill: (signal) => {
        if (f.pid !== undefined && !f.status) process.kill(f.pid, signal);
      },
    };
  }

  stop() {
    if (!this.dead) this.child.kill('SIGTERM');
  }
}

let zygote: Zygote | undefined;

function fastapiZygote(env: NodeJS.ProcessEnv): Zygote {
  if (!zygote || zygote.dead) {
    zygote = new Zygote(env);
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', () => zygote?.stop());
    }
  }
  return zygote;
}
let exitHooked = false;

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
  // The zygote's own environment: the one every backend gets, without the per-backend variables.
  const base = { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  const input = {
    label: 'FastAPI backend',
    cwd: dir,
    env: { ...base, APP_ENV_FILE: envFile, AUDIT_DIR: auditDir, FAULTS: faults.join(',') },
    auditDir,
    envFile,
    cleanup: [dir],
  };
  // CONFORMANCE_FASTAPI_SPAWN=1: a fresh `python3 -B serve.py` per backend instead (to compare, or
  // to rule the zygote out when a backend misbehaves).
  if (process.env.CONFORMANCE_FASTAPI_SPAWN === '1') return spawnBackend({ ...input, command: PYTHON, args: ['-B', path.join(FASTAPI_DIR, 'serve.py')] });
  let child: BackendProcess;
  try {
    // `python3 -B serve.py` in `dir` with exactly input.env, forked from the zygote.
    child = await fastapiZygote(base).start(input.cwd, input.env);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${input.label} could not start: ${(e as Error).message}`);
  }
  return startBackendProcess(input, child);
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
