/** Decode (never verify) a JWT into the MintedToken shape; a string that is no JWT is a user error. */
import { HarnessError } from '../errors.js';
import { decodeToken } from './forge.js';
import type { MintedToken } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function toMintedToken(token: string, receivedAt = Date.now()): MintedToken {
  let decoded: ReturnType<typeof decodeToken>;
  try {
    decoded = decodeToken(token);
  } catch (cause) {
    throw new HarnessError('TOKEN_INVALID', `not a decodable JWT (${(cause as Error).message})`, { cause });
  }
  const { header, claims } = decoded;
  if (!isObject(header)) throw new HarnessError('TOKEN_INVALID', 'not a decodable JWT (its header is not a JSON object)');
  if (!isObject(claims)) throw new HarnessError('TOKEN_INVALID', 'not a decodable JWT (its payload is not a JSON object)');
  return { token, header, claims: claims as MintedToken['claims'], receivedAt };
}
