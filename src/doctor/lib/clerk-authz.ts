/**
 * What @clerk/backend 3.x makes of a session token's organization, billing and verification
 * claims, and what its `auth.has()` answers - re-stated here, pure and without the SDK, so
 * `doctor explain` stays fast and needs no configuration. Each function names the SDK function it
 * follows (@clerk/shared 4.x, which @clerk/backend 3.25 bundles):
 *
 *   authOfClaims   __experimental_JWTPayloadToAuthObjectProperties  (src/jwtPayloadParser.ts),
 *                  called by signedInAuthObject (backend src/tokens/authObjects.ts)
 *   hasAuthorization  createCheckAuthorization                     (src/authorization.ts),
 *                  the `has` of signedInAuthObject, fed {orgId, orgRole, orgPermissions, userId,
 *                  factorVerificationAge, features: sessionClaims.fea || "", plans: sessionClaims.pla || ""}
 *
 * test/doctor-authz.test.ts runs both against the SDK's own signedInAuthObject(...).has on a table
 * of claims, so a change in the SDK shows up as a failing test, not as a wrong explanation.
 */

/** The auth object's organization fields, as signedInAuthObject sets them. */
export interface ClaimsAuth {
  /** 2 when claims.v === 2 (the `o` claim), else 1 (flat org_* claims): the SDK switches on v. */
  version: 1 | 2;
  userId?: string;
  orgId?: string;
  /** Always "org:"-prefixed in v2 ("org:" + o.rol); as written in v1 (org_role). */
  orgRole?: string;
  orgSlug?: string;
  /** v2: built from fea + o.per + o.fpm; v1: org_permissions as written (may be anything). */
  orgPermissions?: unknown;
  /** sessionClaims.fea || "" and sessionClaims.pla || "", unconverted (a non-string fails every check). */
  features: unknown;
  plans: unknown;
  factorVerificationAge: unknown;
  sessionStatus: unknown;
  /** Why the SDK would throw or read nothing here (a fea element without a colon, ...). */
  problems: string[];
  /** v2 only: the parts the permissions are built from, to say why one is missing. */
  v2?: { orgFeatures: string[]; per: string[]; fpm: string[]; bits: number[][] };
}

/** decimalToBinaryBits: a decimal string as bits, least significant first, padded to minimumLength. */
export function decimalToBinaryBits(decimal: string, minimumLength: number): number[] | undefined {
  if (!/^\d+$/.test(decimal)) return undefined;
  let n = BigInt(decimal);
  const bits: number[] = [];
  while (n > 0n) {
    bits.push(Number(n & 1n));
    n >>= 1n;
  }
  if (bits.length === 0) bits.push(0);
  while (bits.length < minimumLength) bits.push(0);
  return bits;
}

/** splitByScope: "o:a,u:b,ou:c" into org and user lists; the SDK throws on an element without ":". */
export function splitByScope(fea: unknown): { org: string[]; user: string[] } {
  const org: string[] = [];
  const user: string[] = [];
  if (!fea) return { org, user };
  if (typeof fea !== 'string') throw new TypeError(`fea is a ${Array.isArray(fea) ? 'list' : typeof fea}, not a string`);
  for (const raw of fea.split(',')) {
    const part = raw.trim();
    const colon = part.indexOf(':');
    if (colon === -1) throw new Error(`Invalid claim element (missing colon): ${part}`);
    const scope = part.slice(0, colon);
    const value = part.slice(colon + 1);
    if (scope === 'o') org.push(value);
    else if (scope === 'u') user.push(value);
    else if (scope === 'ou' || scope === 'uo') (org.push(value), user.push(value));
  }
  return { org, user };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** __experimental_JWTPayloadToAuthObjectProperties, organization part. */
export function authOfClaims(claims: Record<string, unknown>): ClaimsAuth {
  const out: ClaimsAuth = {
    version: claims.v === 2 ? 2 : 1,
    userId: str(claims.sub),
    features: claims.fea || '',
    plans: claims.pla || '',
    factorVerificationAge: claims.fva ?? null,
    sessionStatus: claims.sts ?? null,
    problems: [],
  };
  if (out.version === 1) {
    out.orgId = str(claims.org_id);
    out.orgRole = str(claims.org_role);
    out.orgSlug = str(claims.org_slug);
    out.orgPermissions = claims.org_permissions;
    return out;
  }
  const o = claims.o;
  // `if (claims.o)`: any truthy value counts, its fields are read as they are.
  if (!o || typeof o !== 'object') return out;
  const org = o as Record<string, unknown>;
  out.orgId = str(org.id);
  out.orgSlug = str(org.slg);
  if (org.rol) out.orgRole = `org:${String(org.rol)}`;
  let orgFeatures: string[] = [];
  try {
    orgFeatures = splitByScope(claims.fea).org;
  } catch (err) {
    out.problems.push(`fea ${JSON.stringify(claims.fea)}: ${(err as Error).message} - @clerk/backend throws while building the auth object (the request fails, usually a 500)`);
  }
  // parsePermissions: nothing without both per and fpm.
  const per = org.per && org.fpm ? String(org.per).split(',').map((p) => p.trim()) : [];
  const fpm = org.per && org.fpm ? String(org.fpm).split(',') : [];
  const bits = fpm.map((m) => decimalToBinaryBits(m.trim(), per.length) ?? []);
  // buildOrgPermissions: feature i of fea's "o:" list takes the bits of fpm[i]; bit j grants per[j].
  const permissions: string[] = [];
  for (let f = 0; f < orgFeatures.length; f++) {
    if (f >= bits.length) continue;
    const b = bits[f];
    for (let j = 0; j < b.length && j < per.length; j++) if (b[j] === 1) permissions.push(`org:${orgFeatures[f]}:${per[j]}`);
  }
  out.orgPermissions = permissions;
  out.v2 = { orgFeatures, per, fpm, bits };
  return out;
}

export type CheckResult = 'pass' | 'fail' | 'skip';

export interface HasParams {
  role?: unknown;
  permission?: unknown;
  feature?: unknown;
  plan?: unknown;
  reverification?: unknown;
}

/** prefixWithOrg: "admin", "org:admin" and "org:org:admin" all become "org:admin". */
export const prefixWithOrg = (value: string): string => value.replace(/^(org:)*/, 'org:');

/** checkOrgAuthorization: role and permission (both asked: both must hold). */
export function checkOrgAuthorization(params: HasParams, auth: ClaimsAuth): CheckResult {
  const roleAsked = params.role !== undefined;
  const permissionAsked = params.permission !== undefined;
  if (!roleAsked && !permissionAsked) return 'skip';
  if (roleAsked && typeof params.role !== 'string') return 'fail';
  if (permissionAsked && typeof params.permission !== 'string') return 'fail';
  if (!auth.orgId) return 'fail';
  if (roleAsked) {
    if (typeof auth.orgRole !== 'string' || !auth.orgRole) return 'fail';
    if (prefixWithOrg(auth.orgRole) !== prefixWithOrg(params.role as string)) return 'fail';
  }
  if (permissionAsked) {
    if (!Array.isArray(auth.orgPermissions)) return 'fail';
    if (!auth.orgPermissions.includes(prefixWithOrg(params.permission as string))) return 'fail';
  }
  return 'pass';
}

const ORG_SCOPES = new Set(['o', 'org', 'organization']);
const USER_SCOPES = new Set(['u', 'user']);

/** checkForFeatureOrPlan: "o:x" looks in the org list, "u:x" in the user list, "x" in both. Throws like the SDK. */
export function checkForFeatureOrPlan(claim: string, featureOrPlan: string): boolean {
  const { org, user } = splitByScope(claim);
  const [scope, rawId] = featureOrPlan.split(':');
  const explicit = rawId !== undefined;
  const id = rawId || scope;
  if (explicit && !ORG_SCOPES.has(scope) && !USER_SCOPES.has(scope)) throw new Error(`Invalid scope: ${scope}`);
  if (explicit) {
    if (ORG_SCOPES.has(scope)) return org.includes(id);
    if (USER_SCOPES.has(scope)) return user.includes(id);
  }
  return [...org, ...user].includes(id);
}

/** checkBillingAuthorization: feature (fea) and plan (pla). */
export function checkBillingAuthorization(params: HasParams, auth: ClaimsAuth): CheckResult {
  const featureAsked = params.feature !== undefined;
  const planAsked = params.plan !== undefined;
  if (!featureAsked && !planAsked) return 'skip';
  if (featureAsked && typeof params.feature !== 'string') return 'fail';
  if (planAsked && typeof params.plan !== 'string') return 'fail';
  const holds = (claim: unknown, wanted: string) => {
    if (typeof claim !== 'string' || !claim) return false;
    try {
      return checkForFeatureOrPlan(claim, wanted);
    } catch {
      return false;
    }
  };
  if (featureAsked && !holds(auth.features, params.feature as string)) return 'fail';
  if (planAsked && !holds(auth.plans, params.plan as string)) return 'fail';
  return 'pass';
}

const REVERIFICATION_TYPES: Record<string, { afterMinutes: number; level: string }> = {
  strict_mfa: { afterMinutes: 10, level: 'multi_factor' },
  strict: { afterMinutes: 10, level: 'second_factor' },
  moderate: { afterMinutes: 60, level: 'second_factor' },
  lax: { afterMinutes: 1440, level: 'second_factor' },
};
const LEVELS = new Set(['first_factor', 'second_factor', 'multi_factor']);

/** validateReverificationConfig: a named preset or {level, afterMinutes}. */
export function reverificationConfig(config: unknown): { afterMinutes: number; level: string } | undefined {
  if (typeof config === 'string') return Object.hasOwn(REVERIFICATION_TYPES, config) ? REVERIFICATION_TYPES[config] : undefined;
  if (config && typeof config === 'object') {
    const c = config as Record<string, unknown>;
    if (typeof c.level === 'string' && LEVELS.has(c.level) && typeof c.afterMinutes === 'number' && c.afterMinutes > 0) return { level: c.level, afterMinutes: c.afterMinutes };
  }
  return undefined;
}

const factorAge = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && (x === -1 || x >= 0);

/** checkReverificationAuthorization: fva = [minutes since first factor, since second factor], -1 = never. */
export function checkReverificationAuthorization(params: HasParams, auth: ClaimsAuth): CheckResult {
  if (params.reverification === undefined) return 'skip';
  const fva = auth.factorVerificationAge;
  if (!fva) return 'fail';
  if (!Array.isArray(fva) || fva.length !== 2 || !factorAge(fva[0]) || !factorAge(fva[1])) return 'fail';
  const config = reverificationConfig(params.reverification);
  if (!config) return 'fail';
  const [f1, f2] = fva as [number, number];
  if (f1 === -1 && f2 === -1) return 'fail';
  const f1Fresh = f1 !== -1 && config.afterMinutes > f1;
  const f2Fresh = f2 !== -1 && config.afterMinutes > f2;
  switch (config.level) {
    case 'first_factor':
      return f1Fresh ? 'pass' : 'fail';
    case 'second_factor':
      if (f2 === -1) return f1Fresh ? 'pass' : 'fail';
      if (f1 === -1) return f2Fresh ? 'pass' : 'fail';
      return f2Fresh ? 'pass' : 'fail';
    case 'multi_factor':
      if (f2 === -1) return f1Fresh ? 'pass' : 'fail';
      if (f1 === -1) return 'fail';
      return f1Fresh && f2Fresh ? 'pass' : 'fail';
    default:
      return 'fail';
  }
}

/**
 * createCheckAuthorization(...)(params): false without a userId; otherwise true only when at least
 * one asked dimension passes and none fails (has({}) is false).
 */
export function hasAuthorization(auth: ClaimsAuth, params: HasParams): boolean {
  if (!auth.userId) return false;
  const results = [checkOrgAuthorization(params, auth), checkBillingAuthorization(params, auth), checkReverificationAuthorization(params, auth)];
  return results.some((r) => r === 'pass') && results.every((r) => r === 'pass' || r === 'skip');
}
