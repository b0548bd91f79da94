/**
 * Key store: RSA-2048 signing keys (the only size @clerk/backend's networkless `jwtKey` path
 * accepts), their `kid`, and the optional key file that makes restarts keep the same key.
 * Knows nothing about HTTP or tokens.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint';
import type { JWK } from 'jose';
import { HarnessError } from '../errors.js';
import { derivedId } from './ids.js';
import type { SigningKey } from './types.js';

/** A signing key plus what only the emulator itself may touch (never printed, never served). */
export interface KeyMaterial extends SigningKey {
  privateKeyObject: KeyObject;
  privatePem: string;
}

/** Contents of the key file: versioned JSON, so a future format can be told apart. */
interface KeyFile {
  format: 'clerk-harness-emulator-key';
  version: 1;
  kid: string;
  private_key_pem: string;
  /** The secret key the emulator accepted when the file was written, so restarts keep it too. */
  secret_key?: string;
  created_at: string;
}

export interface StoredKey {
  key: KeyMaterial;
  secretKey?: string;
}

const KEY_FILE_FORMAT = 'clerk-harness-emulator-key';

/** Build the full key material from a private KeyObject; the kid comes from the JWK thumbprint. */
export async function keyMaterialFrom(privateKeyObject: KeyObject): Promise<KeyMaterial> {
  const publicKey = createPublicKey(privateKeyObject);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = derivedId('ins', await calculateJwkThumbprint({ kty: jwk.kty, n: jwk.n, e: jwk.e }, 'sha256'));
  const privatePem = privateKeyObject.export({ format: 'pem', type: 'pkcs8' }) as string;
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKeyObject.export({ format: 'der', type: 'pkcs8' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return {
    kid,
    privateKey: privateKey as CryptoKey,
    privateKeyObject,
    privatePem,
    // Field set and order as Clerk serves it: {use, kty, kid, alg, n, e}.
    publicJwk: { use: 'sig', kty: 'RSA', kid, alg: 'RS256', n: jwk.n, e: jwk.e },
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

export async function generateKeyMaterial(): Promise<KeyMaterial> {
  // Async generation: RSA keygen takes ~100 ms and must not stall servers sharing the event loop.
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  return keyMaterialFrom(privateKey);
}

/** Reject keys @clerk/backend could not verify networklessly (it hard-codes the RSA-2048 SPKI prefix). */
function assertUsableKey(key: KeyObject, file: string): void {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== 2048 || details.publicExponent !== 0x10001n) {
    throw new HarnessError('CONFIG_INVALID', `key file ${file} does not hold an RSA-2048 key with e=65537`, {
      hint: `delete ${file} (a new key is generated and saved on the next start)`,
    });
  }
}

/** Load the key file, or undefined when it does not exist. Malformed files are a user error. */
export async function loadKeyFile(file: string): Promise<StoredKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HarnessError('CONFIG_INVALID', `cannot read key file ${file}: ${(cause as Error).message}`, { cause });
  }
  let parsed: Partial<KeyFile>;
  let key: KeyObject;
  try {
    parsed = JSON.parse(text) as Partial<KeyFile>;
    if (parsed.format !== KEY_FILE_FORMAT || typeof parsed.private_key_pem !== 'string') throw new Error('not an emulator key file');
    key = createPrivateKey(parsed.private_key_pem);
  } catch (cause) {
    throw new HarnessError('CONFIG_INVALID', `key file ${file} is not a clerk-harness emulator key file (${(cause as Error).message})`, {
      hint: `point --key-file at another path, or delete ${file} to generate a new key`,
      cause,
    });
  }
  assertUsableKey(key, file);
  return { key: await keyMaterialFrom(key), secretKey: typeof parsed.secret_key === 'string' ? parsed.secret_key : undefined };
}

/** Write the key file atomically with mode 0600: it holds a private key. */
export async function saveKeyFile(file: string, key: KeyMaterial, secretKey?: string, now = new Date()): Promise<void> {
  const body: KeyFile = {
    format: KEY_FILE_FORMAT,
    version: 1,
    kid: key.kid,
    private_key_pem: key.privatePem,
    secret_key: secretKey,
    created_at: now.toISOString(),
  };
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    throw new HarnessError('CONFIG_INVALID', `cannot write key file ${file}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * The key from `file` when it exists, else a new key (saved to `file` when given). The secret key
 * is `explicit` when given, else the one stored in the file, else `generate()`; the file is
 * rewritten when what it stores differs, so the next start without --secret-key keeps it.
 */
export async function loadOrCreateKey(
  file: string | undefined,
  secret: { explicit?: string; generate: () => string },
): Promise<{ key: KeyMaterial; secretKey: string }> {
  const stored = file ? await loadKeyFile(file) : undefined;
  const key = stored?.key ?? (await generateKeyMaterial());
  const secretKey = secret.explicit ?? stored?.secretKey ?? secret.generate();
  if (file && (!stored || stored.secretKey !== secretKey)) await saveKeyFile(file, key, secretKey);
  return { key, secretKey };
}
