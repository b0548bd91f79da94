import { exportSPKI } from 'jose/key/export';
import { importJWK } from 'jose/key/import';
import type { JWK } from 'jose';
import { CATALOGUE } from '../cases/catalogue.js';
import type { Severity } from '../cases/types.js';
import { httpRequest } from '../http/request.js';
import { joinUrl } from '../http/url.js';
import { createTokenSource } from '../tokens/clerk-source.js';
import type { ModeProbe } from '../tokens/mode.js';
import { setUpPersonas } from '../personas/setup.js';
import { planSuite, type RunPlan } from './plan.js';
import type { Suite } from './types.js';

export interface BuildPlanInput {
  suite: Suite;
  targetUrl: string;
  clerk: RunPlan['clerk'];
  template?: string;
  publicKeyPem?: string;
  failOn: Exclude<Severity, 'info'>;
  /** What the mode probe answered, when the caller asked already (the CLI does, before vitest loads). */
  probed?: ModeProbe['mode'];
}

/** The public key Clerk (or the emulator) signs with, from the Backend API JWKS: public material. */
async function publicKeyFromJwks(apiUrl: string, secretKey: string): Promise<string | undefined> {
  try {
    const out = await httpRequest(joinUrl(apiUrl, '/v1/jwks'), { headers: { authorization: `Bearer ${secretKey}` }, timeoutMs: 10_000 });
    if (!out.ok || out.response.status < 200 || out.response.status >= 300) return undefined;
    const jwk = (JSON.parse(out.response.body) as { keys?: JWK[] }).keys?.find((k) => k.kty === 'RSA');
    if (!jwk) return undefined;
    return await exportSPKI((await importJWK({ ...jwk, alg: jwk.alg ?? 'RS256' }, 'RS256', { extractable: true })) as CryptoKey);
  } catch {
    return undefined;
  }
}

/**
 * Resolve everything the workers need, once, in the CLI process: the token source's mode (and a
 * clear error now if the secret key is wrong), the test user, the template, the public key.
 */
export async function buildPlan(input: BuildPlanInput): Promise<RunPlan> {
  const source = await createTokenSource({ ...input.clerk, probed: input.probed });
  // Independent Backend API calls, sent together (against real Clerk each is a round trip over the
  // internet) and awaited in this order, so the error a run reports stays the first one's.
  const user = source.userId();
  const templates = input.template ? source.listTemplates() : undefined;
  const publicKey = input.publicKeyPem !== undefined ? Promise.resolve(input.publicKeyPem) : publicKeyFromJwks(source.apiUrl, input.clerk.secretKey);
  const personaSetup = input.suite.personas ? setUpPersonas({ apiUrl: input.clerk.apiUrl, secretKey: input.clerk.secretKey, personas: Object.values(input.suite.personas) }) : undefined;
  for (const p of [templates, personaSetup]) p?.catch(() => undefined); // awaited below, after `user`
  const testUserId = await user;
  // The session the worker mints on, made now: the worker boots meanwhile, and against real Clerk
  // its first mint then waits for one internet round trip instead of two.
  const session = source.session ? source.session() : Promise.resolve(undefined);
  session.catch(() => undefined); // awaited below, after the template and key checks
  const extraSkips: Record<string, string> = {};
  const templateCases = CATALOGUE.filter((c) => c.needs.includes('template')).map((c) => c.id);
  if (templates) {
    const list = await templates;
    if (!list.some((t) => t.name === input.template)) {
      const known = list.map((t) => t.name).join(', ') || 'none';
      for (const id of templateCases) {
        extraSkips[id] = `JWT template "${input.template}" does not exist in the instance (templates: ${known}); create it (RS256) or fix CLERK_JWT_TEMPLATE`;
      }
    }
  }
  const publicKeyPem = await publicKey;
  const { cases, endpointCases } = planSuite([...CATALOGUE], input.suite, extraSkips);
  // Suites with personas: the personas made real in the instance.
  const personas = await personaSetup;
  const testSession = await session;
  return {
    suite: input.suite,
    targetUrl: input.targetUrl,
    clerk: { ...input.clerk, testUserId, session: testSession },
    mode: source.mode,
    template: input.template,
    publicKeyPem,
    cases,
    failOn: input.failOn,
    ...(personas ? { personas, endpointCases } : {}),
  };
}
