import { startAttackerJwks } from '../cases/attacker-jwks.js';
import { getCase } from '../cases/catalogue.js';
import type { CaseContext, CaseDef } from '../cases/types.js';
import { createTokenSource } from '../tokens/clerk-source.js';
import type { MintedToken } from '../tokens/types.js';
import type { AuditProbe } from './audit-probe.js';
import { createAuditProbe } from './audit-probe-impl.js';
import type { RunPlan } from './plan.js';

export interface WorkerDeps {
  context: CaseContext;
  audit?: AuditProbe;
  /** Requests the attacker key server (jku case) has served. */
  keyUrlFetches(match?: string): number;
  caseById(id: string): CaseDef;
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
  const source = await createTokenSource(plan.clerk);
  const attacker = await startAttackerJwks();
  const mint: CaseContext['mint'] = (options) => source.mint(options);
  const context: CaseContext = {
    source,
    mint,
    trustedSigner: source.trustedSigner,
    publicKeyPem: plan.publicKeyPem,
    template: plan.template,
    authorizedParty: plan.suite.authorizedParty,
    attackerJwksUrl: attacker.url,
    expiredToken: expiredTokenFactory(plan, mint),
    nowSeconds: () => Math.floor(Date.now() / 1000),
  };
  const audit = plan.suite.audit ? await createAuditProbe(plan.suite.audit) : undefined;
  return {
    context,
    audit,
    keyUrlFetches: (match) => attacker.fetchCount(match),
    caseById: (id) => getCase(id),
    stop: () => attacker.stop(),
  };
}
