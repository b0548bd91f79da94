/**
 * Fixtures for doctor's end-to-end tests: an emulator, a reference target per scenario, a temp
 * directory with the backend's env file, and doctor run in-process through the CLI's main().
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../src/cli/main.js';
import type { DoctorReport } from '../src/doctor/types.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startReferenceTarget } from '../src/target/reference.js';
import type { ReferenceTarget, ReferenceTargetOptions } from '../src/target/types.js';

export interface World {
  emulator: Emulator;
  dir: string;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const emulator = await startEmulator();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'clerk-harness-doctor-'));
  return {
    emulator,
    dir,
    async stop() {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Env-file text: values in double quotes, newlines written as \n (dotenv expands them). */
export function envText(values: Record<string, string | undefined>): string {
  return (
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}="${v!.replace(/\n/g, '\\n')}"`)
      .join('\n') + '\n'
  );
}

/** The backend's env file as the emulator prints it, with overrides (undefined removes a key). */
export async function writeBackendEnv(world: World, overrides: Record<string, string | undefined> = {}, name = 'backend.env'): Promise<string> {
  const file = path.join(world.dir, name);
  await writeFile(file, envText({ ...world.emulator.env(), ...overrides }));
  return file;
}

/** A reference target trusting the emulator (JWKS via the secret key unless jwtKey is given). */
export async function startTarget(world: World, options: Partial<ReferenceTargetOptions> = {}): Promise<ReferenceTarget> {
  return startReferenceTarget({
    apiUrl: world.emulator.url,
    secretKey: world.emulator.secretKey,
    auditDir: path.join(world.dir, 'audit'),
    ...options,
  });
}

export interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
  report?: DoctorReport;
}

/** Run `clerk-harness doctor` in-process; --json unless `text` is set. */
export async function runDoctorCli(world: World, args: string[], options: { text?: boolean; env?: Record<string, string> } = {}): Promise<DoctorRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk, _e, cb) { append(chunk.toString()); cb(); } });
  const code = await main(['doctor', ...args, ...(options.text ? [] : ['--json'])], {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    cwd: world.dir,
    // The harness's own config: mint from the emulator. Nothing from the developer's environment.
    env: { CLERK_SECRET_KEY: world.emulator.secretKey, CLERK_API_URL: world.emulator.url, NO_COLOR: '1', ...options.env },
  });
  return { code, stdout, stderr, report: options.text ? undefined : (JSON.parse(stdout) as DoctorReport) };
}
