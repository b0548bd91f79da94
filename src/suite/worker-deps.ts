import { startAttackerJwks } from '../cases/attacker-jwks.js';
import { JKU_CASE_ID } from '../cases/injection-cases.js';
import { getCase } from '../cases/catalogue.js';
import type { CaseContext, CaseDef } from '../cases/types.js';
import { createTokenSource } from '../tokens/clerk-source.js';
import type { MintedToken } from '../tokens/types.js';
import type { AuditProbe } from './audit-probe.js';
import { casesOf, type RunPlan } from './plan.js';
import { concurrencyOf } from './limits.js';
import { createObjectPool, type ObjectPool } from './authz/objects.js';
import type { TokenSource } from '../tokens/types.js';

export interface WorkerDeps {
  context: CaseContext;
  audit?: AuditProbe;
  /** Requests the attacker key server (jku case) has served. */
  keyUrlFetches(match?: string): number;
  caseById(id: string): CaseDef;
  /** A persona's case context: its own session (with its active organization), or one without an active organization. */
  contextFor(persona: string, variant?: 'session' | 'no-active-org'): Promise<CaseContext>;
  /** The objects resource endpoints address, created before any case runs. */
  objects?: ObjectPool;
  stop(): Promise<void>;
}

/** Clerk's default clock skew (5 s) plus a typical PyJWT leeway (10 s) plus a margin. */
const EXPIRY_MARGIN_SECONDS = 20;

/**
 * Against real Clerk an expired token can only be made honestly by minting it early and waiting
 * for it to expire; the cases that need it run last, so the wait overlaps the rest of the run.
 */
function expiredTokenFactory(plan: RunPlan, mint: CaseContext['mint']): CaseContext['expiredToken'] {
  if (plan.mode !== 'clerk') return undefined;
  const early: Promise<MintedToken> = mint({ expiresInSeconds: 30 });
  early.catch(() => undefined);
  return async () => {
    const token = await early;
    const exp = Number(token.claims.exp);
    const waitMs = (exp + EXPIRY_MARGIN_SECONDS) * 1000 - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    return token;
  };
}

/** Set up, in the vitest worker, what every test of the plan shares. */
export async function prepareWorker(plan: RunPlan): Promise<WorkerDeps> {
  // Independent and each slow in its own way (Backend API calls, an RSA key generated on the
  // thread pool, a schema compile): started together, awaited together.
  // The audit machinery (ajv, the schema) is loaded only by suites with an audit log.
  const suiteAudit = plan.suite.audit;
  const auditProbe = suiteAudit ? import('./audit-probe-impl.js').then((m) => m.createAuditProbe(suiteAudit, { maxBatch: concurrencyOf(plan) })) : Promise.resolve(undefined);
  // The attacker's JWKS server (and its RSA key) only for a plan with the jku case.
  const needsAttackerJwks = plan.suite.endpoints.some((e) => casesOf(plan, e).some((c) => c.id === JKU_CASE_ID));
  const [source, attacker] = await Promise.all([createTokenSource({ ...plan.clerk, verified: { mode: plan.mode } }), needsAttackerJwks ? startAttackerJwks() : undefined]);
  const contextOf = (src: TokenSource): CaseContext => {
    const mint: CaseContext['mint'] = (options) => src.mint(options);
    return {
      source: src,
      mint,
      trustedSigner: src.trustedSigner,
      publicKeyPem: plan.publicKeyPem,
      template: plan.template,
      authorizedParty: plan.suite.authorizedParty,
      attackerJwksUrl: attacker?.url,
      expiredToken: expiredTokenFactory(plan, mint),
      nowSeconds: () => Math.floor(Date.now() / 1000),
    };
  };
  const context = contextOf(source);
  // One token source (one session) per persona and variant, made when first needed.
  const personaContexts = new Map<string, Promise<CaseContext>>();
  const contextFor: WorkerDeps['contextFor'] = (name, variant = 'session') => {
    const key = `${name}\u0000${variant}`;
    let ctx = personaContexts.get(key);
    if (!ctx) {
      const persona = plan.personas?.find((p) => p.name === name);
      if (!persona) return Promise.reject(new Error(`persona ${name} is not in the plan`));
      // The personas were found or created when the plan was built: their ids are known to exist.
      ctx = createTokenSource({
        ...plan.clerk,
        session: undefined, // the plan's session is the test user's; a persona makes its own
        verified: { mode: plan.mode },
        testUserId: persona.userId,
        testUserIdFrom: `persona ${name}`,
        testUserEmail: persona.email,
        activeOrganizationId: variant === 'session' ? persona.organizationId : undefined,
      }).then(contextOf);
      personaContexts.set(key, ctx);
      ctx.catch(() => personaContexts.get(key) === ctx && personaContexts.delete(key));
    }
    return ctx;
  };
  const resourceEndpoints = plan.suite.endpoints.filter((e) => e.resource).map((endpoint) => ({ endpoint, sends: casesOf(plan, endpoint).length }));
  // Before any audit window opens: the creations' own audit lines land in no request's window.
  const objects = resourceEndpoints.length
    ? await createObjectPool({ targetUrl: plan.targetUrl, timeoutMs: plan.suite.timeoutMs, suiteHeaders: plan.suite.headers, endpoints: resourceEndpoints, contextFor: (p) => contextFor(p) })
    : undefined;
  const audit = await auditProbe;
  return {
    context,
    audit,
    keyUrlFetches: (match) => attacker?.fetchCount(match) ?? 0,
    caseById: (id) => getCase(id),
    contextFor,
    objects,
    stop: async () => attacker?.stop(),
  };
}
