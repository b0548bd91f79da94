/**
 * A running token supply from the harness configuration (CLI `load`, `tokens serve`, the Artillery
 * processor): the same Clerk settings, users and template choice as `run` and `mint`.
 */
import type { Clock } from './clock.js';
import { createIdentities, type IdentityConfig } from './identities.js';
import type { RateLimit } from './rate-limit.js';
import { TokenSupply, type SupplyEvent } from './token-supply.js';

/** Who to mint for (as `createIdentities` takes it), and how the supply keeps their tokens fresh. */
export interface SupplySettings extends IdentityConfig {
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
