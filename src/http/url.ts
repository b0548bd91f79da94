/**
 * A path under a base URL that cannot leave the base's origin. Requests that carry a secret key
 * or a token are built with it: whatever the path says ("@evil.example/", "//evil.example",
 * "x.evil.example"), the request goes to the scheme, host and port of the base, or nowhere.
 */
import { HarnessError } from '../errors.js';

/** `base` + `path` (base's own path kept, one slash between); throws CONFIG_INVALID if the result has another origin. */
export function joinUrl(base: string, path: string): string {
  let origin: string;
  try {
    const parsed = new URL(base);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    origin = parsed.origin;
  } catch {
    throw new HarnessError('CONFIG_INVALID', `${JSON.stringify(base)} is not an http(s) URL`, { hint: 'give a full URL such as http://127.0.0.1:8000 or https://api.clerk.com' });
  }
  const joined = base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
  let result: URL | undefined;
  try {
    result = new URL(joined);
  } catch {
    result = undefined;
  }
  if (!result || result.origin !== origin) {
    throw new HarnessError('CONFIG_INVALID', `the path ${JSON.stringify(path)} under ${origin} leads ${result ? `to ${result.origin}` : 'to no valid URL'}; refused (a request never leaves the origin it was given)`);
  }
  return result.href;
}
