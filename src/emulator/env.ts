/** The env lines a backend needs to trust the emulator (and the harness needs to mint from it). */

/** pk_test_ + base64("host:port$") without padding; the host contains a dot as the SDK requires. */
export function publishableKeyFor(baseUrl: string): string {
  const host = new URL(baseUrl).host;
  return 'pk_test_' + Buffer.from(`${host}$`).toString('base64').replace(/=+$/, '');
}

export interface EnvInput {
  baseUrl: string;
  secretKey: string;
  publicPem: string;
}

/**
 * CLERK_API_URL, CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_ISSUER, CLERK_JWKS_URL and the PEM
 * under both names backends use (CLERK_PEM_PUBLIC_KEY in the seeds' FastAPI, CLERK_JWT_KEY in
 * Clerk's SDKs). The PEM keeps its real newlines; env-file writers escape them.
 */
export function emulatorEnv(input: EnvInput): Record<string, string> {
  const pem = input.publicPem.trim();
  return {
    CLERK_API_URL: input.baseUrl,
    CLERK_SECRET_KEY: input.secretKey,
    CLERK_PUBLISHABLE_KEY: publishableKeyFor(input.baseUrl),
    CLERK_ISSUER: input.baseUrl,
    CLERK_JWKS_URL: `${input.baseUrl}/.well-known/jwks.json`,
    CLERK_PEM_PUBLIC_KEY: pem,
    CLERK_JWT_KEY: pem,
  };
}
