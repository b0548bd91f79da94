/**
 * The reference target: a small node:http API protected by Clerk session tokens, written as an
 * example of doing it right (see verify.ts for the verification itself).
 *
 *   GET    /health         -> 200 {"status":"ok"}                       (public)
 *   POST   /jobs           -> 201 {"job_id","status":"pending","user_id"} (Bearer token; one audit line)
 *   GET    /jobs/{job_id}  -> 200, the same JSON        (owner only; another user's job: 404)
 *   DELETE /jobs/{job_id}  -> 204                       (org:admin of the job's organization; else 403)
 *
 * Who may read and delete a job is decided in authz.ts (the exact rule is at its top); each
 * accepted request writes one audit line (job.created / job.read / job.deleted).
 *
 * Refusals are JSON {"detail": ...} naming the cause, with x-clerk-auth-reason/-message headers as
 * @clerk/express sets them, so a user (and doctor) can see why. The `Date` header shows the
 * server's own clock (shifted by clockOffsetSeconds), which is what doctor measures skew against.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomClerkId } from '../tokens/forge.js';
import { AuditWriter, accessDeniedLine, applyAuditFlaws, authRejectedLine, jobAccessLine, jobCreatedLine } from './audit-log.js';
import { activeOrganization, decideDelete, decideRead, type AuthzDecision, type StoredJob } from './authz.js';
import { isAuthzFlaw, isTargetFlaw } from './flaws.js';
import type { AuthzFlaw, ReferenceTarget, ReferenceTargetOptions, TargetFlaw } from './types.js';
import { authenticate, type AuthOutcome, type VerifierConfig } from './verify.js';

const MAX_BODY_BYTES = 1024 * 1024;
/** Jobs kept in memory; the oldest go first (a load test must not grow the process without bound). */
const MAX_JOBS = 50_000;
const JOB_PATH = /^\/jobs\/([A-Za-z0-9_-]{1,128})$/;

type Json = Record<string, unknown>;

function send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Header values must be visible ASCII; Clerk messages are, but never trust that blindly. */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 1000);
}

function refusalHeaders(outcome: Extract<AuthOutcome, { ok: false }>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (outcome.status === 401) headers['www-authenticate'] = 'Bearer';
  if (outcome.reason) {
    headers['x-clerk-auth-status'] = 'signed-out';
    headers['x-clerk-auth-reason'] = headerSafe(outcome.reason);
    headers['x-clerk-auth-message'] = headerSafe(outcome.message ?? outcome.detail);
  }
  return headers;
}

/** A job as POST /jobs answered it (the organization stays internal). */
function publicJob(job: StoredJob): Json {
  return { job_id: job.job_id, status: job.status, user_id: job.user_id };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startReferenceTarget(options: ReferenceTargetOptions = {}): Promise<ReferenceTarget> {
  const offsetMs = (options.clockOffsetSeconds ?? 0) * 1000;
  const now = () => Date.now() + offsetMs;
  const flaws = new Set((options.flaws ?? []).filter((f): f is TargetFlaw => isTargetFlaw(f)));
  const authzFlaws = new Set((options.flaws ?? []).filter((f): f is AuthzFlaw => isAuthzFlaw(f)));
  const jobs = new Map<string, StoredJob>();
  const auditDir = path.resolve(options.auditDir ?? path.join('logs', 'audit'));
  const audit = new AuditWriter(auditDir);
  const verifier: VerifierConfig = {
    jwtKey: options.jwtKey || undefined,
    secretKey: options.secretKey || undefined,
    apiUrl: options.apiUrl || undefined,
    issuer: options.issuer || undefined,
    audience: options.audience || undefined,
    flaws,
    clockOffsetSeconds: options.clockOffsetSeconds ?? 0,
    nowMs: now,
  };

  async function createJob(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === 'too-large') return send(res, 413, { detail: 'Request body too large' });
    const outcome = await authenticate(req.headers.authorization, verifier);
    if (!outcome.ok) {
      if (options.logFailures && outcome.status !== 500) {
        const at = new Date(now());
        await audit.append([authRejectedLine({ method: 'POST', path: '/jobs', status: outcome.status, reason: outcome.reason ?? outcome.detail, at })], at);
      }
      return send(res, outcome.status, { detail: outcome.detail }, refusalHeaders(outcome));
    }
    if (body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      } catch {
        return send(res, 400, { detail: 'Request body must be a JSON object' });
      }
    }
    const jobId = randomClerkId('job');
    const at = new Date(now());
    const line = jobCreatedLine({ claims: outcome.claims, jobId, method: 'POST', path: '/jobs', status: 201, at });
    // Written before the response: the record is contemporaneous, and no job exists unaudited.
    await audit.append(applyAuditFlaws(line, flaws, outcome.claims), at);
    const job: StoredJob = { job_id: jobId, status: 'pending', user_id: String(outcome.claims.sub), org_id: activeOrganization(outcome.claims)?.id ?? null };
    if (jobs.size >= MAX_JOBS) jobs.delete(jobs.keys().next().value as string);
    jobs.set(jobId, job);
    send(res, 201, publicJob(job));
  }

  /** GET or DELETE /jobs/{job_id}: authenticate exactly as POST does, then authz.ts decides. */
  async function accessJob(req: IncomingMessage, res: ServerResponse, jobId: string): Promise<void> {
    req.resume(); // a body is not expected; drain it so the connection stays usable
    const method = req.method === 'DELETE' ? 'DELETE' : 'GET';
    const reqPath = `/jobs/${jobId}`;
    const outcome = await authenticate(req.headers.authorization, verifier);
    if (!outcome.ok) {
      if (options.logFailures && outcome.status !== 500) {
        const at = new Date(now());
        await audit.append([authRejectedLine({ method, path: reqPath, status: outcome.status, reason: outcome.reason ?? outcome.detail, at })], at);
      }
      return send(res, outcome.status, { detail: outcome.detail }, refusalHeaders(outcome));
    }
    const job = jobs.get(jobId);
    const decision: AuthzDecision = method === 'GET' ? decideRead(job, outcome.claims, authzFlaws) : decideDelete(job, outcome.claims, authzFlaws);
    const at = new Date(now());
    if (!decision.ok) {
      if (options.logFailures) {
        await audit.append([accessDeniedLine({ claims: outcome.claims, jobId, method, path: reqPath, status: decision.status, reason: decision.reason, at })], at);
      }
      return send(res, decision.status, { detail: decision.detail });
    }
    const status = method === 'GET' ? 200 : 204;
    const line = jobAccessLine(method === 'GET' ? 'job.read' : 'job.deleted', { claims: outcome.claims, jobId, method, path: reqPath, status, at });
    await audit.append(applyAuditFlaws(line, flaws, outcome.claims), at);
    if (method === 'GET') return send(res, 200, publicJob(job!));
    jobs.delete(jobId);
    res.writeHead(204);
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('date', new Date(now()).toUTCString());
    const url = new URL(req.url ?? '/', 'http://target.local');
    if (url.pathname === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { detail: 'Method Not Allowed' }, { allow: 'GET' });
      return send(res, 200, { status: 'ok' });
    }
    if (url.pathname === '/jobs') {
      if (req.method !== 'POST') return send(res, 405, { detail: 'Method Not Allowed' }, { allow: 'POST' });
      return createJob(req, res);
    }
    const match = JOB_PATH.exec(url.pathname);
    if (match) {
      if (req.method !== 'GET' && req.method !== 'DELETE') return send(res, 405, { detail: 'Method Not Allowed' }, { allow: 'GET, DELETE' });
      return accessJob(req, res, match[1]!);
    }
    send(res, 404, { detail: 'Not Found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // An unexpected fault is a 500 with no details (stack traces stay on the server).
      if (!res.headersSent) send(res, 500, { detail: 'Internal Server Error' });
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    auditDir,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
