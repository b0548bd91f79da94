/**
 * One diagnosis engine for `run` and `doctor`: what a target's answer (status, body,
 * x-clerk-auth-reason / x-clerk-auth-message, WWW-Authenticate) says about why a request was
 * refused, read with the catalogue `doctor explain` uses (diagnostics/messages.yaml) and the fixes
 * of diagnostics/causes.yaml. Pure apart from loading that data once.
 *
 * diagnoseResponse reads authentication failures (why the token was not accepted); diagnoseRefusal
 * reads refusals of a signed-in caller (what the token lacks: organization, role, permission, ...).
 */
import { fill, loadDiagnostics } from '../doctor/data.js';
import { isAuthorizationRefusal, readRefusal, type AuthzOutcome } from '../doctor/explain/authz.js';
import { matchMessages } from '../doctor/explain/match.js';
import { responseMessages } from '../doctor/explain/parse-input.js';
import { redact } from '../redact.js';

export interface ResponseFacts {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface Diagnosis {
  /** Cause id in diagnostics/causes.yaml. */
  cause: string;
  title: string;
  fix: string;
  /** What in the answer pointed there (redacted), strongest first. */
  evidence: string[];
  verifiers: string[];
}

/** The most likely cause of a refusal named by the answer itself; undefined when it names none. */
export function diagnoseResponse(res: ResponseFacts): Diagnosis | undefined {
  const d = loadDiagnostics();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const reason = headers['x-clerk-auth-reason'];
  const matches = matchMessages(d.catalogue, {
    messages: responseMessages(res.body.slice(0, 8192), headers),
    status: res.status,
    reason: reason && reason.trim() ? reason : undefined,
  });
  const best = matches[0];
  if (!best) return undefined;
  const cause = d.causes.get(best.cause);
  if (!cause) return undefined;
  return {
    cause: best.cause,
    title: cause.title,
    fix: fillDefaults(cause.fix, d.varDefaults),
    evidence: best.matched.map((m) => redact(m)),
    verifiers: best.verifiers,
  };
}

/** causes.yaml fixes carry {names} filled from doctor's evidence; run has none, so use the defaults. */
function fillDefaults(fix: string, defaults: Record<string, string>): string {
  const named: Record<string, string> = { envFile: 'the backend\'s env file', key: 'the variable named above', ...defaults };
  return fix.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (m, n: string) => named[n] ?? m);
}

export interface RefusalDiagnosis extends Diagnosis {
  /** authz.refusal's verdict for it (role, no-active-org, permission, hidden-existence, claims-misread, ...). */
  outcome: AuthzOutcome;
  /** fail: the server refuses what the token carries (a backend bug); warn: the token lacks it. */
  severity: 'fail' | 'warn';
  /** One line: "the token has role org:member, the route wants org:admin". */
  line: string;
}

/**
 * Why a signed-in caller was refused (403, or 404 hiding an object), when the answer is such a
 * refusal: what it names against the token's claims, read as @clerk/backend's has() reads them -
 * the same reading as `doctor explain` and doctor's authz.refusal. Undefined when the answer is
 * an authentication failure (diagnoseResponse's business) or not a refusal at all.
 */
export function diagnoseRefusal(res: ResponseFacts & { claims?: Record<string, unknown> }): RefusalDiagnosis | undefined {
  const d = loadDiagnostics();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const body = res.body.slice(0, 8192);
  const messages = responseMessages(body, headers);
  const reason = headers['x-clerk-auth-reason'];
  const authnSaid = (typeof reason === 'string' && reason.trim() !== '') || matchMessages(d.catalogue, { messages, status: res.status }).some((m) => m.cause !== 'rejected-unknown');
  if (!isAuthorizationRefusal(d.authz, { status: res.status, messages, body: body.trim() ? body : undefined, authnSaid, hasToken: res.claims !== undefined })) return undefined;
  const first = readRefusal(d.authz, { status: res.status, messages, body, claims: res.claims }).findings[0];
  const cause = first ? d.causes.get(first.cause) : undefined;
  if (!first || !cause) return undefined;
  return {
    cause: first.cause,
    title: cause.title,
    fix: redact(fill(cause.fix, first.vars, d.varDefaults)),
    evidence: [first.line, ...first.evidence].map((e) => redact(e)),
    verifiers: [],
    outcome: first.outcome,
    severity: first.severity,
    line: redact(first.line),
  };
}
