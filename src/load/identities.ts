/**
 * The identities a supply mints for, made from the harness configuration: one token source (the
 * same `createTokenSource` as `run` and `mint`, real Clerk or the emulator) per test user. Without
 * explicit user ids, `users` distinct test users are found or created by email
 * (clerk-harness+load-N+clerk_test@example.com; the first is CLERK_TEST_USER_EMAIL itself).
 */
import { createTokenSource, type TokenSourceConfig } from '../tokens/clerk-source.js';
import type { MintOptions } from '../tokens/types.js';
import type { SupplyIdentity } from './token-supply.js';

export interface IdentityConfig {
  apiUrl: string;
  secretKey: string;
  /** Mint for exactly these users (CLERK_TEST_USER_ID, --user-id ...). */
  userIds?: string[];
  /** Else find or create this many users by email, the first being testUserEmail. Default 1. */
  users?: number;
  testUserEmail: string;
  mint?: MintOptions;
}

/** `base+clerk_test@x` -> `base+load-2+clerk_test@x` (Clerk test emails keep their +clerk_test). */
export function loadUserEmail(base: string, n: number): string {
  if (n === 1) return base;
  const at = base.lastIndexOf('@');
  const local = at === -1 ? base : base.slice(0, at);
  const domain = at === -1 ? 'example.com' : base.slice(at + 1);
  const marker = local.indexOf('+clerk_test');
  const head = marker === -1 ? local : local.slice(0, marker);
  const tail = marker === -1 ? '' : local.slice(marker);
  return `${head}+load-${n}${tail}@${domain}`;
}

export async function createIdentities(config: IdentityConfig): Promise<SupplyIdentity[]> {
  // One attempt per call: the supply itself paces retries and honours Retry-After for all users at once.
  const base: Omit<TokenSourceConfig, 'testUserEmail'> = { apiUrl: config.apiUrl, secretKey: config.secretKey, retry: { attempts: 1 } };
  const specs = config.userIds?.length
    ? config.userIds.map((id) => ({ name: id, source: { ...base, testUserId: id, testUserEmail: config.testUserEmail } }))
    : Array.from({ length: config.users ?? 1 }, (_, i) => {
        const email = loadUserEmail(config.testUserEmail, i + 1);
        return { name: email, source: { ...base, testUserEmail: email } };
      });
  return Promise.all(
    specs.map(async ({ name, source }) => {
      const tokens = await createTokenSource(source);
      return { name, mint: () => tokens.mint(config.mint) };
    }),
  );
}
