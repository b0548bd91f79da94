/** The request of one case: headers and URL on the target, the same for catalogue and authorization cases. */
import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.js';
import type { SuiteEndpoint } from './types.js';

/** What a request needs of an endpoint (a suite endpoint, or the creation request of a resource). */
export type RequestShape = Pick<SuiteEndpoint, 'name' | 'method' | 'path' | 'headers' | 'bodyFile' | 'contentType'>;

export interface BuiltRequest {
  url: string;
  headers: Record<string, string>;
  payload?: Buffer;
}

const bodyCache = new Map<string, Buffer>();
export function bodyOf(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  if (!bodyCache.has(file)) bodyCache.set(file, readFileSync(file));
  return bodyCache.get(file);
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * Headers (suite's, endpoint's, then the case's credential alone), the body, and the URL, which
 * must stay on the target's origin: a minted token never leaves it, whatever the suite says.
 */
export function buildRequest(input: { targetUrl: string; suiteHeaders: Record<string, string>; endpoint: RequestShape; path?: string; authorization?: string }): BuiltRequest {
  const { endpoint } = input;
  const headers: Record<string, string> = {
    // Clerk's middleware answers document-like requests with handshakes; ask for JSON like an API client.
    accept: 'application/json',
    ...lower(input.suiteHeaders),
    ...lower(endpoint.headers),
  };
  const payload = bodyOf(endpoint.bodyFile);
  if (payload) headers['content-type'] = endpoint.contentType;
  // The case alone decides the credential: a suite header never stands in for a missing token.
  delete headers.authorization;
  delete headers.cookie;
  if (input.authorization !== undefined) headers.authorization = input.authorization;
  const base = input.targetUrl.endsWith('/') ? input.targetUrl : `${input.targetUrl}/`;
  const url = new URL(`./${(input.path ?? endpoint.path).replace(/^\/+/, '')}`, base).href;
  if (new URL(url).origin !== new URL(base).origin) {
    throw new HarnessError('SUITE_INVALID', `endpoint "${endpoint.name}": ${input.path ?? endpoint.path} resolves outside the target ${new URL(base).origin}; refusing to send a token there`);
  }
  return { url, headers, payload };
}
