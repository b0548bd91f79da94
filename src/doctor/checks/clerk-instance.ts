/**
 * clerk.template, clerk.test-user and clerk.mint: what `run` will need from the harness's
 * instance. Lookups only; minting goes through the token source like every test does.
 */
import { createClerkClient } from '@clerk/backend';
import type { CheckModule } from '../types.js';

export const clerkTemplate: CheckModule = {
  id: 'clerk.template',
  async run(ctx, facts) {
    const template = facts.harness!.config.jwtTemplate;
    if (!template) return { outcome: 'not-configured' };
    const source = await ctx.tokenSource();
    const list = await source.listTemplates();
    const hit = list.find((t) => t.name === template);
    if (!hit) return { outcome: 'missing', vars: { template, names: list.map((t) => t.name).join(', ') || 'none' } };
    return { outcome: 'exists', vars: { template, lifetime: hit.lifetime, aud: 'aud' in hit.claims ? ', sets aud' : '' } };
  },
};

export const clerkTestUser: CheckModule = {
  id: 'clerk.test-user',
  async run(_ctx, facts) {
    const { config, apiUrl } = facts.harness!;
    const clerk = createClerkClient({ secretKey: config.clerkSecretKey, apiUrl, telemetry: { disabled: true } });
    if (config.testUserId) {
      try {
        const user = await clerk.users.getUser(config.testUserId);
        return { outcome: 'exists', vars: { user: user.id } };
      } catch (err) {
        if ((err as { status?: number }).status === 404) return { outcome: 'missing', vars: { user: config.testUserId } };
        throw err;
      }
    }
    const found = await clerk.users.getUserList({ emailAddress: [config.testUserEmail], limit: 1 });
    const user = found.data[0];
    if (user) return { outcome: 'exists', vars: { user: `${user.id} (${config.testUserEmail})` } };
    return { outcome: 'will-create', vars: { email: config.testUserEmail } };
  },
};

export const clerkMint: CheckModule = {
  id: 'clerk.mint',
  async run(ctx) {
    try {
      const source = await ctx.tokenSource();
      const token = await source.mint();
      const { iat, exp, iss } = token.claims;
      return {
        outcome: 'minted',
        vars: { kid: String(token.header.kid ?? '(none)'), iss: String(iss ?? '(none)'), lifetime: typeof exp === 'number' && typeof iat === 'number' ? exp - iat : '?' },
        details: [`claims: ${Object.keys(token.claims).join(', ')}`, `source: ${source.mode} at ${source.apiUrl}`],
        facts: { token },
      };
    } catch (err) {
      return { outcome: 'failed', vars: { error: (err as Error).message }, evidence: (err as { hint?: string }).hint ? [`hint: ${(err as { hint?: string }).hint}`] : [] };
    }
  },
};
