/**
 * Routes that are not Clerk's (under /__emulator, secret-key protected): what the harness needs
 * to drive an emulator running in another process (sign for negative cases, rotate, faults).
 */
import { unprocessable } from './api-errors.js';
import { publishableKeyFor } from './env.js';
import { checkFault } from './faults.js';
import type { Route } from './routes.js';
import { EMULATOR_ADMIN_PREFIX, type FaultInjection } from './types.js';

const P = EMULATOR_ADMIN_PREFIX;

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export const ADMIN_ROUTES: Route[] = [
  {
    method: 'GET',
    path: new RegExp(`^${P}/info$`),
    handle: ({ core }) => ({
      object: 'emulator',
      issuer: core.issuer,
      kid: core.currentKey().kid,
      publishable_key: publishableKeyFor(core.baseUrl),
      jwks_url: `${core.issuer}/.well-known/jwks.json`,
      api_url: core.baseUrl,
      authorized_party: core.authorizedParty ?? null,
      now: core.nowSeconds(),
    }),
  },
  {
    method: 'POST',
    path: new RegExp(`^${P}/sign$`),
    handle: async ({ core, body }) => {
      const { header, payload } = await body();
      if (!isObject(header)) throw unprocessable('form_param_missing', 'header', 'header must be a JSON object.');
      if (!isObject(payload)) throw unprocessable('form_param_missing', 'payload', 'payload must be a JSON object.');
      return { object: 'signed_jwt', jwt: core.sign(header, payload) };
    },
  },
  {
    // The harness signs its negative cases in its own process (no round trip per forged token):
    // the emulator's current signing key, for the holder of its secret key only.
    method: 'GET',
    path: new RegExp(`^${P}/signing-key$`),
    handle: ({ core }) => {
      const key = core.currentKey();
      return { object: 'signing_key', kid: key.kid, private_jwk: key.privateKeyObject.export({ format: 'jwk' }) };
    },
  },
  { method: 'POST', path: new RegExp(`^${P}/rotate$`), handle: async ({ core }) => {
    const key = await core.rotateKey();
    return { object: 'key', kid: key.kid, public_pem: key.publicPem };
  } },
  {
    method: 'POST',
    path: new RegExp(`^${P}/faults$`),
    handle: async ({ core, body }) => {
      const b = await body();
      const fault: FaultInjection = {
        status: Number(b.status),
        count: b.count === undefined ? 1 : Number(b.count),
        retryAfterSeconds: b.retry_after_seconds === undefined ? undefined : Number(b.retry_after_seconds),
        pathPattern: typeof b.path_pattern === 'string' ? b.path_pattern : undefined,
      };
      try {
        checkFault(fault);
      } catch (err) {
        throw unprocessable('form_param_value_invalid', 'fault', (err as Error).message);
      }
      core.faults.add(fault);
      return { ok: true };
    },
  },
  { method: 'DELETE', path: new RegExp(`^${P}/faults$`), handle: ({ core }) => (core.faults.clear(), { ok: true }) },
];

