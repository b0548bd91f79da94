import path from 'node:path';
import { startEmulator } from '../emulator/index.js';
import { startReferenceTarget } from '../target/reference.js';

export const EMBEDDED_TEMPLATE = 'server-token';

export interface Embedded {
  targetUrl: string;
  clerk: { apiUrl: string; secretKey: string; testUserEmail: string };
  template: string;
  publicKeyPem: string;
  stop(): Promise<void>;
}

/**
 * The embedded default: the bundled emulator and the reference target trusting it (through the
 * JWKS, as a backend using @clerk/backend with CLERK_SECRET_KEY would), audit log under
 * <cwd>/logs/audit. Both stop with `stop()`.
 */
export async function startEmbedded(options: { cwd: string; log?: (line: string) => void }): Promise<Embedded> {
  const emulator = await startEmulator({
    templates: [{ name: EMBEDDED_TEMPLATE, claims: { email: '{{user.primary_email_address}}', aud: 'clerk-harness' }, lifetime: 60 }],
  });
  let target;
  try {
    target = await startReferenceTarget({
      apiUrl: emulator.url,
      secretKey: emulator.secretKey,
      issuer: emulator.issuer,
      auditDir: path.join(options.cwd, 'logs', 'audit'),
    });
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  options.log?.(`embedded default: Clerk emulator at ${emulator.url}, reference target at ${target.url} (audit log in logs/audit/jobs)`);
  return {
    targetUrl: target.url,
    clerk: { apiUrl: emulator.url, secretKey: emulator.secretKey, testUserEmail: 'clerk-harness+clerk_test@example.com' },
    template: EMBEDDED_TEMPLATE,
    publicKeyPem: emulator.currentKey().publicPem,
    async stop() {
      await target.stop();
      await emulator.stop();
    },
  };
}
