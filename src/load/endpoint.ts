/** The request `load` repeats, built from a suite endpoint the way `run` builds its requests. */
import { HarnessError } from '../errors.js';
import { buildRequest } from '../suite/request.js';
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
  // Built as `run` builds a case's request (headers, body, the origin lock), with no credential:
  // the supply alone decides it.
  const { url, headers, payload } = buildRequest({ targetUrl, suiteHeaders: suite.headers, endpoint });
  return { url, method: endpoint.method, headers, body: payload, acceptedStatus: endpoint.acceptedStatus };
}
