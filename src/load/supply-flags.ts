/** The token-supply flags `load` and `tokens serve` share, parsed into supply settings. */
import { valueProblem } from '../config/placeholders.js';
import { HarnessError } from '../errors.js';
import type { HarnessConfig } from '../config/load.js';
import type { SupplySettings } from './supply-from-config.js';
import { parseDuration, parseRate } from './units.js';

export const SUPPLY_FLAGS = {
  'user-id': { type: 'string', multiple: true },
  users: { type: 'string' },
  template: { type: 'string' },
  'expires-in': { type: 'string' },
  'max-age': { type: 'string' },
  'refresh-at': { type: 'string' },
  'mint-rate': { type: 'string' },
} as const;

export const SUPPLY_FLAGS_HELP = `Token supply:
  --user-id ID          mint for this user (repeatable: one token stream per user; default
                        CLERK_TEST_USER_ID, else find or create CLERK_TEST_USER_EMAIL)
  --users N             find or create N test users by email (clerk-harness+load-2+clerk_test@…)
  --template NAME       mint JWT-template tokens (default: the suite's template / CLERK_JWT_TEMPLATE)
  --expires-in SECONDS  token lifetime to ask for, 30 to 315360000 (default: 60 s or the template's)
  --max-age DURATION    never hand out a token older than this (default: 5/6 of the lifetime the
                        token states with exp - iat: 50s of a 60 s token)
  --refresh-at DURATION mint the replacement at this age (default: half of --max-age)
  --mint-rate N/WINDOW  Backend API calls allowed (default 20/10s, a fifth of Clerk's documented
                        development-instance limit of 100/10s; production allows 1000/10s).
                        A 429 pauses all minting for its Retry-After.`;

type Values = { [K in keyof typeof SUPPLY_FLAGS]?: (typeof SUPPLY_FLAGS)[K] extends { multiple: true } ? string[] : string };

function whole(command: string, flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new HarnessError('USAGE', `${command}: --${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

export function supplySettingsFrom(
  command: string,
  values: Values,
  clerk: { apiUrl: string; secretKey: string; testUserId?: string; testUserEmail: string },
  template: string | undefined,
): SupplySettings {
  for (const id of values['user-id'] ?? []) {
    const problem = valueProblem(id);
    if (problem || !/^user_[A-Za-z0-9]{6,}$/.test(id)) throw new HarnessError('USAGE', `${command}: --user-id "${id}" is not a Clerk user id (user_ followed by letters and digits)`);
  }
  if (values['user-id']?.length && values.users !== undefined) throw new HarnessError('USAGE', `${command}: give --user-id or --users, not both`);
  const users = values.users === undefined ? undefined : whole(command, 'users', values.users, 1, 1000);
  const expiresIn = values['expires-in'] === undefined ? undefined : whole(command, 'expires-in', values['expires-in'], 30, 315_360_000);
  const userIds = values['user-id']?.length ? values['user-id'] : users === undefined && clerk.testUserId ? [clerk.testUserId] : undefined;
  return {
    apiUrl: clerk.apiUrl,
    secretKey: clerk.secretKey,
    userIds,
    users,
    testUserEmail: clerk.testUserEmail,
    mint: { template: values.template ?? template, expiresInSeconds: expiresIn },
    maxAgeMs: values['max-age'] === undefined ? undefined : parseDuration('max-age', values['max-age']),
    refreshAtMs: values['refresh-at'] === undefined ? undefined : parseDuration('refresh-at', values['refresh-at']),
    rateLimit: values['mint-rate'] === undefined ? undefined : parseRate('mint-rate', values['mint-rate']),
  };
}

/** Clerk settings of a non-embedded run, as `run` and `mint` read them. */
export function clerkOf(config: HarnessConfig): { apiUrl: string; secretKey: string; testUserId?: string; testUserEmail: string } {
  return { apiUrl: config.clerkApiUrl, secretKey: config.clerkSecretKey!, testUserId: config.testUserId, testUserEmail: config.testUserEmail };
}
