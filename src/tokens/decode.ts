/** Decode (never verify) a JWT into the MintedToken shape; a string that is no JWT is a user error. */
import { decodeJwt } from 'jose/jwt/decode';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { HarnessError } from '../errors.js';
import type { MintedToken } from './types.js';

export function toMintedToken(token: string, receivedAt = Date.now()): MintedToken {
  try {
    return { token, header: decodeProtectedHeader(token), claims: decodeJwt(token) as MintedToken['claims'], receivedAt };
  } catch (cause) {
    throw new HarnessError('TOKEN_INVALID', `not a decodable JWT (${(cause as Error).message})`, { cause });
  }
}

