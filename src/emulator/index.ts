/**
 * Lifecycle: start the emulator on 127.0.0.1 (given port or a free one), expose the Emulator
 * contract (src/emulator/types.ts), and stop it with every keep-alive connection closed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HarnessError } from '../errors.js';
import { EmulatorCore } from './core.js';
import { emulatorEnv, publishableKeyFor } from './env.js';
import { createRequestHandler } from './handler.js';
import { randomAlnum } from './ids.js';
import { loadOrCreateKey } from './keys.js';
import type { Emulator, EmulatorOptions, SigningKey } from './types.js';

export type { Emulator, EmulatorOptions, FaultInjection, SigningKey } from './types.js';
export { EMULATOR_ADMIN_PREFIX } from './types.js';
export { SESSION_TOKEN_CATEGORY, TEMPLATE_TOKEN_CATEGORY } from './issuer.js';

/** A random secret key of the shape the config schema accepts (sk_test_ + alphanumerics). */
export function newEmulatorSecretKey(): string {
  return `sk_test_${randomAlnum(40)}`;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? `choose another port with --port, or 0 for a free one` : undefined;
      reject(new HarnessError('USAGE', `emulator cannot listen on ${host}:${port}: ${err.code ?? err.message}`, { hint, cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  // With a key file, the secret key is kept there too, so a restarted emulator accepts the
  // CLERK_SECRET_KEY a backend already has (an explicit secretKey still wins).
  const { key, secretKey } = await loadOrCreateKey(options.keyFile, { explicit: options.secretKey, generate: newEmulatorSecretKey });
  const core = new EmulatorCore({
    key,
    secretKey,
    keyFile: options.keyFile,
    authorizedParty: options.authorizedParty,
    clockOffsetSeconds: options.clockOffsetSeconds,
    onKeyRotated: options.onKeyRotated,
  });
  const now = core.nowMs();
  for (const t of options.templates ?? []) core.store.createTemplate({ ...t, claims: t.claims ?? {} }, now);

  const server = createServer({ keepAliveTimeout: 5000 }, createRequestHandler(core, options.log));
  const port = await listen(server, options.port ?? 0, host);
  // IPv6 literals need brackets in URLs.
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  core.baseUrl = url;

  let stopped: Promise<void> | undefined;
  const publicKey = (): SigningKey => {
    const { kid, privateKey, publicJwk, publicPem } = core.currentKey();
    return { kid, privateKey, publicJwk: { ...publicJwk }, publicPem };
  };

  return {
    url,
    port,
    secretKey,
    publishableKey: publishableKeyFor(url),
    issuer: url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    currentKey: publicKey,
    async rotateKey() {
      await core.rotateKey();
      return publicKey();
    },
    async sign(header, payload) {
      return core.sign(header, payload);
    },
    env: () => emulatorEnv({ baseUrl: url, secretKey, publicPem: core.currentKey().publicPem }),
    injectFault: (fault) => core.faults.add(fault),
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
