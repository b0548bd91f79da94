/**
 * target.reachable, target.no-token, target.fresh-token: the three requests doctor sends to the
 * target - a probe, the endpoint without a token, the endpoint with a token minted just before.
 */
import type { Diagnostics } from '../data.js';
import { isAuthorizationRefusal, namesRequirement, readRequirement } from '../explain/authz.js';
import { matchMessages } from '../explain/match.js';
import { responseMessages } from '../explain/parse-input.js';
import { bodyLine, dateOffsetMs, httpExchange, type HttpOutcome } from '../lib/http.js';
import { span } from '../lib/time.js';
import type { CheckContext, CheckModule, CheckOutput, Facts, HttpExchange } from '../types.js';
import { auditCheckpointFor } from './audit.js';

const NOT_CONFIGURED = /not configured|missing (CLERK_|the )|Missing Clerk Secret Key|Failed to resolve JWK|secret key/i;

export function joinTarget(base: string, p: string): string {
  return base.replace(/\/+$/, '') + (p.startsWith('/') ? p : `/${p}`);
}

function endpointLabel(ctx: CheckContext): string {
  return `${ctx.options.endpoint.method} ${ctx.options.endpoint.path}`;
}

async function callEndpoint(ctx: CheckContext, authorization?: string): Promise<HttpOutcome> {
  const { method, path, body, contentType } = ctx.options.endpoint;
  const hasBody = body !== undefined || !['GET', 'HEAD', 'DELETE'].includes(method);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (hasBody) headers['content-type'] = contentType ?? 'application/json';
  if (authorization) headers.authorization = authorization;
  return httpExchange({ method, url: joinTarget(ctx.options.target!, path), headers, body: hasBody ? (body ?? '{}') : undefined, timeoutMs: ctx.options.timeoutMs, now: ctx.now });
}

/** Evidence lines of an exchange: status, the reason headers, the body. */
export function exchangeEvidence(ex: HttpExchange): string[] {
  const lines = [`${ex.method} ${ex.url} → ${ex.status}`];
  for (const h of ['www-authenticate', 'x-clerk-auth-reason', 'x-clerk-auth-message', 'location']) if (ex.headers[h]) lines.push(`${h}: ${ex.headers[h]}`);
  if (ex.body.trim()) lines.push(`body: ${bodyLine(ex.body, 300)}`);
  return lines;
}

export const targetReachable: CheckModule = {
  id: 'target.reachable',
  async run(ctx) {
    const url = joinTarget(ctx.options.target!, ctx.options.probe);
    const res = await httpExchange({ method: 'GET', url, headers: { accept: 'application/json' }, timeoutMs: ctx.options.timeoutMs, now: ctx.now });
    if (!res.ok) {
      const reason = res.kind === 'timeout' ? `no answer within ${ctx.options.timeoutMs} ms` : res.error; // the shared layer's words, as run says them
      return {
        outcome: res.kind,
        vars: { url, code: res.code, error: res.error, timeoutMs: ctx.options.timeoutMs },
        // tls and network lines already carry the error; the others show it underneath.
        evidence: res.kind === 'tls' || res.kind === 'network' ? [] : [res.error],
        facts: { unavailable: { target: `${ctx.options.target} is not reachable: ${reason}` } },
      };
    }
    const ex = res.exchange;
    const target = { url: ctx.options.target!, offsetMs: dateOffsetMs(ex), probe: { status: ex.status } };
    const outcome = ex.status >= 200 && ex.status < 300 ? 'ok' : 'probe-status';
    return { outcome, vars: { url, status: ex.status }, evidence: exchangeEvidence(ex), details: [`answered in ${span(ex.receivedAt - ex.sentAt)}`], facts: { target } };
  },
};

function transportFailure(res: Extract<HttpOutcome, { ok: false }>, ctx: CheckContext): CheckOutput {
  // The probe answered but the endpoint did not: report it as the server failing.
  return { outcome: 'server-error', vars: { endpoint: endpointLabel(ctx), status: res.kind, body: res.error }, evidence: [res.error] };
}

/**
 * A 404/405 on the protected route: the route is not there. With the probe answering 404 too the
 * port most likely belongs to another service (or a base path is missing); a 405 names the method.
 */
function notFoundEvidence(ex: HttpExchange, ctx: CheckContext, facts: Readonly<Facts>): { evidence: string[]; probeToo: string } {
  const evidence = exchangeEvidence(ex);
  const probe = facts.target?.probe;
  const probeToo = probe && probe.status === 404 ? ` (and ${ctx.options.probe} answered 404 too)` : '';
  if (ex.status === 405) evidence.push(`405: the path exists but not for ${ctx.options.endpoint.method}${ex.headers.allow ? ` (allowed: ${ex.headers.allow})` : ''} - the wrong method`);
  else if (probeToo) evidence.push(`${ctx.options.probe} and ${ctx.options.endpoint.path} both answer 404: likely the wrong port (another service) or a base path missing from --target`);
  else evidence.push(`${ctx.options.endpoint.path} answers 404 while the server is up: the wrong base path or route, or another service on this port`);
  return { evidence, probeToo };
}

function redirectOrMissing(ex: HttpExchange, ctx: CheckContext, facts: Readonly<Facts>): CheckOutput | undefined {
  const vars = { endpoint: endpointLabel(ctx), status: ex.status, body: bodyLine(ex.body), location: ex.headers.location ?? '(no Location)' };
  if (ex.status >= 300 && ex.status < 400) return { outcome: 'redirect', vars, evidence: exchangeEvidence(ex) };
  if (ex.status === 404 || ex.status === 405) {
    const { evidence, probeToo } = notFoundEvidence(ex, ctx, facts);
    return { outcome: 'not-found', vars: { ...vars, probeToo }, evidence };
  }
  return undefined;
}

function forbidEvidence(ex: HttpExchange): string[] {
  const ev = exchangeEvidence(ex);
  if (/"Not Authenticated"/.test(ex.body)) ev.push('"Not Authenticated" (capital A) is fastapi-clerk-auth\'s ClerkHTTPBearer, which hard-codes 403');
  else ev.push("FastAPI's HTTPBearer answered 403 for a missing header before 0.122.0 (fastapi #2026); 0.122+ answers 401 + WWW-Authenticate: Bearer");
  return ev;
}

export const targetNoToken: CheckModule = {
  id: 'target.no-token',
  async run(ctx, facts) {
    const res = await callEndpoint(ctx);
    if (!res.ok) return transportFailure(res, ctx);
    const ex = res.exchange;
    const vars = { endpoint: endpointLabel(ctx), status: ex.status, body: bodyLine(ex.body) };
    const other = redirectOrMissing(ex, ctx, facts);
    if (other) return other;
    if (ex.status === 401) return { outcome: 'rejected-401', vars, details: exchangeEvidence(ex), facts: { target: { url: ctx.options.target!, noToken: ex } } };
    if (ex.status === 403) return { outcome: 'rejected-403', vars, evidence: forbidEvidence(ex), facts: { target: { url: ctx.options.target!, noToken: ex } } };
    if (ex.status >= 500) {
      const outcome = ex.status === 500 && NOT_CONFIGURED.test(ex.body) ? 'not-configured' : 'server-error';
      return { outcome, vars, evidence: exchangeEvidence(ex), facts: { target: { url: ctx.options.target!, noToken: ex, failed500: ex } } };
    }
    if (ex.status >= 200 && ex.status < 300) return { outcome: 'accepted', vars, evidence: exchangeEvidence(ex) };
    return { outcome: 'other', vars, evidence: exchangeEvidence(ex) };
  },
};

/**
 * A refusal of the fresh token that is authorization, not authentication (isAuthorizationRefusal,
 * the same reading `doctor explain` makes): an answer naming what it requires (a role, a
 * permission, an organization - also a 401 that does, the wrong status for it); a 403 the
 * verifier's catalogue does not explain (FastAPI's and fastapi-clerk-auth's 403s for a missing or
 * bad token are explained, and stay authentication); a 404 on a route that answered 401/403
 * without a token, whose body is not the framework's "no such route". `signedIn`: the answer
 * itself shows the token got through (a named requirement, an object's 404).
 */
export function authorizationRefusal(ex: HttpExchange, d: Diagnostics, noToken: HttpExchange | undefined): { outcome: 'forbidden' | 'object-not-found'; signedIn: boolean } | undefined {
  if (![401, 403, 404].includes(ex.status)) return undefined;
  if (ex.status === 404 && noToken?.status !== 401 && noToken?.status !== 403) return undefined;
  // @clerk/backend marks a token it refused; Bearer error="invalid_token" says the same (RFC 6750).
  if (ex.headers['x-clerk-auth-reason'] || ex.headers['x-clerk-auth-status'] === 'signed-out' || /invalid_token/.test(ex.headers['www-authenticate'] ?? '')) return undefined;
  const messages = responseMessages(ex.body, ex.headers);
  const requirement = readRequirement(d.authz, messages);
  const authnSaid = matchMessages(d.catalogue, { messages, status: ex.status }).some((m) => m.cause !== 'rejected-unknown');
  if (ex.status === 401 && !namesRequirement(requirement)) return undefined;
  if (!isAuthorizationRefusal(d.authz, { status: ex.status, messages, body: ex.body.trim() ? ex.body : undefined, authnSaid, hasToken: true }, requirement)) return undefined;
  if (ex.status === 404) return { outcome: 'object-not-found', signedIn: true };
  return { outcome: 'forbidden', signedIn: namesRequirement(requirement) };
}

export const targetFreshToken: CheckModule = {
  id: 'target.fresh-token',
  async run(ctx, known) {
    const source = await ctx.tokenSource();
    const token = await source.mint();
    // Where the audit files end right before the request: audit.entries then judges only what
    // this request appended, never an older line.
    const auditCheckpoint = await auditCheckpointFor(ctx);
    const res = await callEndpoint(ctx, `Bearer ${token.token}`);
    if (!res.ok) return transportFailure(res, ctx);
    const ex = res.exchange;
    // Fresh by this machine's clock: when the harness got it, not its iat (the issuer's clock).
    const minted = span(Math.max(0, ex.sentAt - token.receivedAt));
    const vars = { endpoint: endpointLabel(ctx), status: ex.status, body: bodyLine(ex.body), minted };
    const fresh = { ...ex, token };
    const facts = { target: { url: ctx.options.target!, fresh }, auditCheckpoint };
    const authz = authorizationRefusal(ex, ctx.diagnostics, known.target?.noToken);
    if (authz) return { outcome: authz.outcome, vars, evidence: exchangeEvidence(ex), facts: { ...facts, target: { ...facts.target, freshSignedIn: authz.signedIn } } };
    const other = redirectOrMissing(ex, ctx, known);
    if (other) return { ...other, facts };
    if (ex.status >= 200 && ex.status < 300) return { outcome: 'accepted', vars, details: exchangeEvidence(ex), facts };
    if (ex.status >= 500) {
      const outcome = ex.status === 500 && NOT_CONFIGURED.test(ex.body) ? 'not-configured' : 'server-error';
      return { outcome, vars, evidence: exchangeEvidence(ex), facts: { ...facts, target: { ...facts.target, failed500: ex } } };
    }
    return { outcome: 'rejected', vars, evidence: exchangeEvidence(ex), facts };
  },
};
