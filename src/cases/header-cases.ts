/** Cases about the Authorization header itself and tokens that are not well-formed JWTs. */
import { truncateToken } from '../tokens/forge.js';
import { defineCase, genuine, sendHeader, sendToken } from './define.js';
import type { CaseDef } from './types.js';

const MISSING_CREDENTIALS_HINT =
  'Protect the route with a dependency/middleware that runs on every request and answers 401 when no bearer token is present (FastAPI ≥ 0.122 HTTPBearer answers 401; older versions 403 — override make_not_authenticated_error or upgrade).';

const MALFORMED_HINT =
  'Decode inside a try/except and answer 401 for any token that does not parse (PyJWT DecodeError, @clerk/backend token-invalid); never let a decode error become a 500 or fall through to "authenticated".';

export const headerCases: CaseDef[] = [
  defineCase({
    id: 'no-authorization-header',
    title: 'No Authorization header',
    expect: 'rejected',
    severity: 'critical',
    why: 'A protected route answering without credentials is open to anyone.',
    hint: MISSING_CREDENTIALS_HINT,
    needs: [],
    tags: ['header', 'unauthenticated'],
    async make() {
      return sendHeader(undefined, 'no Authorization header');
    },
  }),
  defineCase({
    id: 'empty-bearer',
    title: 'Empty bearer token',
    expect: 'rejected',
    severity: 'critical',
    why: 'An empty token (a client whose token variable is unset) must not authenticate; middleware that treats "no token" as "anonymous user" lets it through.',
    hint: MISSING_CREDENTIALS_HINT,
    needs: [],
    tags: ['header', 'unauthenticated'],
    async make() {
      return sendHeader('Bearer ', 'Authorization: "Bearer " with no token');
    },
  }),
  defineCase({
    id: 'wrong-scheme-basic',
    title: 'Genuine token under the Basic scheme',
    expect: 'rejected',
    severity: 'low',
    why: 'Credentials under another scheme are not bearer tokens; accepting them means the verifier does not parse the header it thinks it does (and Basic credentials may end up treated as tokens).',
    hint: 'Accept only `Authorization: Bearer <token>` (split once on the first space, compare the scheme) and answer 401 for other schemes.',
    needs: [],
    tags: ['header'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(g.token, 'Authorization: "Basic <genuine session token>"', 'Basic');
    },
  }),
  defineCase({
    id: 'wrong-scheme-token',
    title: 'Genuine token under the "Token" scheme',
    expect: 'rejected',
    severity: 'low',
    why: 'Some clients send `Token <jwt>` by habit; a verifier that strips any scheme accepts credentials it was never meant to parse.',
    hint: 'Accept only `Authorization: Bearer <token>`; answer 401 for other schemes.',
    needs: [],
    tags: ['header'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(g.token, 'Authorization: "Token <genuine session token>"', 'Token');
    },
  }),
  defineCase({
    id: 'malformed-not-three-parts',
    title: 'Malformed token (not three parts)',
    expect: 'rejected',
    severity: 'critical',
    why: 'Garbage in the Authorization header must be refused; a 500 here means any client can crash the route, and acceptance means no verification at all.',
    hint: MALFORMED_HINT,
    needs: [],
    tags: ['malformed', 'robustness'],
    async make() {
      return sendHeader('Bearer not-a-jwt', 'Authorization: "Bearer not-a-jwt" (one part, not a JWT)');
    },
  }),
  defineCase({
    id: 'malformed-undecodable',
    title: 'Malformed token (three parts that do not decode)',
    expect: 'rejected',
    severity: 'critical',
    why: 'Three dot-separated parts that are not base64url JSON reach the decoder; it must fail closed with 401, not crash.',
    hint: MALFORMED_HINT,
    needs: [],
    tags: ['malformed', 'robustness'],
    async make() {
      return sendHeader('Bearer e30.%%%%.@@@@', 'Authorization: "Bearer e30.%%%%.@@@@" (three parts, undecodable)');
    },
  }),
  defineCase({
    id: 'truncated-token',
    title: 'Truncated token',
    expect: 'rejected',
    severity: 'critical',
    why: 'A token cut short by copy/paste (or a broken pipe) has an incomplete signature; accepting it means the signature is not checked.',
    hint: 'Verify the signature on every request (PyJWT jwt.decode with the key and algorithms=["RS256"], @clerk/backend verifyToken); never use decode-without-verify for authentication.',
    needs: [],
    tags: ['malformed', 'signature'],
    async make(ctx) {
      const g = await genuine(ctx);
      return sendToken(truncateToken(g.token, 8), 'genuine session token with its last 8 characters cut off');
    },
  }),
];
