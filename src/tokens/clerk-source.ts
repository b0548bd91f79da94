/**
 * The one token source, for real Clerk and the emulator alike: @clerk/backend's client with the
 * user's CLERK_API_URL and secret key. Finds or creates the test user once, keeps one session and
 * asks it for a fresh token on every mint (one API call a token), recreating the session when it
 * has ended. Only the emulator gets a `trustedSigner`; real Clerk cannot sign arbitrary claims.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createClerkClient } from '@clerk/backend';
import pLimit from 'p-limit';
import { signJwt } from '../emulator/issuer.js';
import { HarnessError } from '../errors.js';
import { httpRequest } from '../http/request.js';
import { joinUrl } from '../http/url.js';
import { callClerk, ClerkCallError, clerkCallToHarnessError, newCallHealth, type CallContext, type RetryOptions } from './clerk-call.js';
import { toMintedToken } from './decode.js';
import { checkClerkAnswers, detectMode, notClerk, type ModeProbe } from './mode.js';
import type { MintOptions, MintedToken, SessionRef, TemplateInfo, TokenSource } from './types.js';

/**
 * How many mints go to real Clerk at once, whatever the cases under way (with an audit log 128 of
 * them start together): every source of the process (the test user's, each persona's) shares them,
 * so a run stays as far from the Backend API's rate limit as without audit. The emulator has no
 * rate limit to respect and is not held back.
 */
export const CLERK_MINTS_IN_FLIGHT = 8;
const clerkMints = pLimit(CLERK_MINTS_IN_FLIGHT);

export interface TokenSourceConfig {
  apiUrl: string;
  secretKey: string;
  testUserId?: string;
  /** Where testUserId came from, for messages (default CLERK_TEST_USER_ID). */
  testUserIdFrom?: string;
  testUserEmail: string;
  /** Sessions are created with this organization active (tokens carry its `o` claim); the user must be a member. */
  activeOrganizationId?: string;
  retry?: RetryOptions;
  /**
   * What an earlier source of the same run already established (the CLI's, for the test worker's):
   * the mode, and that testUserId exists. The probes and the user lookup are then not repeated;
   * against real Clerk each is a round trip over the internet.
   */
  verified?: { mode: 'emulator' | 'clerk' };
  /** What the mode probe (detectMode) answered, when the caller already asked: not asked again. */
  probed?: ModeProbe['mode'];
  /**
   * A session an earlier source of the same run created (the CLI's, while the test worker booted):
   * minting starts on it instead of creating another when it is this source's user with this
   * source's active organization. One that has ended by then is replaced like any ended session.
   */
  session?: SessionRef;
}

export async function createTokenSource(config: TokenSourceConfig): Promise<TokenSource> {
  const { apiUrl, secretKey } = config;
  const emulator = config.verified ? config.verified.mode === 'emulator' : (config.probed ?? (await detectMode(apiUrl, secretKey)).mode) !== 'clerk';
  // A URL that is not Clerk (200 {}, an HTML page, a huge body) is said so here, not as SDK stacks.
  if (!emulator && !config.verified) await checkClerkAnswers(apiUrl, secretKey);
  /** What the SDK handed back must have the shape Clerk's answers have. */
  const expect = <T>(value: T, ok: (v: T) => boolean, action: string, what: string): T => {
    if (!ok(value)) throw notClerk(apiUrl, `answered the request to ${action} without ${what}`);
    return value;
  };
  const isId = (v: unknown) => typeof v === 'string' && v.length > 0;
  const clerk = createClerkClient({ secretKey, apiUrl, telemetry: { disabled: true } });
  // One health record for every call of this source: an emulator stopped mid-run fails fast.
  const health = newCallHealth();
  const context = (action: string): CallContext => ({ apiUrl, action, emulator, health });
  const call = <T>(action: string, fn: () => Promise<T>) => callClerk(context(action), fn, config.retry);
  /** Run a call; any 4xx nobody interprets becomes a one-line user error. */
  const plain = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await call(action, fn);
    } catch (err) {
      throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, context(action)) : err;
    }
  };

  async function userById(id: string): Promise<string> {
    try {
      return expect((await call(`get the test user ${id}`, () => clerk.users.getUser(id)))?.id, isId, `get the test user ${id}`, 'a user id');
    } catch (err) {
      if (!(err instanceof ClerkCallError) || err.status !== 404) throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, context(`get user ${id}`)) : err;
      const from = config.testUserIdFrom ?? 'CLERK_TEST_USER_ID';
      const drop = from.startsWith('--') ? `leave out ${from}` : `unset ${from}`;
      throw new HarnessError('CLERK_API', `${from} ${id}: no such user in the Clerk instance at ${apiUrl}`, {
        hint: emulator
          ? `the emulator keeps users in memory only: ${drop} and the harness creates CLERK_TEST_USER_EMAIL`
          : `copy an existing user id from Clerk Dashboard → Users, or ${drop} to use CLERK_TEST_USER_EMAIL`,
      });
    }
  }

  async function userByEmail(email: string): Promise<string> {
    const lookup = `look up the test user ${email}`;
    const find = async () => {
      const page = expect(await plain(lookup, () => clerk.users.getUserList({ emailAddress: [email], limit: 1 })), (p) => Array.isArray(p?.data), lookup, 'a user list');
      return page.data[0] === undefined ? undefined : expect(page.data[0]?.id, isId, lookup, 'a user id');
    };
    const found = await find();
    if (found) return found;
    try {
      const created = await call(`create the test user ${email}`, () =>
        clerk.users.createUser({ emailAddress: [email], skipPasswordRequirement: true, skipPasswordChecks: true }),
      );
      return expect(created?.id, isId, `create the test user ${email}`, 'a user id');
    } catch (err) {
      // Another process created it between our lookup and create: use theirs.
      if (err instanceof ClerkCallError && err.code === 'form_identifier_exists') {
        const raced = await find();
        if (raced) return raced;
      }
      throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, context(`create the test user ${email}`)) : err;
    }
  }

  let user: Promise<string> | undefined;
  const userId = (): Promise<string> => {
    if (user) return user;
    const known = config.verified && config.testUserId;
    const p = known ? Promise.resolve(known) : config.testUserId ? userById(config.testUserId) : userByEmail(config.testUserEmail);
    user = p;
    p.catch(() => user === p && (user = undefined)); // a failed lookup may be retried by the next call
    return p;
  };

  const given = config.session;
  let session: Promise<string> | undefined =
    given && given.userId === config.testUserId && given.activeOrganizationId === config.activeOrganizationId ? Promise.resolve(given.id) : undefined;
  const sessionId = async () => {
    const uid = await userId();
    if (session) return session;
    const action = `create a session for ${uid}`;
    const org = config.activeOrganizationId;
    // @clerk/backend's CreateSessionParams does not list activeOrganizationId yet; it sends it (as active_organization_id).
    const params = (org ? { userId: uid, activeOrganizationId: org } : { userId: uid }) as { userId: string };
    const p = plain(org ? `${action} with organization ${org} active` : action, async () => (await clerk.sessions.createSession(params))?.id).then((id) => expect(id, isId, action, 'a session id'));
    session = p;
    p.catch(() => session === p && (session = undefined));
    return p;
  };

  async function listTemplates(): Promise<TemplateInfo[]> {
    const out: TemplateInfo[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = expect(await plain('list JWT templates', () => clerk.jwtTemplates.list({ limit: 100, offset })), (p) => Array.isArray(p?.data), 'list JWT templates', 'a list of templates');
      for (const t of page.data) out.push({ id: t.id, name: t.name, lifetime: t.lifetime, allowedClockSkew: t.allowedClockSkew, claims: t.claims as Record<string, unknown> });
      if (page.data.length < 100 || out.length >= page.totalCount) return out;
    }
  }

  async function unknownTemplate(name: string): Promise<HarnessError | undefined> {
    const names = (await listTemplates()).map((t) => t.name);
    if (names.includes(name)) return undefined;
    return new HarnessError('CLERK_API', `JWT template "${name}" does not exist at ${apiUrl}; ${names.length ? `available: ${names.join(', ')}` : 'the instance has no JWT templates'}`, {
      hint: emulator
        ? `start the emulator with --template ${name}, or pick one of the available names`
        : `create "${name}" in Clerk Dashboard → JWT templates, or pick one of the available names (\`clerk-harness templates\`)`,
    });
  }

  async function mintOnce(options: MintOptions): Promise<string> {
    const sid = await sessionId();
    const action = options.template ? `mint a "${options.template}" template token` : 'mint a session token';
    const getToken = () => clerk.sessions.getToken(sid, options.template, options.expiresInSeconds);
    const res = await call(action, emulator ? getToken : () => clerkMints(getToken));
    return expect(res?.jwt, (j) => typeof j === 'string' && j.split('.').length === 3, action, 'a JWT');
  }

  async function mint(options: MintOptions = {}): Promise<MintedToken> {
    const action = options.template ? `mint a "${options.template}" template token` : 'mint a session token';
    try {
      return toMintedToken(await mintOnce(options));
    } catch (err) {
      if (!(err instanceof ClerkCallError)) throw err;
      if (err.status === 404 && options.template) {
        const missing = await unknownTemplate(options.template);
        if (missing) throw missing;
      }
      if (err.status !== 404) throw clerkCallToHarnessError(err, context(action));
    }
    // The session ended (revoked, expired): start a new one, once.
    session = undefined;
    try {
      return toMintedToken(await mintOnce(options));
    } catch (err) {
      throw err instanceof ClerkCallError ? clerkCallToHarnessError(err, context(action)) : err;
    }
  }

  /** Sign through the emulator's HTTP route (an emulator without /signing-key, or a key it no longer signs with). */
  async function signRemotely(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
    const out = await httpRequest(joinUrl(apiUrl, '/__emulator/sign'), {
      method: 'POST',
      headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ header, payload }),
      timeoutMs: 10_000,
    });
    if (!out.ok) throw new HarnessError('CLERK_UNREACHABLE', `cannot reach the emulator at ${apiUrl} to sign a token: ${out.failure.words}`, { cause: out.cause });
    const { status, body: text } = out.response;
    const body = parseObject(text) as { jwt?: string; errors?: Array<{ long_message?: string }> };
    if (status < 200 || status >= 300 || typeof body.jwt !== 'string') {
      throw new HarnessError('CLERK_API', `the emulator at ${apiUrl} refused to sign a token: ${status} ${body.errors?.[0]?.long_message ?? ''}`.trim());
    }
    return body.jwt;
  }

  /** The emulator's signing key, fetched once: forged cases are then signed here, with no round trip. */
  let signingKey: Promise<{ kid: string; key: KeyObject } | undefined> | undefined;
  const localKey = () =>
    (signingKey ??= httpRequest(joinUrl(apiUrl, '/__emulator/signing-key'), { headers: { Authorization: `Bearer ${secretKey}` }, timeoutMs: 10_000 })
      .then((out) => {
        if (!out.ok || out.response.status < 200 || out.response.status >= 300) return undefined;
        const body = parseObject(out.response.body) as { kid?: unknown; private_jwk?: unknown };
        if (typeof body.kid !== 'string' || !body.private_jwk || typeof body.private_jwk !== 'object') return undefined;
        return { kid: body.kid, key: createPrivateKey({ key: body.private_jwk as import('node:crypto').JsonWebKey, format: 'jwk' }) };
      })
      .catch(() => undefined));

  const trustedSigner = emulator
    ? async (header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> => {
        const local = await localKey();
        // A header naming another kid (the emulator rotated since): fetch again next time, sign remotely now.
        if (local && (header.kid === undefined || header.kid === local.kid)) return signJwt({ privateKeyObject: local.key }, header, payload);
        if (local) signingKey = undefined;
        return signRemotely(header, payload);
      }
    : undefined;

  return {
    mode: emulator ? 'emulator' : 'clerk',
    apiUrl,
    userId,
    session: async () => ({ id: await sessionId(), userId: await userId(), ...(config.activeOrganizationId ? { activeOrganizationId: config.activeOrganizationId } : {}) }),
    mint,
    listTemplates,
    trustedSigner,
  };
}

/** A JSON object body, or {} for anything else. */
function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
