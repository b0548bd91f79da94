import { HarnessError } from '../errors.js';
import { cachedValidator } from '../schema-cache.js';
import { readEnv, type EnvMap } from './env-files.js';
import { valueProblem } from './placeholders.js';
import { echoValue, isHttpUrl, URL_RULES } from './url.js';
import { VARIABLES, type VariableSpec } from './variables.js';

export interface HarnessConfig {
  readonly clerkSecretKey?: string;
  readonly clerkApiUrl: string;
  readonly clerkPublishableKey?: string;
  readonly testUserId?: string;
  readonly testUserEmail: string;
  readonly jwtTemplate?: string;
  readonly targetUrl?: string;
  readonly issuer?: string;
  readonly jwtKey?: string;
  /** Where each variable came from, for messages. */
  readonly sources: Readonly<Record<string, string>>;
}

export const DEFAULT_API_URL = 'https://api.clerk.com';
export { echoValue } from './url.js';
export const DEFAULT_TEST_EMAIL = 'clerk-harness+clerk_test@example.com';

/** One compiled validator for every variable's schema (compiled once, cached on disk: src/schema-cache.ts). */
let variablesValidator: ((data: unknown) => boolean) | undefined;
function isWellFormed(name: string, value: string): boolean {
  variablesValidator ??= cachedValidator(
    { type: 'object', properties: Object.fromEntries(VARIABLES.map((v) => [v.name, v.schema])) },
    { draft: '07', formats: true, ajv: { allErrors: false } },
  );
  return variablesValidator({ [name]: value });
}

function describe(spec: VariableSpec, env: EnvMap): string {
  const v = env[spec.name];
  if (!v || v.source === 'environment') return spec.name;
  return `${spec.name} (in ${v.source}${v.emptyInEnvironment ? `; the empty ${spec.name} in the environment is ignored` : ''})`;
}

/** Check one present variable; throws a one-line HarnessError naming it. */
function checkVariable(spec: VariableSpec, env: EnvMap): void {
  const entry = env[spec.name];
  if (!entry) return;
  const where = describe(spec, env);
  const problem = valueProblem(entry.value);
  if (problem) {
    throw new HarnessError('CONFIG_INVALID', `${where} ${problem.detail}`, { hint: spec.fix });
  }
  const value: string = entry.value;
  // ajv's "uri" format is a pattern: it lets through ports over 65535; Node's URL parser decides.
  if (spec.schema.format === 'uri' && isWellFormed(spec.name, value) && !isHttpUrl(value)) {
    throw new HarnessError('CONFIG_INVALID', `${where} is not a URL Node can open (got ${echoValue(value)}; ${URL_RULES})`, { hint: spec.fix });
  }
  if (!isWellFormed(spec.name, value)) {
    const shown = spec.secret ? '' : ` (got ${echoValue(value)})`;
    throw new HarnessError('CONFIG_INVALID', `${where} is not well-formed${shown}`, { hint: spec.fix });
  }
}

/**
 * Read and validate the configuration once. `require` names the variables the calling command
 * cannot work without; every other known variable is validated only when present.
 */
export function loadConfig(options: { cwd?: string; envFiles?: string[]; environment?: NodeJS.ProcessEnv; require?: string[] } = {}): HarnessConfig {
  const env = readEnv({ cwd: options.cwd, files: options.envFiles, environment: options.environment });
  // An empty value in the environment means "unset" for optional variables (common in CI templates).
  for (const spec of VARIABLES) {
    const e = env[spec.name];
    if (e && e.value.trim() === '' && !(options.require ?? []).includes(spec.name)) delete env[spec.name];
  }
  for (const name of options.require ?? []) {
    const spec = VARIABLES.find((v) => v.name === name);
    if (!env[name] || env[name].value.trim() === '') {
      const empty = env[name]?.source === 'environment' ? `${name} is set but empty in the environment, and not set in .env.local or .env` : `${name} is not set (looked in .env.local, .env and the environment)`;
      throw new HarnessError('CONFIG_MISSING', empty, {
        hint: spec?.fix,
      });
    }
  }
  for (const spec of VARIABLES) checkVariable(spec, env);
  const get = (n: string) => env[n]?.value;
  const sources: Record<string, string> = {};
  for (const spec of VARIABLES) if (env[spec.name]) sources[spec.name] = env[spec.name].source;
  return Object.freeze({
    clerkSecretKey: get('CLERK_SECRET_KEY'),
    clerkApiUrl: get('CLERK_API_URL') ?? DEFAULT_API_URL,
    clerkPublishableKey: get('CLERK_PUBLISHABLE_KEY'),
    testUserId: get('CLERK_TEST_USER_ID'),
    testUserEmail: get('CLERK_TEST_USER_EMAIL') ?? DEFAULT_TEST_EMAIL,
    jwtTemplate: get('CLERK_JWT_TEMPLATE'),
    targetUrl: get('TARGET_URL'),
    issuer: get('CLERK_ISSUER'),
    jwtKey: get('CLERK_JWT_KEY'),
    sources: Object.freeze(sources),
  });
}
