/**
 * authz.refusal: the target refused doctor's fresh, genuine token after signing it in (a 403), or
 * hid an object from it (a 404). What the answer names (diagnostics/authz.yaml) is compared with
 * the token's claims as @clerk/backend reads them, and the first thing the token lacks decides
 * (src/doctor/explain/authz.ts). A correct refusal is a warning - authorization works - whose fix
 * says how to give the persona what it lacks; only a server refusing what the token carries fails.
 * A 403 naming nothing while the key checks say the backend cannot verify this token is treated
 * as the authentication failure it most likely is.
 */
import { readRefusal } from '../explain/authz.js';
import { responseMessages } from '../explain/parse-input.js';
import { bodyLine } from '../lib/http.js';
import type { CheckModule, CheckOutput, Facts } from '../types.js';

/** When the 403 says nothing: does a key check show the backend cannot verify the token at all? */
function keyDoubt(facts: Readonly<Facts>, kid: string): { cause: string; line: string } | undefined {
  if (facts.pemMatch && !facts.pemMatch.matched) return { cause: 'pem-stale', line: `the env file's ${(facts.pemMatch.stale ?? ['PEM']).join(' and ')} matches no live key (keys.pem-matches-jwks), so the 403 most likely hides a signature failure` };
  if (facts.tokenKidInBackendJwks === false) return { cause: 'kid-mismatch', line: `the token's kid ${kid} is not among the backend's keys (keys.token-kid), so the 403 most likely hides a signature failure` };
  return undefined;
}

export const authzRefusal: CheckModule = {
  id: 'authz.refusal',
  async run(ctx, facts) {
    const fresh = facts.target!.fresh!;
    const messages = responseMessages(fresh.body, fresh.headers);
    const claims = fresh.token.claims as Record<string, unknown>;
    const reading = readRefusal(ctx.diagnostics.authz, { status: fresh.status, messages, body: fresh.body, claims });
    const endpoint = `${ctx.options.endpoint.method} ${ctx.options.endpoint.path}`;
    // readRefusal always finds something (at least "names no requirement").
    const [first, ...others] = reading.findings as [(typeof reading.findings)[number], ...typeof reading.findings];
    if (first.outcome === 'unnamed') {
      const doubt = keyDoubt(facts, String(fresh.token.header.kid ?? '(none)'));
      if (doubt) {
        return { outcome: 'authentication-hidden', cause: doubt.cause, vars: { line: doubt.line, endpoint }, evidence: [`${endpoint} answered ${fresh.status}: ${bodyLine(fresh.body, 160) || '(empty body)'}`, ...(reading.tokenLine ? [reading.tokenLine] : [])] };
      }
    }
    const evidence = [...first.evidence];
    for (const o of others) evidence.push(`also: ${o.line}`);
    if (first.severity === 'warn' && first.outcome !== 'unnamed') {
      evidence.push(fresh.status === 404 ? 'doctor cannot know whether this user owns the object: the fix says what to check if it does' : 'a correct refusal if this user is not meant to have access; the fix says how to give it');
    }
    const out: CheckOutput = { outcome: first.outcome, vars: { ...first.vars, line: first.line, endpoint, status: fresh.status }, evidence };
    return out;
  },
};
