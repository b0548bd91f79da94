/**
 * auth.cause: why a fresh, genuine token was refused. The reasoning is data
 * (diagnostics/auth-rules.yaml: ordered rules over named facts); this module only measures the
 * facts the rules read - what the answer said (matched against messages.yaml), whether the token
 * was fresh by this machine's clock, how far the target's and Clerk's clocks are apart, what the
 * key checks and the server process check found - runs the rules, and words the evidence.
 */
import { clockNotes, HTTP_DATE } from '../explain/explain.js';
import { matchMessages, type MessageMatch } from '../explain/match.js';
import { responseMessages } from '../explain/parse-input.js';
import { fill } from '../data.js';
import { where } from '../lib/env-file.js';
import { bodyLine, describeOffset } from '../lib/http.js';
import { evaluateRules, type FactValue, type RuleSet } from '../lib/rules.js';
import { span } from '../lib/time.js';
import type { CheckModule, CheckOutput, Facts, Vars } from '../types.js';
import { AUDIENCE_KEYS } from './env-audience.js';
import { firstValue } from './env-values.js';
import { frontendJwksUrl } from './keys-jwks.js';

type Fresh = NonNullable<NonNullable<Facts['target']>['fresh']>;

/** The target's clock minus ours (ms): "Current date: ..." in a Clerk message, else its Date header. */
function targetOffsetMs(messages: string[], sentAt: number, facts: Readonly<Facts>): number | undefined {
  for (const m of messages) {
    const hit = new RegExp(`Current date: (${HTTP_DATE})`).exec(m);
    if (hit && !Number.isNaN(Date.parse(hit[1]))) return Date.parse(hit[1]) + 500 - sentAt;
  }
  return facts.target?.offsetMs;
}

const tri = (v: boolean | undefined): FactValue => (v === undefined ? 'unknown' : v);

interface Measured {
  values: Record<string, FactValue>;
  vars: Vars;
}

/**
 * The value of every fact auth-rules.yaml declares, and the vars its evidence lines use. Each
 * entry says how the named fact is measured; test/doctor-rules.test.ts keeps the names in step
 * with the rules file.
 */
export function measureFacts(facts: Readonly<Facts>, fresh: Fresh, primary: MessageMatch | undefined, messages: string[], rules: RuleSet): Measured {
  const limitMs = (rules.settings.clock_limit_s ?? 5) * 1000;
  const freshWithinMs = (rules.settings.fresh_within_s ?? 10) * 1000;
  const verifier = targetOffsetMs(messages, fresh.sentAt, facts);
  const issuer = facts.clerkOffsetMs;
  // Target minus issuer; either clock unmeasured counts as this machine's.
  const apart = verifier === undefined && issuer === undefined ? undefined : (verifier ?? 0) - (issuer ?? 0);
  const mintedAgoMs = fresh.sentAt - fresh.token.receivedAt;
  const env = facts.env;
  const aud = env ? firstValue(env, AUDIENCE_KEYS) : undefined;
  const proc = facts.serverProcess;
  const values: Record<string, FactValue> = {
    answer: primary?.cause ?? 'none',
    'token-fresh': mintedAgoMs >= 0 && mintedAgoMs <= freshWithinMs,
    'verifier-ahead-of-issuer': apart === undefined ? 'unknown' : apart > limitMs,
    'verifier-behind-issuer': apart === undefined ? 'unknown' : apart < -limitMs,
    'pem-live': tri(facts.pemMatch?.matched),
    'token-key-in-backend': tri(facts.tokenKidInBackendJwks),
    'process-older-than-env': tri(proc?.startedBeforeEnvChange),
    'audience-set': aud !== undefined,
  };
  const stale = facts.pemMatch?.stale ?? [];
  const pemNames = (facts.pems ?? []).map((p) => p.key).join(' and ');
  const vars: Vars = {
    mintedAgo: span(Math.max(0, mintedAgoMs)),
    skew: apart === undefined ? undefined : describeOffset(apart).skew,
    stale: stale.join(' and ') || 'PEM',
    pemNames: pemNames || 'PEM',
    kid: String(fresh.token.header.kid ?? '(none)'),
    pid: proc?.pid,
    audienceKey: aud?.key,
    audienceAt: aud && env ? where(env, aud.key) : undefined,
  };
  return { values, vars };
}

export const authCause: CheckModule = {
  id: 'auth.cause',
  async run(ctx, facts) {
    const fresh = facts.target!.fresh!;
    const rules = ctx.diagnostics.authRules;
    const messages = responseMessages(fresh.body, fresh.headers);
    const matches: MessageMatch[] = matchMessages(ctx.diagnostics.catalogue, { messages, status: fresh.status, reason: fresh.headers['x-clerk-auth-reason'] });
    const primary = matches[0];
    const claims = fresh.token.claims;
    const iat = typeof claims.iat === 'number' ? claims.iat : undefined;
    const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
    const { values, vars: ruleVars } = measureFacts(facts, fresh, primary, messages, rules);

    // The exchange itself is shown under target.fresh-token; here only what it means.
    const evidence: string[] = [`minted ${ruleVars.mintedAgo} before the request (this machine's clock)${iat !== undefined ? `; by its iat ${span(fresh.sentAt - iat * 1000)} old` : ''}${exp !== undefined && iat !== undefined ? ` (lifetime ${exp - iat} s)` : ''}`];
    const verifier = targetOffsetMs(messages, fresh.sentAt, facts);
    if (verifier !== undefined && Math.abs(verifier) > 2500) {
      const { skew, direction } = describeOffset(verifier);
      evidence.push(`server clock: ${skew} ${direction} this machine's`);
    }
    if (facts.clerkOffsetMs !== undefined && Math.abs(facts.clerkOffsetMs) > 2500) {
      const { skew, direction } = describeOffset(facts.clerkOffsetMs);
      evidence.push(`Clerk's clock (the issuer's): ${skew} ${direction} this machine's`);
    }
    if (primary) {
      evidence.push(`said by ${primary.verifiers.join(', ')}: ${primary.matched.join(' | ')}`);
      for (const n of [...primary.notes, ...clockNotes(messages)]) evidence.push(n);
    }
    const decided = evaluateRules(rules, values);
    if (!decided) throw new Error('diagnostics/auth-rules.yaml: no rule holds (the last rule should have no `when`)');
    const { outcome, rule } = decided;
    for (const line of rule.evidence) evidence.push(fill(line, ruleVars, ctx.diagnostics.varDefaults));
    evidence.push(`rule ${rule.id} (diagnostics/auth-rules.yaml)`);

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
      evidence: `fresh token (minted ${ruleVars.mintedAgo} before) got ${fresh.status}: ${said}`,
      status: fresh.status,
      iss: String(claims.iss ?? ''),
      skew: ruleVars.skew,
    };
    if (facts.env) {
      vars.envFile = facts.env.display;
      vars.jwksUrl = frontendJwksUrl(facts.env) ?? 'the JWKS';
    }
    const stale = facts.pemMatch?.stale;
    if (stale?.length) vars.key = stale.join(' and ');
    else if (facts.pems?.length) vars.key = facts.pems.map((p) => p.key).join(' and ');
    const out: CheckOutput = { outcome, vars, evidence };
    if (outcome === 'matched' && primary) out.cause = primary.cause;
    // The stale-key fix carries the live key to paste; keys.pem-matches-jwks built it.
    if (outcome === 'pem-stale' && facts.pemMatch?.fix) out.fix = facts.pemMatch.fix;
    return out;
  },
};
