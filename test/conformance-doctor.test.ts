/**
 * `doctor` on backends it did not write (issue 9): the FastAPI + PyJWT app of the documents and an
 * Express app behind @clerk/express. Expected results written from the documents' troubleshooting
 * matrix (001_…txt "Quick Troubleshooting Decision Tree", 000_…txt "Troubleshooting Matrix") and
 * the libraries' behaviour before running: every correct setup exits 0; each misconfiguration
 * exits 1 with the right root cause first. Every test starts its own backend (own env file and
 * audit dir) and shares only the emulator, so they overlap (describe.concurrent): most of their
 * time is a Python or node backend starting up.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonAvailable, startExpressBackend, startFastapiBackend, type RunningBackend } from './conformance/backends.js';
import { envText, runDoctorCli, startWorld, type World } from './doctor-e2e-helpers.js';
import { writeSuite } from './conformance-helpers.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

const py = pythonAvailable();
if (!py.ok) console.warn(`conformance-doctor: FastAPI + PyJWT backend tests skipped: ${py.reason}`);

/** The backend's own env file (what it loads), doctor pointed at it, its audit root, POST /jobs. */
async function doctorOn(backend: RunningBackend, envFile: string) {
  const auditRoot = path.dirname(backend.auditDir); // backend writes <root>/jobs/audit_YYYYMMDD.jsonl
  return runDoctorCli(world, ['--target', backend.url, '--env-file', envFile, '--audit-dir', auditRoot, '--endpoint', 'POST /jobs']);
}

function firstCause(run: Awaited<ReturnType<typeof runDoctorCli>>): string | undefined {
  const r = run.report as unknown as { rootCauses?: Array<{ cause?: string; id?: string }> };
  const c = r.rootCauses?.[0];
  return c?.cause ?? c?.id;
}

function failed(run: Awaited<ReturnType<typeof runDoctorCli>>): string {
  const r = run.report as unknown as { checks?: Array<{ id: string; status: string; says?: string; message?: string }> };
  return (r.checks ?? []).filter((c) => c.status !== 'pass').map((c) => `${c.id} ${c.status}: ${c.says ?? c.message ?? ''}`).join('\n');
}

describe.skipIf(!py.ok)(`doctor on the FastAPI + PyJWT backend${py.ok ? '' : ` — skipped: ${py.reason}`}`, { concurrent: true }, () => {
  it('correct PEM-only env (no CLERK_SECRET_KEY in the backend env): exit 0', async () => {
    const env = world.emulator.env();
    const pemOnly = { CLERK_ISSUER: env.CLERK_ISSUER!, CLERK_PEM_PUBLIC_KEY: env.CLERK_PEM_PUBLIC_KEY! };
    const backend = await startFastapiBackend({ env: pemOnly });
    try {
      const run = await doctorOn(backend, backend.envFile!);
      expect(run.code, failed(run)).toBe(0);
    } finally {
      await backend.stop();
    }
  }, 60_000);

  it('correct full env: exit 0', async () => {
    const backend = await startFastapiBackend({ env: world.emulator.env() });
    try {
      const run = await doctorOn(backend, backend.envFile!);
      expect(run.code, failed(run)).toBe(0);
    } finally {
      await backend.stop();
    }
  }, 60_000);

  it.each([
    // fault, the first root cause the documents name for its symptom
    ['env-not-loaded', 'env-not-loaded'],
    ['require-aud', 'aud-required'],
    ['require-email', 'email-required'],
    ['audit-none', 'audit-not-written'],
    ['audit-no-iat', 'audit-unattributed'],
    ['audit-wrong-user', 'audit-unattributed'],
    ['forbid-missing-header', 'forbid-missing-header'],
  ])('%s: exit 1, first cause %s', async (fault, cause) => {
    const backend = await startFastapiBackend({ env: world.emulator.env(), faults: [fault] });
    try {
      const run = await doctorOn(backend, backend.envFile!);
      expect(run.code, failed(run)).toBe(1);
      expect(firstCause(run), failed(run)).toBe(cause);
    } finally {
      await backend.stop();
    }
  }, 60_000);
});

describe.skipIf(!py.ok)('doctor --suite: the run suite\'s endpoint, body and audit settings', { concurrent: true }, () => {
  const suiteFor = (backend: RunningBackend) =>
    writeSuite({ auditDir: backend.auditDir, extraYaml: '  success: [{ event: job_created }]\n  failure: [{ event: { pattern: "^auth_" } }]\n' });

  it('correct backend judged through the suite: exit 0', async () => {
    const backend = await startFastapiBackend({ env: world.emulator.env() });
    try {
      const run = await runDoctorCli(world, ['--suite', suiteFor(backend), '--target', backend.url, '--env-file', backend.envFile!]);
      expect(run.code, failed(run)).toBe(0);
      const entries = (run.report as unknown as { checks: Array<{ id: string; status: string }> }).checks.find((c) => c.id === 'audit.entries');
      expect(entries?.status).toBe('pass');
    } finally {
      await backend.stop();
    }
  }, 60_000);

  it('wrong user_id in the suite\'s audit file: exit 1, first cause audit-unattributed', async () => {
    const backend = await startFastapiBackend({ env: world.emulator.env(), faults: ['audit-wrong-user'] });
    try {
      const run = await runDoctorCli(world, ['--suite', suiteFor(backend), '--target', backend.url, '--env-file', backend.envFile!]);
      expect(run.code, failed(run)).toBe(1);
      expect(firstCause(run), failed(run)).toBe('audit-unattributed');
    } finally {
      await backend.stop();
    }
  }, 60_000);
});

describe.concurrent('doctor on the Express + @clerk/express backend', () => {
  let expressEnvs = 0;
  async function express(env: Record<string, string>, faults: string[] = []) {
    const backend = await startExpressBackend({ env, faults });
    const envFile = path.join(world.dir, `express-${++expressEnvs}.env`);
    await writeFile(envFile, envText(env));
    return { backend, envFile };
  }

  it('correct setup: exit 0', async () => {
    const { backend, envFile } = await express(world.emulator.env());
    try {
      const run = await doctorOn(backend, envFile);
      expect(run.code, failed(run)).toBe(0);
    } finally {
      await backend.stop();
    }
  }, 60_000);

  it('authorizedParties set: exit 1, first cause azp-rejected', async () => {
    const { backend, envFile } = await express(world.emulator.env(), ['authorized-parties']);
    try {
      const run = await doctorOn(backend, envFile);
      expect(run.code, failed(run)).toBe(1);
      expect(firstCause(run), failed(run)).toBe('azp-rejected');
    } finally {
      await backend.stop();
    }
  }, 60_000);
});
