/**
 * Output formats for a minted token (no heavy imports: `mint --help` loads this file). Printing the token is the point of `mint`, so these are the
 * one place a full token is written out on purpose (to stdout or the env file the user named).
 */
import { formatEnvValue } from './env-persist.js';
import type { MintedToken } from './types.js';

export const TOKEN_FORMATS = ['bare', 'json', 'bash', 'powershell', 'dotenv'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

export function isTokenFormat(value: string): value is TokenFormat {
  return (TOKEN_FORMATS as readonly string[]).includes(value);
}

/** Whole seconds until `exp` on the local clock (negative once expired); undefined without exp. */
export function secondsLeft(minted: MintedToken, nowMs = Date.now()): number | undefined {
  const exp = minted.claims.exp;
  return typeof exp === 'number' ? Math.floor(exp - nowMs / 1000) : undefined;
}

export interface FormatOptions {
  /** Variable name for bash/powershell/dotenv. Default CLERK_TOKEN. */
  name?: string;
  /** Local clock for `seconds_left`. */
  nowMs?: number;
}

const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
const ps = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** The text to print, without a trailing newline. */
export function formatToken(minted: MintedToken, format: TokenFormat, options: FormatOptions = {}): string {
  const name = options.name ?? 'CLERK_TOKEN';
  switch (format) {
    case 'bare':
      return minted.token;
    case 'bash':
      return `export ${name}=${sh(minted.token)}`;
    case 'powershell':
      return `$env:${name} = ${ps(minted.token)}`;
    case 'dotenv':
      return `${name}=${formatEnvValue(minted.token)}`;
    case 'json': {
      const exp = minted.claims.exp;
      return JSON.stringify(
        {
          token: minted.token,
          header: minted.header,
          claims: minted.claims,
          expires_at: typeof exp === 'number' ? new Date(exp * 1000).toISOString() : null,
          seconds_left: secondsLeft(minted, options.nowMs ?? Date.now()) ?? null,
        },
        null,
        2,
      );
    }
  }
}
