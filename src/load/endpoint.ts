/** The request `load` repeats, built from a suite endpoint the way `run` builds its requests. */
import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.js';
import type { Suite, SuiteEndpoint } from '../suite/types.js';
import type { LoadTarget } from './run-load.js';

/** The endpoint named `name`, or the only one; a usage error listing the names otherwise. */
export function pickEndpoint(suite: Suite, name: string | undefined): SuiteEndpoint {
  const names = suite.endpoints.map((e) => `"${e.name}"`).join(', ');
  if (name === undefined) {
    if (suite.endpoints.length === 1) return suite.endpoints[0]!;
    throw new HarnessError('USAGE', `load: --endpoint is required: the suite has ${suite.endpoints.length} endpoints (${names})`, { hint: `e.g. --endpoint ${JSON.stringify(suite.endpoints[0]?.name ?? '')}` });
  }
  const found = suite.endpoints.find((e) => e.name === name);
  if (!found) throw new HarnessError('USAGE', `load: the suite has no endpoint named "${name}"; its endpoints: ${names}`);
  return found;
}

export function loadTargetFor(suite: Suite, endpoint: SuiteEndpoint, targetUrl: string): LoadTarget {
  const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  // Like `run`: ask for JSON (Clerk's middleware answers document-like requests with handshakes).
  const headers: Record<string, string> = { accept: 'application/json', ...lower(suite.headers), ...lower(endpoint.headers) };
  const body = endpoint.bodyFile ? readFileSync(endpoint.bodyFile) : undefined;
  if (body) headers['content-type'] = endpoint.contentType;
  // The supply alone decides the credential.
  delete headers.authorization;
  delete headers.cookie;
  const base = targetUrl.endsWith('/') ? targetUrl : `${targetUrl}/`;
  const url = new URL(`./${endpoint.path.replace(/^\/+/, '')}`, base).href;
  if (new URL(url).origin !== new URL(base).origin) {
    throw new HarnessError('SUITE_INVALID', `endpoint "${endpoint.name}": ${endpoint.path} resolves outside the target ${new URL(base).origin}; refusing to send tokens there`);
  }
  return { url, method: endpoint.method, headers, body, acceptedStatus: endpoint.acceptedStatus };
}
