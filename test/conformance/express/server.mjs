// Conformance backend: Express + @clerk/express, written the way Clerk's docs write it
// (clerkMiddleware() + getAuth(req), 401 JSON when there is no userId). Networkless verification
// with CLERK_JWT_KEY; CLERK_SECRET_KEY / CLERK_PUBLISHABLE_KEY as the SDK requires.
//
// Switches: FAULTS=comma,list (see KNOWN). Listens on 127.0.0.1:0 and prints `LISTENING <port>`.
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

app.post('/jobs', requireUser, (req, res) => {
  const { userId, sessionId, sessionClaims } = req.user;
  const job = { job_id: randomUUID(), status: 'pending', created_by: userId, created_at: new Date().toISOString() };
  jobs.set(job.job_id, job);
  const entry = {
    event: 'job_created',
    timestamp: new Date().toISOString(),
    job_id: job.job_id,
    user_id: on('audit-wrong-user') ? sessionId : userId,
    user_email: sessionClaims?.email ?? null,
    session_id: sessionId ?? null,
    token_iat: sessionClaims?.iat,
    alcoa_attributable: true,
    alcoa_contemporaneous: true,
  };
  if (on('audit-no-iat')) delete entry.token_iat;
  audit(entry);
  res.status(on('status-200') ? 200 : 201).json(job);
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
