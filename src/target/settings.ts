/**
 * The reference target's settings, read the way a real backend reads them: from env variables
 * (an env file, once, at startup). Used by server-main.ts and `clerk-harness target`.
 *
 *   CLERK_SECRET_KEY, CLERK_API_URL          remote JWKS (GET {CLERK_API_URL}/v1/jwks)
 *   CLERK_JWT_KEY or CLERK_PEM_PUBLIC_KEY    networkless verification (wins over the secret key)
 *   CLERK_ISSUER, CLERK_JWT_AUDIENCE         optional checks
 *   TARGET_FLAWS                             comma list of deliberate flaws (src/target/flaws.ts)
 *   TARGET_CLOCK_OFFSET_SECONDS              shift the server clock (clock-skew experiments)
 *   AUDIT_DIR                                audit root (default logs/audit), PORT (default 0)
 */
import path from 'node:path';
import { HarnessError } from '../errors.js';
import { parseFlaws } from './flaws.js';
import type { ReferenceTargetOptions } from './types.js';

export type PlainEnv = Record<string, string | undefined>;

function value(env: PlainEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function integer(env: PlainEnv, name: string, source: string, min: number, max: number): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HarnessError('CONFIG_INVALID', `${name} (from ${source}) must be a whole number between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

/** Options from env variables; relative AUDIT_DIR resolves against `cwd`. */
export function targetOptionsFromEnv(env: PlainEnv, options: { source?: string; cwd?: string } = {}): ReferenceTargetOptions {
  const source = options.source ?? 'environment';
  const auditDir = value(env, 'AUDIT_DIR');
  return {
    secretKey: value(env, 'CLERK_SECRET_KEY'),
    apiUrl: value(env, 'CLERK_API_URL'),
    jwtKey: value(env, 'CLERK_JWT_KEY') ?? value(env, 'CLERK_PEM_PUBLIC_KEY'),
    issuer: value(env, 'CLERK_ISSUER'),
    audience: value(env, 'CLERK_JWT_AUDIENCE'),
    flaws: parseFlaws([value(env, 'TARGET_FLAWS') ?? ''], `TARGET_FLAWS (from ${source})`),
    clockOffsetSeconds: integer(env, 'TARGET_CLOCK_OFFSET_SECONDS', source, -86_400, 86_400) ?? 0,
    auditDir: path.resolve(options.cwd ?? process.cwd(), auditDir ?? path.join('logs', 'audit')),
    port: integer(env, 'PORT', source, 0, 65_535) ?? 0,
  };
}
