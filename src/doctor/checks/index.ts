/** Every check module, by id. diagnostics/checks.yaml names them; test/doctor-checks.test.ts keeps both in step. */
import type { CheckModule } from '../types.js';
import { auditDir, auditEntries, auditToday } from './audit.js';
import { authCause } from './auth-cause.js';
import { authzRefusal } from './authz.js';
import { clerkApi, clerkConfig } from './clerk-config.js';
import { clerkMint, clerkTemplate, clerkTestUser } from './clerk-instance.js';
import { clerkClock, targetClock } from './clocks.js';
import { envAudience } from './env-audience.js';
import { envFile } from './env-file.js';
import { envFormats } from './env-formats.js';
import { envGit } from './env-git.js';
import { envKeyMode } from './env-key-mode.js';
import { envPlaceholders, envRequiredKeys } from './env-values.js';
import { keysJwks } from './keys-jwks.js';
import { keysPemMatchesJwks, keysTokenKid } from './keys-match.js';
import { keysPem } from './keys-pem.js';
import { serverEnvLoaded, serverRestart } from './server.js';
import { targetFreshToken, targetNoToken, targetReachable } from './target.js';

const ALL: CheckModule[] = [
  envFile, envRequiredKeys, envPlaceholders, envFormats, envAudience, envKeyMode, envGit,
  keysPem, keysJwks, keysPemMatchesJwks, keysTokenKid,
  clerkConfig, clerkApi, clerkClock, clerkTemplate, clerkTestUser, clerkMint,
  targetReachable, targetClock, targetNoToken, targetFreshToken,
  serverEnvLoaded, serverRestart,
  authCause,
  authzRefusal,
  auditDir, auditToday, auditEntries,
];

export const CHECK_MODULES: ReadonlyMap<string, CheckModule> = new Map(ALL.map((m) => [m.id, m]));
