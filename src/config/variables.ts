/**
 * Every variable the harness reads, with its JSON Schema and the fix to print when it is wrong.
 * `.env.example` documents the same list; test/config.test.ts keeps the two in step.
 */
export interface VariableSpec {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  /** One line: what to do when the value is missing or malformed. */
  fix: string;
  /** Secret values are never echoed, even in error messages. */
  secret?: boolean;
}

export const VARIABLES: VariableSpec[] = [
  {
    name: 'CLERK_SECRET_KEY',
    description: 'Clerk secret key of the instance tokens are minted from (Dashboard → API keys), or the emulator\'s.',
    schema: { type: 'string', pattern: '^sk_(test|live)_[A-Za-z0-9]{8,}$' },
    fix: 'copy the secret key (sk_test_… or sk_live_…) from the Clerk dashboard, or run `clerk-harness emulator --write-env .env.local`',
    secret: true,
  },
  {
    name: 'CLERK_API_URL',
    description: 'Clerk Backend API base URL. Default https://api.clerk.com; point it at the emulator offline.',
    schema: { type: 'string', format: 'uri', pattern: '^https?://' },
    fix: 'set it to https://api.clerk.com (or the emulator URL it printed, e.g. http://127.0.0.1:4600)',
  },
  {
    name: 'CLERK_PUBLISHABLE_KEY',
    description: 'Clerk publishable key (pk_test_… / pk_live_…); only doctor reads it.',
    schema: { type: 'string', pattern: '^pk_(test|live)_[A-Za-z0-9+/=_-]{8,}$' },
    fix: 'copy the publishable key (pk_test_… or pk_live_…) from the Clerk dashboard',
  },
  {
    name: 'CLERK_TEST_USER_ID',
    description: 'Id of the user tokens are minted for (user_…). Optional: without it the harness finds or creates CLERK_TEST_USER_EMAIL.',
    schema: { type: 'string', pattern: '^user_[A-Za-z0-9]{6,}$' },
    fix: 'use a real user id such as user_2abcXYZ… from the Clerk dashboard (no angle brackets)',
  },
  {
    name: 'CLERK_TEST_USER_EMAIL',
    description: 'Email of the test user to find or create when CLERK_TEST_USER_ID is not set.',
    schema: { type: 'string', format: 'email' },
    fix: 'use an address such as harness+clerk_test@example.com',
  },
  {
    name: 'CLERK_JWT_TEMPLATE',
    description: 'Optional JWT template name (e.g. server-token) for template-token cases.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    fix: 'use the template name exactly as in Dashboard → JWT templates (`clerk-harness templates` lists them)',
  },
  {
    name: 'TARGET_URL',
    description: 'Base URL of the API under test, e.g. http://127.0.0.1:8000.',
    schema: { type: 'string', format: 'uri', pattern: '^https?://' },
    fix: 'set it to the base URL of your API, e.g. http://127.0.0.1:8000',
  },
  {
    name: 'CLERK_ISSUER',
    description: 'Frontend API URL that signs tokens (the `iss` claim), e.g. https://your-app.clerk.accounts.dev.',
    schema: { type: 'string', format: 'uri', pattern: '^https?://' },
    fix: 'copy the Frontend API URL from the Clerk dashboard (no trailing slash)',
  },
  {
    name: 'CLERK_JWT_KEY',
    description: 'PEM public key for networkless verification (Dashboard → API keys → Show JWT public key).',
    schema: { type: 'string', pattern: '-----BEGIN PUBLIC KEY-----', not: { pattern: 'PRIVATE KEY' } },
    fix: 'paste the PUBLIC key (never a private key) including the BEGIN/END lines, in double quotes, newlines kept or written as \\n',
    secret: true, // a pasted private key must not be echoed
  },
];

export const VARIABLE_NAMES = VARIABLES.map((v) => v.name);
