/**
 * The programmatic API (`import { ... } from 'clerk-harness'`): the same building blocks the CLI
 * uses, for teams that drive the harness from their own scripts or test runners.
 */
export { HarnessError, isHarnessError, type HarnessErrorCode } from './errors.js';
export { EXIT } from './exit-codes.js';
export { redact, redactDeep, redactSecretKey, redactToken } from './redact.js';
export { loadConfig, type HarnessConfig } from './config/load.js';

export { startEmulator, newEmulatorSecretKey } from './emulator/index.js';
export type { Emulator, EmulatorOptions, FaultInjection, SigningKey } from './emulator/types.js';

export { createTokenSource, type TokenSourceConfig } from './tokens/clerk-source.js';
export type { MintedToken, MintOptions, SessionRef, TemplateInfo, TokenSource } from './tokens/types.js';
export { formatToken, TOKEN_FORMATS } from './tokens/format.js';
export { persistEnvVar, persistEnvVars } from './tokens/env-persist.js';

export { CATALOGUE, CASE_IDS, getCase, findCase } from './cases/catalogue.js';
export type { CaseAuth, CaseContext, CaseDef, Expectation, Need, Severity } from './cases/types.js';
export { startAttackerJwks } from './cases/attacker-jwks.js';

export { startReferenceTarget } from './target/reference.js';
export { FLAWS, TARGET_FLAWS } from './target/flaws.js';
export type { ReferenceTarget, ReferenceTargetOptions, TargetFlaw } from './target/types.js';

export { loadSuite, DEFAULT_SUITE_FILE, SUITE_SCHEMA_FILE } from './suite/load.js';
export type { Suite, SuiteEndpoint } from './suite/types.js';
export { buildPlan } from './suite/build-plan.js';
export { runPlanWithVitest } from './suite/vitest-run.js';
export { judge } from './suite/verdict.js';
export type { CaseResult, Verdict } from './suite/result.js';
export { summarise, RESULT_FORMAT, type RunReport } from './report/summary.js';
export { writeReports } from './report/write.js';

export {
  loadAuditValidator,
  auditCheckpoint,
  readAppended,
  checkAcceptedRequest,
  checkRejectedRequest,
  validateAuditFiles,
} from './audit/index.js';

export { runDoctor } from './doctor/run.js';
export { explainInput } from './doctor/explain/explain.js';

export { main } from './cli/main.js';

// Load tests: an always-fresh token supply, the load runner and the loopback token server.
export { TokenSupply } from './load/token-supply.js';
export { startTokenSupply } from './load/supply-from-config.js';
export { runLoad } from './load/run-load.js';
export { startTokensServer } from './load/tokens-server.js';
