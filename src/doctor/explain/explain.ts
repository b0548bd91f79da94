/**
 * `doctor explain`: one failure, no config. Works out what the input is, decodes any token,
 * matches verifier messages, and names the cause(s) with the fix.
 */
import { redact, redactDeep, redactSecretKey } from '../../redact.js';
import { fill, loadDiagnostics, type Diagnostics } from '../data.js';
import { authOfClaims } from '../lib/clerk-authz.js';
import { describeClaims, isAuthorizationRefusal, readRefusal, readRequirement, type Requirement } from './authz.js';
import { matchMessages } from './match.js';
import { parseInput } from './parse-input.js';
import { analyzeToken, type Severity, type TokenAnalysis } from './token.js';

export type InputKind = 'token' | 'secret-key' | 'publishable-key' | 'response' | 'status' | 'message';

export interface ExplainedCause {
  cause: string;
  title: string;
  fix: string;
  severity: Severity;
  /** Why doctor thinks so: the matched text, the claim at fault, the verifier. */
  evidence: string[];
  verifiers: string[];
}

export interface Explanation {
  kind: InputKind;
  /** One line saying what the input is. */
  summary: string;
  /** Causes, most likely first. Empty when nothing is wrong or nothing was recognised. */
  causes: ExplainedCause[];
  /** Other facts worth knowing (token claims that are fine, the status meaning). */
  notes: string[];
  token?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  /**
   * Present when the input is a refusal of a signed-in caller (403, a hidden 404, an answer naming
   * a role or permission) or the token carries an organization: what the token holds, read as
   * @clerk/backend reads it, and what the answer requires.
   */
  authorization?: {
    token?: { version: 1 | 2; line: string; orgId?: string; orgRole?: string; orgSlug?: string; orgPermissions?: unknown; features?: unknown; plans?: unknown };
    requirement?: Requirement;
  };
  recognised: boolean;
}

function cause(d: Diagnostics, id: string, severity: Severity, evidence: string[], verifiers: string[] = [], vars: Record<string, string> = {}): ExplainedCause {
  const c = d.causes.get(id)!;
  return { cause: id, title: c.title, fix: fill(c.fix, vars, d.varDefaults), severity, evidence, verifiers };
}

/** Env variables a verifier message names, for {key} in a fix ("add {key} to the env file"). */
const KEY_NAMES: Array<[RegExp, string]> = [
  [/\b(CLERK_[A-Z0-9_]+)\b/, ''],
  [/Secret Key/i, 'CLERK_SECRET_KEY'],
  [/Publishable key/i, 'CLERK_PUBLISHABLE_KEY'],
];

export function keyNamed(texts: string[]): string | undefined {
  for (const t of texts) {
    for (const [re, name] of KEY_NAMES) {
      const m = re.exec(t);
      if (m) return name || m[1];
    }
  }
  return undefined;
}

function addCause(list: ExplainedCause[], next: ExplainedCause): void {
  const cur = list.find((c) => c.cause === next.cause);
  if (!cur) list.push(next);
  else {
    cur.evidence.push(...next.evidence.filter((e) => !cur.evidence.includes(e)));
    cur.verifiers.push(...next.verifiers.filter((v) => !cur.verifiers.includes(v)));
  }
}

function tokenCauses(d: Diagnostics, analysis: TokenAnalysis, causes: ExplainedCause[], notes: string[], answeredAfterSignIn?: number): void {
  for (const f of analysis.findings) {
    if (f.severity === 'info' || !f.cause) notes.push(`${f.claim}: ${f.message}`);
    // The server refused it for authorization, so its times passed when it was sent: a token
    // pasted minutes later has expired since, which is not why it was refused.
    else if (answeredAfterSignIn !== undefined && TIME_CAUSES.has(f.cause)) notes.push(`${f.claim}: ${f.message} - now, by this machine's clock; the server's ${answeredAfterSignIn} came after it signed the token in`);
    else addCause(causes, cause(d, f.cause, f.severity, [`${f.claim}: ${f.message}`]));
  }
}

/** Date.toUTCString(), as @clerk/backend prints dates: "Sat, 22 Nov 2025 10:00:00 GMT". */
export const HTTP_DATE = '[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT';

/**
 * @clerk/backend's time messages carry the server's clock ("Current date: ...") next to the
 * claim: say how far apart they were, which tells "old token" from "clock off".
 */
export function clockNotes(messages: string[]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    const now = new RegExp(`Current date: (${HTTP_DATE})`).exec(m);
    const claim = new RegExp(`(Expiry|Not before|Issued at) date: (${HTTP_DATE})`).exec(m);
    if (!now || !claim) continue;
    const delta = (Date.parse(now[1]) - Date.parse(claim[2])) / 1000;
    if (Number.isNaN(delta)) continue;
    const what = claim[1] === 'Expiry' ? 'exp' : claim[1] === 'Not before' ? 'nbf' : 'iat';
    out.push(delta >= 0 ? `the server's clock read ${delta} s past the token's ${what}` : `the server's clock read ${-delta} s before the token's ${what}: its clock is behind the issuer's by at least that much`);
    break;
  }
  return out;
}

const TIME_CAUSES = new Set(['expired', 'iat-future', 'nbf-future']);

export interface ExplainOptions {
  nowSeconds?: number;
  diagnostics?: Diagnostics;
}

export function explainInput(input: string, options: ExplainOptions = {}): Explanation {
  const d = options.diagnostics ?? loadDiagnostics();
  const now = options.nowSeconds ?? Date.now() / 1000;
  const parsed = parseInput(input);
  const causes: ExplainedCause[] = [];
  const notes: string[] = [];

  if (parsed.key && !parsed.token) {
    const secret = parsed.key.kind === 'secret';
    const shown = secret ? redactSecretKey(parsed.key.value) : `${parsed.key.value.slice(0, 12)}…`;
    addCause(causes, cause(d, 'key-as-bearer', 'fail', [`${shown} is a Clerk ${secret ? 'secret' : 'publishable'} key, not a session token (a session token is a JWT: eyJ...)`]));
    if (secret) notes.push('a secret key grants full Backend API access: if it was sent to a server or pasted somewhere shared, rotate it in the dashboard');
    return { kind: secret ? 'secret-key' : 'publishable-key', summary: `a Clerk ${parsed.key.kind} key`, causes, notes, recognised: true };
  }

  const reason = parsed.headers['x-clerk-auth-reason'];
  const matches = matchMessages(d.catalogue, { messages: parsed.messages, status: parsed.status, reason, joseCodes: parsed.joseCodes });
  // Without a status line a status-bound message can mean different things (FastAPI's "Not
  // authenticated": 403 before 0.122, 401 after): then each reading is offered as an alternative.
  const conditional = matches.filter((m) => m.ifStatus);
  const alternatives = new Set(conditional.map((m) => m.cause)).size > 1;
  for (const m of matches) {
    const clock = TIME_CAUSES.has(m.cause) ? clockNotes(parsed.messages) : [];
    const evidence = [...m.matched.map((t) => `"${t}"`), ...m.notes, ...clock];
    if (alternatives && m.ifStatus) {
      const others = conditional.filter((o) => o.cause !== m.cause).map((o) => `"${d.causes.get(o.cause)!.title}" if it was ${o.ifStatus!.join('/')}`);
      evidence.unshift(`either this, if the answer was ${m.ifStatus.join('/')}, or ${others.join(', or ')}: the input has no status line, so doctor cannot tell (paste \`curl -i\` output)`);
    }
    const key = keyNamed(m.matched);
    addCause(causes, cause(d, m.cause, alternatives && m.ifStatus ? 'warn' : 'fail', evidence, m.verifiers, key ? { key } : {}));
  }
  if (alternatives) {
    notes.push(`the same words mean different things by status: ${conditional.map((m) => `${m.ifStatus!.join('/')} → ${m.cause}`).join('; ')}`);
  }

  let analysis: TokenAnalysis | undefined;
  if (parsed.token) analysis = analyzeToken(parsed.token, now);
  const claims = analysis?.decoded ? analysis.claims : undefined;

  // A refusal of a signed-in caller: a 403 no verifier message explains (FastAPI's "Not
  // authenticated" is authentication), an object's 404, or any answer naming a requirement.
  const requirement = readRequirement(d.authz, parsed.messages);
  const authnSaid = matches.some((m) => m.cause !== 'rejected-unknown') || reason !== undefined;
  const refusal = isAuthorizationRefusal(d.authz, { status: parsed.status, messages: parsed.messages, body: parsed.body, authnSaid, hasToken: parsed.token !== undefined }, requirement);
  const reading = refusal ? readRefusal(d.authz, { status: parsed.status, messages: parsed.messages, body: parsed.body, claims }) : undefined;
  for (const f of reading?.findings ?? []) addCause(causes, cause(d, f.cause, f.severity, [f.line, ...f.evidence], [], f.vars));
  if (reading?.findings[0]?.outcome === 'unnamed') notes.push('fastapi-clerk-auth answers 403 "Invalid Authentication Credentials" for every bad token; a 403 with another body comes from a check after sign-in');
  if (analysis) tokenCauses(d, analysis, causes, notes, reading?.findings.length ? parsed.status ?? 403 : undefined);
  let authorization: Explanation['authorization'];
  if (claims) {
    const auth = reading?.auth ?? authOfClaims(claims);
    if (reading || auth.orgId) {
      authorization = { token: { version: auth.version, line: describeClaims(claims, auth), orgId: auth.orgId, orgRole: auth.orgRole, orgSlug: auth.orgSlug, orgPermissions: auth.orgPermissions, features: auth.features || undefined, plans: auth.plans || undefined } };
    }
  }
  if (reading) authorization = { ...authorization, requirement: reading.requirement };

  let kind: InputKind;
  let summary: string;
  if (parsed.token && !parsed.body && parsed.status === undefined) {
    kind = 'token';
    const failing = causes.filter((c) => c.severity === 'fail');
    summary = !analysis?.decoded ? 'a token that does not decode' : failing.length ? `a token a correct verifier rejects (${failing.length} problem${failing.length > 1 ? 's' : ''})` : 'a well-formed token, valid right now by its claims (signature not checked)';
  } else if (parsed.status !== undefined && !parsed.body && Object.keys(parsed.headers).length === 0 && !parsed.token) {
    kind = 'status';
    const s = d.catalogue.statuses[String(parsed.status)];
    summary = `HTTP ${parsed.status}${s ? `: ${s.meaning}` : ''}`;
    for (const id of s?.causes ?? []) addCause(causes, cause(d, id, 'warn', [`common cause of ${parsed.status}`]));
  } else if (parsed.status === undefined && !parsed.body && parsed.headers['x-clerk-auth-reason'] !== undefined) {
    kind = 'response';
    summary = 'an x-clerk-auth-reason header (@clerk/backend, @clerk/express)';
  } else if (parsed.status !== undefined || Object.keys(parsed.headers).length > 0) {
    kind = 'response';
    summary = `an HTTP ${parsed.status ?? ''} response`.replace('  ', ' ');
    const lead = reading?.findings[0];
    if (lead) summary += lead.outcome === 'hidden-existence' ? ': an object hidden from (or unknown to) a signed-in caller' : `: a signed-in caller refused by authorization - ${lead.line}`;
    if (causes.length === 0 && parsed.status !== undefined) {
      const s = d.catalogue.statuses[String(parsed.status)];
      if (s) {
        notes.push(`${parsed.status}: ${s.meaning}`);
        for (const id of s.causes) addCause(causes, cause(d, id, 'warn', [`common cause of ${parsed.status}; the body names no known reason`]));
      }
    }
  } else {
    kind = 'message';
    const bareReason = matches.length > 0 && matches[0].via === 'reason' && matches.every((m) => m.via === 'reason');
    summary = bareReason
      ? 'an x-clerk-auth-reason value (@clerk/backend, @clerk/express)'
      : matches.length
        ? `a message from ${[...new Set(matches.flatMap((m) => m.verifiers))].join(', ')}`
        : reading?.findings.length
          ? `an authorization refusal - ${reading.findings[0].line}`
          : 'a message doctor does not recognise';
    if (alternatives) summary += ` - either of ${conditional.length} readings, depending on the HTTP status`;
  }
  // Failures first, then the warnings; within a level keep discovery order (reason header first).
  const order = { fail: 0, warn: 1, info: 2 };
  causes.sort((a, b) => order[a.severity] - order[b.severity]);
  const redacted = causes.map((c) => ({ ...c, evidence: c.evidence.map(redact) }));
  return {
    kind,
    summary: redact(summary),
    causes: redacted,
    notes: notes.map(redact),
    token: analysis?.decoded ? { header: redactDeep(analysis.header), claims: redactDeep(analysis.claims) } : undefined,
    ...(authorization ? { authorization: redactDeep(authorization) as Explanation['authorization'] } : {}),
    recognised: causes.length > 0 || (kind === 'token' && analysis?.decoded === true),
  };
}
