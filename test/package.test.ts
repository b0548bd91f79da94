/**
 * The package as a user gets it: the built entry point exports the public API. (That the files a
 * published package needs are in the tarball is checked on the real `npm pack` of
 * cli-init-packed.test.ts, which installs that tarball.)
 */
import { describe, expect, it } from 'vitest';

describe('package', () => {
  it('the built entry point exports the public API', async () => {
    const api = (await import(new URL('../dist/index.js', import.meta.url).href)) as Record<string, unknown>;
    const functions = [
      'isHarnessError', 'redact', 'redactDeep', 'redactSecretKey', 'redactToken', 'loadConfig', 'startEmulator', 'newEmulatorSecretKey',
      'createTokenSource', 'formatToken', 'persistEnvVar', 'persistEnvVars', 'getCase', 'findCase', 'startAttackerJwks',
      'startReferenceTarget', 'loadSuite', 'buildPlan', 'runPlanWithVitest', 'judge', 'summarise', 'writeReports',
      'loadAuditValidator', 'auditCheckpoint', 'readAppended', 'checkAcceptedRequest', 'checkRejectedRequest', 'validateAuditFiles',
      'runDoctor', 'explainInput', 'main', 'HarnessError', 'TokenSupply', 'startTokenSupply', 'runLoad', 'startTokensServer',
    ];
    for (const name of functions) expect(typeof api[name], name).toBe('function');
    expect(Object.keys(api).sort()).toEqual(
      [...functions, 'EXIT', 'TOKEN_FORMATS', 'CATALOGUE', 'CASE_IDS', 'FLAWS', 'TARGET_FLAWS', 'DEFAULT_SUITE_FILE', 'SUITE_SCHEMA_FILE', 'RESULT_FORMAT'].sort(),
    );
    expect((api.CATALOGUE as unknown[]).length).toBe((api.CASE_IDS as unknown[]).length);
    expect(api.EXIT).toEqual({ OK: 0, FINDINGS: 1, USAGE: 2, BUG: 3 });
    // Touch the pure ones with real input.
    const explain = (api.explainInput as (s: string) => { causes: Array<{ cause: string }> })('Signature has expired');
    expect(explain.causes[0].cause).toMatch(/expired/);
    expect((api.redact as (s: string) => string)('sk_test_abcdefghijklmnop1234')).toBe('sk_test_…1234');
    const suite = (api.loadSuite as (f: string) => { name: string })(api.DEFAULT_SUITE_FILE as string);
    expect(suite.name).toBe('reference target');
  });

  // What `npm pack` puts in the tarball is checked on the real pack in cli-init-packed.test.ts.
});
