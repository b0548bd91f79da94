// Conformance backend: Express + @clerk/express, written the way Clerk's docs write it
// (clerkMiddleware() + getAuth(req), 401 JSON when there is no userId). Networkless verification
// with CLERK_JWT_KEY; CLERK_SECRET_KEY / CLERK_PUBLISHABLE_KEY as the SDK requires.
//
// Switches: FAULTS=comma,list (see KNOWN). Listens on 127.0.0.1:0 and prints `LISTENING <port>`.
//
// Authorization (issue 11), read from getAuth(req) — @clerk/express parses the v2 claim
// `o: {id, rol}` into orgId / orgRole ("org:" + rol), and the v1 org_id / org_role claims alike:
//   GET    /jobs/:jobId  owner only: job.created_by must be auth.userId. Another user's job answers
//                        404 {"error":"Not Found","detail":"Job not found"}, exactly like an unknown id.
//   DELETE /jobs/:jobId  organization admins only, checked in this order:
//                        1. no active organization (auth.orgId unset)  -> 403 "requires role org:admin ..."
//                        2. auth.orgRole !== 'org:admin'               -> 403 "requires role org:admin"
//                           (both before the lookup: a non-admin learns nothing about ids)
//                        3. unknown id                                  -> 404
//                        4. the job's org (the creator's auth.orgId at POST /jobs, or null) is not
//                           auth.orgId                                  -> 403 "... in the job's organization"
//                        else 204, and the job is gone. A job created without an active
//                        organization can be deleted by nobody.
//   Refusals write an access_denied audit line (user_id, token_iat); a read or delete writes
//   job_read / job_deleted like job_created.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { clerkMiddleware, getAuth } from '@clerk/express';

const KNOWN = new Set([
  'authorized-parties', // clerkMiddleware({ authorizedParties: ['https://app.example.com'] })
  'issuer-check', // clerkMiddleware({ issuer: CLERK_ISSUER }) — hardening, valid tokens still pass
  'issuer-trailing-slash', // issuer: CLERK_ISSUER + '/' — every real token refused
  'secret-key-missing', // CLERK_SECRET_KEY not in the environment
  'publishable-key-missing', // CLERK_PUBLISHABLE_KEY not in the environment
  'check-auth-object', // `if (!auth)` instead of `if (!auth.userId)`: signed-out requests pass
  'audit-no-iat',
  'audit-none',
  'audit-wrong-user',
  'status-200',
  'skip-ownership-check', // GET serves any user's job; DELETE skips step 4 (an admin of any org deletes)
  'skip-role-check', // DELETE guarded by requireUser only: any signed-in user deletes any job
  'wrong-refusal-status', // authorization refusals answer 401 (the requireUser copy-paste) instead of 403/404
]);
const FAULTS = new Set((process.env.FAULTS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const unknown = [...FAULTS].filter((f) => !KNOWN.has(f));
if (unknown.length) {
  console.error(`unknown FAULTS: ${unknown.join(', ')} (known: ${[...KNOWN].join(', ')})`);
  process.exit(2);
}
const on = (name) => FAULTS.has(name);

if (on('secret-key-missing')) delete process.env.CLERK_SECRET_KEY;
if (on('publishable-key-missing')) delete process.env.CLERK_PUBLISHABLE_KEY;

const AUDIT_DIR = process.env.AUDIT_DIR ?? 'logs/audit/jobs';

function audit(entry) {
  if (on('audit-none')) return;
  const now = new Date();
  mkdirSync(AUDIT_DIR, { recursive: true });
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  appendFileSync(path.join(AUDIT_DIR, `audit_${day}.jsonl`), JSON.stringify(entry) + '\n');
}

const middlewareOptions = {};
if (on('authorized-parties')) middlewareOptions.authorizedParties = (process.env.AUTHORIZED_PARTIES ?? 'https://app.example.com').split(',');
if (on('issuer-check')) middlewareOptions.issuer = process.env.CLERK_ISSUER;
if (on('issuer-trailing-slash')) middlewareOptions.issuer = `${process.env.CLERK_ISSUER ?? ''}/`;

const app = express();
app.disable('x-powered-by');
app.use(express.json());
app.use(clerkMiddleware(middlewareOptions));

app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});

function requireUser(req, res, next) {
  const auth = getAuth(req);
  const signedOut = on('check-auth-object') ? !auth : !auth.userId;
  if (signedOut) {
    // Clerk puts the cause in x-clerk-auth-reason / x-clerk-auth-message on the response already.
    const reason = res.getHeader('x-clerk-auth-reason') ?? 'unauthenticated';
    audit({
      event: 'auth_failed',
      timestamp: new Date().toISOString(),
      reason: String(reason),
      status_code: 401,
      method: req.method,
      path: req.path,
      user_id: null,
      alcoa_attributable: false,
      alcoa_contemporaneous: true,
    });
    return res.status(401).json({ error: 'Unauthorized' });
  }
  req.user = auth;
  next();
}

const jobs = new Map();
/** job_id -> the creator's active organization at creation (or null); kept out of the job JSON. */
const jobOrgs = new Map();

/** The attributed line of an accepted request (job_created, job_read, job_deleted). */
function auditJob(event, jobId, auth) {
  const { userId, sessionId, sessionClaims } = auth;
  const entry = {
    event,
    timestamp: new Date().toISOString(),
    job_id: jobId,
    user_id: on('audit-wrong-user') ? sessionId : userId,
    user_email: sessionClaims?.email ?? null,
    session_id: sessionId ?? null,
    token_iat: sessionClaims?.iat,
    alcoa_attributable: true,
    alcoa_contemporaneous: true,
  };
  if (on('audit-no-iat')) delete entry.token_iat;
  audit(entry);
}

/**
 * An authorization refusal: the caller is known, so the line is attributed (but says denied).
 * A genuinely unknown id is answered 404 even under wrong-refusal-status.
 */
function deny(req, res, status, detail, reason) {
  const sent = on('wrong-refusal-status') && reason !== 'job-not-found' ? 401 : status;
  audit({
    event: 'access_denied',
    timestamp: new Date().toISOString(),
    reason,
    status_code: sent,
    method: req.method,
    path: req.path,
    job_id: req.params.jobId ?? null,
    user_id: req.user.userId,
    session_id: req.user.sessionId ?? null,
    token_iat: req.user.sessionClaims?.iat,
    alcoa_attributable: true,
    alcoa_contemporaneous: true,
  });
  return res.status(sent).json({ error: sent === 404 ? 'Not Found' : sent === 401 ? 'Unauthorized' : 'Forbidden', detail });
}

app.post('/jobs', requireUser, (req, res) => {
  const { userId, orgId } = req.user;
  const job = { job_id: randomUUID(), status: 'pending', created_by: userId, created_at: new Date().toISOString() };
  jobs.set(job.job_id, job);
  jobOrgs.set(job.job_id, orgId ?? null);
  auditJob('job_created', job.job_id, req.user);
  res.status(on('status-200') ? 200 : 201).json(job);
});

app.get('/jobs/:jobId', requireUser, (req, res) => {
  const job = jobs.get(req.params.jobId);
  if (!job) return deny(req, res, 404, 'Job not found', 'job-not-found');
  if (job.created_by !== req.user.userId && !on('skip-ownership-check')) return deny(req, res, 404, 'Job not found', 'not-owner');
  auditJob('job_read', job.job_id, req.user);
  res.json(job);
});

/** Steps 1-2 of the DELETE rule: an active organization in which the caller is org:admin. */
function requireOrgAdmin(req, res, next) {
  const { orgId, orgRole } = req.user;
  if (!orgId) return deny(req, res, 403, 'requires role org:admin (no active organization in the session token)', 'no-active-organization');
  if (orgRole !== 'org:admin') return deny(req, res, 403, 'requires role org:admin', 'missing-role');
  next();
}

const deleteGuards = on('skip-role-check') ? [requireUser] : [requireUser, requireOrgAdmin];

app.delete('/jobs/:jobId', ...deleteGuards, (req, res) => {
  const job = jobs.get(req.params.jobId);
  if (!job) return deny(req, res, 404, 'Job not found', 'job-not-found');
  const scoped = !on('skip-role-check') && !on('skip-ownership-check');
  if (scoped && jobOrgs.get(job.job_id) !== req.user.orgId) {
    return deny(req, res, 403, "requires role org:admin in the job's organization", 'other-organization');
  }
  auditJob('job_deleted', job.job_id, req.user);
  jobs.delete(job.job_id);
  jobOrgs.delete(job.job_id);
  res.status(204).end();
});

app.get('/jobs', requireUser, (req, res) => {
  res.json([...jobs.values()].filter((j) => j.created_by === req.user.userId));
});

// JSON for errors thrown by the middleware (missing keys etc.), as an API would answer.
app.use((err, _req, res, _next) => {
  console.error(err);
  res.status(500).json({ error: 'Internal Server Error', message: String(err?.message ?? err).split('\n')[0] });
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`LISTENING ${server.address().port}`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
