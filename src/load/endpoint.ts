/** The request `load` repeats, built from a suite endpoint the way `run` builds its requests. */
import { readFileSync } from 'node:fs';
import { HarnessError } from '../errors.js';
import type { Suite, SuiteEndpoint } from '../suite/types.js';
import type { LoadTarget } from './run-load.js';

const hasPathParameter = (e: SuiteEndpoint) => /\{[^}]+\}/.test(e.path);

/**
 * The endpoint named `name`, or the only one (`firstByDefault`: the first, for the embedded default
 * suite); a usage error listing the names otherwise. Paths with a `{parameter}` address an object
 * `load` does not create, so they are refused by name.
 */
export function pickEndpoint(suite: Suite, name: string | undefined, options: { firstByDefault?: boolean } = {}): SuiteEndpoint {
  const names = suite.endpoints.map((e) => `"${e.name}"`).join(', ');
  const loadable = suite.endpoints.filter((e) => !hasPathParameter(e));
  let found: SuiteEndpoint | undefined;
  if (name === undefined) {
    if (suite.endpoints.length === 1 || options.firstByDefault) found = suite.endpoints[0]!;
    else throw new HarnessError('USAGE', `load: --endpoint is required: the suite has ${suite.endpoints.length} endpoints (${names})`, { hint: `e.g. --endpoint ${JSON.stringify(loadable[0]?.name ?? suite.endpoints[0]?.name ?? '')}` });
  } else {
    found = suite.endpoints.find((e) => e.name === name);
    if (!found) throw new HarnessError('USAGE', `load: the suite has no endpoint named "${name}"; its endpoints: ${names}`);
  }
  if (hasPathParameter(found)) {
    throw new HarnessError('USAGE', `load: endpoint "${found.name}" (${found.method} ${found.path}) has a path parameter, and load does not create the object it addresses`, {
      hint: loadable.length ? `load an endpoint without one, e.g. --endpoint ${JSON.stringify(loadable[0]!.name)}` : 'add an endpoint without a path parameter to the suite',
    });
  }
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
