/**
 * A running token supply from the harness configuration (CLI `load`, `tokens serve`, the Artillery
 * processor): the same Clerk settings, users and template choice as `run` and `mint`.
 */
import type { MintOptions } from '../tokens/types.js';
import type { Clock } from './clock.js';
import { createIdentities } from './identities.js';
import type { RateLimit } from './rate-limit.js';
import { TokenSupply, type SupplyEvent } from './token-supply.js';

export interface SupplySettings {
  apiUrl: string;
  secretKey: string;
  userIds?: string[];
  users?: number;
  testUserEmail: string;
  mint?: MintOptions;
  maxAgeMs?: number;
  refreshAtMs?: number;
  rateLimit?: RateLimit;
  clock?: Clock;
  onEvent?: (event: SupplyEvent) => void;
}

/** Create the identities, start minting and resolve once every identity has a fresh token. */
export async function startTokenSupply(settings: SupplySettings): Promise<TokenSupply> {
  const identities = await createIdentities(settings);
  const supply = new TokenSupply({ ...settings, identities });
  try {
    await supply.ready();
  } catch (err) {
    supply.stop();
    throw err;
  }
  return supply;
}
