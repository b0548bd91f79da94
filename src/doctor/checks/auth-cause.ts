/**
 * auth.cause: why a fresh, genuine token was refused. Reads the answer the way a person would
 * (x-clerk-auth-reason, the body's message, matched against the verifier catalogue), then
 * sharpens it with what the other checks found (is the PEM stale or current? is the token's kid
 * in the backend's JWKS? how far off is the server's clock?). When the body hides the reason,
 * the same facts are used to infer it, and the evidence says so.
 */
import { clockNotes, HTTP_DATE } from '../explain/explain.js';
import { matchMessages, type MessageMatch } from '../explain/match.js';
import { responseMessages } from '../explain/parse-input.js';
import { where } from '../lib/env-file.js';
import { bodyLine, describeOffset } from '../lib/http.js';
import { span } from '../lib/time.js';
import type { CheckModule, CheckOutput, Facts, Vars } from '../types.js';
import { AUDIENCE_KEYS } from './env-audience.js';
import { firstValue } from './env-values.js';
import { frontendJwksUrl } from './keys-jwks.js';

/** Verdicts of auth.cause that carry their own cause (the rest go through `matched`). */
const DIRECT = new Set(['aud-required', 'aud-unexpected', 'email-required', 'expired', 'iat-future', 'nbf-future', 'kid-mismatch', 'issuer-mismatch', 'azp-rejected', 'token-type-mismatch', 'verifier-key-missing']);

/** The server's clock minus ours (ms), from "Current date: ..." in a Clerk message, else the Date header. */
function serverOffsetMs(messages: string[], sentAt: number, facts: Readonly<Facts>): number | undefined {
  for (const m of messages) {
    const hit = new RegExp(`Current date: (${HTTP_DATE})`).exec(m);
    if (hit && !Number.isNaN(Date.parse(hit[1]))) return Date.parse(hit[1]) + 500 - sentAt;
  }
  return facts.target?.offsetMs;
}

function signatureOutcome(facts: Readonly<Facts>, evidence: string[]): string {
  if (facts.pemMatch?.matched === false) {
    const stale = facts.pemMatch.stale ?? [];
    evidence.push(`the env file's ${stale.join(' and ') || 'PEM'} matches no live key (keys.pem-matches-jwks)`);
    return 'pem-stale';
  }
  if (facts.pemMatch?.matched === true) {
    const names = (facts.pems ?? []).map((p) => p.key).join(' and ');
    evidence.push(`the env file's ${names || 'PEM'} ${names.includes(' and ') ? 'are' : 'is'} the live key, yet the server rejects the signature: the running process holds an older key`);
    return 'server-old-key';
  }
  if (facts.tokenKidInBackendJwks === false) {
    evidence.push("the token's kid is not in the backend's JWKS (keys.token-kid)");
    return 'wrong-instance';
  }
  return 'signature';
}

/** When the answer names no reason: what the other checks point at, strongest first. */
function inferred(facts: Readonly<Facts>, offsetMs: number | undefined, evidence: string[]): string | undefined {
  if (facts.pemMatch?.matched === false) return signatureOutcome(facts, evidence);
  if (facts.tokenKidInBackendJwks === false) {
    evidence.push("inferred: the token's kid is not in the backend's JWKS");
    return 'kid-mismatch';
  }
  const aud = facts.env && firstValue(facts.env, AUDIENCE_KEYS);
  if (aud && facts.env) {
    evidence.push(`inferred: ${where(facts.env, aud.key)} ${aud.key} is set and the token has no aud`);
    return 'aud-required';
  }
  if (offsetMs !== undefined && offsetMs < -5000) {
    evidence.push(`inferred: the server clock is ${describeOffset(offsetMs).skew} behind, so the token's nbf/iat look in the future`);
    return 'nbf-future';
  }
  return undefined;
}

export const authCause: CheckModule = {
  id: 'auth.cause',
  async run(ctx, facts) {
    const fresh = facts.target!.fresh!;
    const messages = responseMessages(fresh.body, fresh.headers);
    const matches: MessageMatch[] = matchMessages(ctx.diagnostics.catalogue, { messages, status: fresh.status, reason: fresh.headers['x-clerk-auth-reason'] });
    const claims = fresh.token.claims;
    const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    const offsetMs = serverOffsetMs(messages, fresh.sentAt, facts);
    // The exchange itself is shown under target.fresh-token; here only what it means.
    const evidence: string[] = [];
    if (iat !== undefined) evidence.push(`token age at arrival: ${span(fresh.sentAt - iat * 1000)}${exp !== undefined && iat !== undefined ? ` (lifetime ${exp - iat} s)` : ''}`);
    if (offsetMs !== undefined && Math.abs(offsetMs) > 2500) {
      const { skew, direction } = describeOffset(offsetMs);
      evidence.push(`server clock: ${skew} ${direction} this machine's`);
    }
    const primary = matches[0];
    let outcome: string | undefined;
    let cause: string | undefined;
    if (primary) {
      evidence.push(`said by ${primary.verifiers.join(', ')}: ${primary.matched.join(' | ')}`);
      for (const n of [...primary.notes, ...clockNotes(messages)]) evidence.push(n);
      if (DIRECT.has(primary.cause)) outcome = primary.cause;
      else if (primary.cause === 'signature-invalid') outcome = signatureOutcome(facts, evidence);
      else if (['cause-hidden', 'missing-authorization', 'forbid-missing-header', 'rejected-unknown'].includes(primary.cause)) {
        outcome = inferred(facts, offsetMs, evidence) ?? 'cause-hidden';
      } else {
        outcome = 'matched';
        cause = primary.cause;
      }
    } else outcome = inferred(facts, offsetMs, evidence) ?? 'unknown';

    if (outcome === 'email-required' && claims.email === undefined) evidence.push('the token has no email claim (session tokens carry none unless customised)');
    if (outcome === 'aud-required' && claims.aud === undefined) evidence.push('the token has no aud claim (normal for session tokens)');
    if (outcome === 'issuer-mismatch' && facts.env) {
      const configured = firstValue(facts.env, ['CLERK_ISSUER']);
      evidence.push(`token iss ${String(claims.iss)}${configured ? `; ${where(facts.env, 'CLERK_ISSUER')} CLERK_ISSUER=${configured.value}` : ''}`);
    }
    if (outcome === 'unknown') {
      const risky = [claims.aud === undefined && 'no aud', claims.email === undefined && 'no email', claims.azp === undefined && 'no azp'].filter(Boolean);
      if (risky.length) evidence.push(`the token has ${risky.join(', ')}: a verifier requiring any of them rejects it`);
    }
    const said = primary ? primary.matched[primary.matched.length - 1] : bodyLine(fresh.body, 120) || '(empty body)';
    const vars: Vars = {
      evidence: `fresh token (${iat !== undefined ? span(fresh.sentAt - iat * 1000) : '?'} old) got ${fresh.status}: ${said}`,
      status: fresh.status,
      iss: String(claims.iss ?? ''),
    };
    if (facts.env) {
      vars.envFile = facts.env.display;
      vars.jwksUrl = frontendJwksUrl(facts.env) ?? 'the JWKS';
    }
    const stale = facts.pemMatch?.stale;
    if (stale?.length) vars.key = stale.join(' and ');
    else if (facts.pems?.length) vars.key = facts.pems.map((p) => p.key).join(' and ');
    const out: CheckOutput = { outcome, vars, evidence };
    if (cause) out.cause = cause;
    // The stale-key fix carries the live key to paste; keys.pem-matches-jwks built it.
    if (outcome === 'pem-stale' && facts.pemMatch?.fix) out.fix = facts.pemMatch.fix;
    return out;
  },
};
