/**
 * Decode a token (never verify: explain needs no config) and name the claim at fault against a
 * given clock. Also says which verifier settings would reject an otherwise fine token.
 */
import { decodeJwt } from 'jose/jwt/decode';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { setOwn } from '../../own-property.js';

export type Severity = 'fail' | 'warn' | 'info';

export interface TokenFinding {
  /** Claim or header parameter concerned ("exp", "alg", "aud", "(form)"). */
  claim: string;
  severity: Severity;
  cause?: string;
  message: string;
}

export interface TokenAnalysis {
  decoded: boolean;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  findings: TokenFinding[];
}

const CLERK_ALGS = ['RS256', 'RS384', 'RS512'];
const SESSION_CAT = 'cl_B7d4PD111AAA';
const TEMPLATE_CAT = 'cl_B7d4PD222AAA';
const M2M_CAT = 'cl_B7d4PD333AAA';

/** Claims and header parameters deeper than this are replaced by a marker (JSON.stringify recurses). */
export const MAX_CLAIM_DEPTH = 8;
const TOO_DEEP = `[nested deeper than ${MAX_CLAIM_DEPTH} levels]`;

/**
 * A decoded header or claims set with every value nested deeper than MAX_CLAIM_DEPTH replaced by a
 * marker: a forged 100k-deep claim must not blow the stack later (JSON.stringify, --json output).
 */
export function capDepth(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_CLAIM_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => capDepth(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    setOwn(out, k, capDepth(v, depth + 1));
  }
  return out;
}

/** Any claim value as short JSON text ("abc" quoted), never throwing (String({"toString":1}) throws). */
export function show(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Like show, but a string as itself (for "typ is "x"" style messages). */
export function plain(value: unknown, max = 120): string {
  return typeof value === 'string' ? (value.length > max ? `${value.slice(0, max)}…` : value) : show(value, max);
}

export function iso(seconds: number): string {
  const d = new Date(seconds * 1000);
  // A forged or garbled claim can be any number; Date cannot show all of them.
  return Number.isNaN(d.getTime()) ? `(out of range: ${seconds})` : d.toISOString().replace('.000Z', 'Z');
}

export function duration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 600) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

function headerFindings(h: Record<string, unknown>, f: TokenFinding[]): void {
  const alg = typeof h.alg === 'string' ? h.alg : undefined;
  if (!alg) f.push({ claim: 'alg', severity: 'fail', cause: 'alg-not-allowed', message: h.alg === undefined ? 'no "alg" in the header' : `"alg" is not a string (${show(h.alg)}): no verifier can use it` });
  else if (alg.toLowerCase() === 'none') f.push({ claim: 'alg', severity: 'fail', cause: 'alg-not-allowed', message: `alg is "${alg}": the token is unsigned; a verifier must reject it` });
  else if (/^HS/i.test(alg)) f.push({ claim: 'alg', severity: 'fail', cause: 'alg-not-allowed', message: `alg is ${alg} (HMAC): Clerk signs with RS256; an HMAC token keyed with the public key is the RS/HS key-confusion attack` });
  else if (!CLERK_ALGS.includes(alg)) f.push({ claim: 'alg', severity: 'fail', cause: 'alg-not-allowed', message: `alg is ${alg}: Clerk verifiers accept ${CLERK_ALGS.join(', ')}` });
  if (h.typ !== undefined && h.typ !== 'JWT') f.push({ claim: 'typ', severity: 'fail', cause: 'token-type-mismatch', message: `typ is "${plain(h.typ)}"; Clerk session tokens have typ "JWT"` });
  for (const p of ['jku', 'jwk', 'x5u', 'x5c']) {
    if (h[p] !== undefined) f.push({ claim: p, severity: 'warn', message: `header carries "${p}": a verifier must ignore keys the token brings along` });
  }
  const kid = h.kid;
  if (kid === undefined) f.push({ claim: 'kid', severity: 'warn', cause: 'kid-mismatch', message: 'no "kid": JWKS-based verifiers cannot pick a key (Clerk tokens carry kid ins_...)' });
  else if (typeof kid !== 'string' || !/^ins_[A-Za-z0-9]+$/.test(kid)) f.push({ claim: 'kid', severity: 'warn', message: `kid "${plain(kid)}" is not a Clerk instance key id (ins_...)` });
  else f.push({ claim: 'kid', severity: 'info', message: `signed by instance key ${kid}; a verifier whose JWKS lacks it answers jwk-kid-mismatch (dev token vs prod keys)` });
  if (h.cat === TEMPLATE_CAT) f.push({ claim: 'cat', severity: 'info', cause: 'token-type-mismatch', message: 'a JWT-template token: clerkMiddleware/authenticateRequest treat it as token-type-mismatch' });
  if (h.cat === M2M_CAT) f.push({ claim: 'cat', severity: 'fail', cause: 'token-type-mismatch', message: 'an M2M token, not a session token' });
  if (h.cat !== undefined && !(typeof h.cat === 'string' && [SESSION_CAT, TEMPLATE_CAT, M2M_CAT].includes(h.cat))) f.push({ claim: 'cat', severity: 'info', message: `token category ${plain(h.cat)}` });
}

function timeFindings(c: Record<string, unknown>, now: number, f: TokenFinding[]): void {
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : undefined);
  for (const k of ['exp', 'iat', 'nbf']) {
    const v = c[k];
    if (v === undefined || typeof v === 'number') continue;
    // A well-formed token whose issuer wrote a time as a string ("1795367408"): its own cause, not
    // a malformed token - the JWT is fine, the claim's type is not.
    const n = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : undefined;
    const reads = n !== undefined ? `, which would be ${iso(n)} as a number` : '';
    f.push({ claim: k, severity: 'fail', cause: 'time-claim-not-number', message: `"${k}" is ${typeof v === 'string' ? 'the string' : `a ${Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v}`} ${show(v)}${reads}: JWT times are JSON numbers (NumericDate, seconds); @clerk/backend and jose reject it` });
  }
  const exp = num('exp');
  const iat = num('iat');
  const nbf = num('nbf');
  if (c.exp === undefined) f.push({ claim: 'exp', severity: 'fail', cause: 'exp-missing', message: 'no "exp": the token never expires; PyJWT and jose accept it unless exp is required' });
  if (exp !== undefined) {
    const life = iat !== undefined ? `, lifetime ${duration(exp - iat)}` : '';
    if (exp <= now) f.push({ claim: 'exp', severity: 'fail', cause: 'expired', message: `expired ${duration(now - exp)} ago (exp ${iso(exp)}${life}${iat !== undefined ? `, issued ${duration(now - iat)} ago` : ''})` });
    else f.push({ claim: 'exp', severity: 'info', message: `valid for ${duration(exp - now)} more (exp ${iso(exp)}${life})` });
  }
  if (iat !== undefined && iat > now) f.push({ claim: 'iat', severity: 'fail', cause: 'iat-future', message: `issued ${duration(iat - now)} in the future (iat ${iso(iat)}): the checking clock is behind the issuer's` });
  if (nbf !== undefined && nbf > now) f.push({ claim: 'nbf', severity: 'fail', cause: 'nbf-future', message: `not valid for another ${duration(nbf - now)} (nbf ${iso(nbf)}): the checking clock is behind the issuer's` });
  if (iat === undefined) f.push({ claim: 'iat', severity: 'info', message: 'no "iat": the audit log cannot record token_iat' });
}

function claimFindings(c: Record<string, unknown>, f: TokenFinding[]): void {
  if (typeof c.sub !== 'string' || c.sub === '') f.push({ claim: 'sub', severity: 'fail', cause: 'sub-missing', message: c.sub === undefined ? 'no "sub": nobody to attribute the request to' : `"sub" is not a string (${show(c.sub)})` });
  else if (!c.sub.startsWith('user_')) f.push({ claim: 'sub', severity: 'info', message: `sub "${c.sub}" is not a Clerk user id (user_...)` });
  if (c.aud === undefined) f.push({ claim: 'aud', severity: 'info', cause: 'aud-required', message: 'no "aud" (normal for session tokens): a verifier with an audience set (CLERK_JWT_AUDIENCE, PyJWT audience=) rejects it' });
  else f.push({ claim: 'aud', severity: 'warn', cause: 'aud-unexpected', message: `aud ${show(c.aud)}: PyJWT/python-jose without a matching audience= reject it ("Invalid audience")` });
  if (c.azp === undefined) f.push({ claim: 'azp', severity: 'info', cause: 'azp-rejected', message: 'no "azp" (tokens minted through the Backend API have none): verifiers with authorizedParties reject it' });
  else f.push({ claim: 'azp', severity: 'info', message: `azp ${show(c.azp)}: must be in the verifier's authorizedParties when that is set` });
  if (c.email === undefined) f.push({ claim: 'email', severity: 'info', cause: 'email-required', message: 'no "email" (session tokens carry none by default): a backend that requires email rejects it' });
  if (typeof c.iss === 'string') {
    const slash = c.iss.endsWith('/') ? ' (ends with "/")' : '';
    f.push({ claim: 'iss', severity: 'info', message: `issuer ${c.iss}${slash}: an issuer check must expect exactly this` });
  } else f.push({ claim: 'iss', severity: 'warn', cause: 'issuer-mismatch', message: 'no "iss": verifiers that check the issuer reject it' });
}

/** Analyse a token against `nowSeconds` (default: the local clock). */
export function analyzeToken(token: string, nowSeconds = Date.now() / 1000): TokenAnalysis {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return { decoded: false, header: {}, claims: {}, findings: [{ claim: '(form)', severity: 'fail', cause: 'malformed-token', message: `${parts.length} part${parts.length === 1 ? '' : 's'} instead of 3 (header.payload.signature): truncated or split by the shell?` }] };
  }
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = capDepth(decodeProtectedHeader(token)) as Record<string, unknown>;
    claims = capDepth(decodeJwt(token)) as Record<string, unknown>;
  } catch (err) {
    return { decoded: false, header: {}, claims: {}, findings: [{ claim: '(form)', severity: 'fail', cause: 'malformed-token', message: `cannot be decoded: ${(err as Error).message}` }] };
  }
  const findings: TokenFinding[] = [];
  headerFindings(header, findings);
  timeFindings(claims, nowSeconds, findings);
  claimFindings(claims, findings);
  if (parts[2] === '' && plain(header.alg).toLowerCase() !== 'none') findings.push({ claim: '(signature)', severity: 'fail', cause: 'alg-not-allowed', message: 'the signature part is empty' });
  return { decoded: true, header, claims, findings };
}
