import { CATALOGUE } from '../cases/catalogue.js';
import { planCases } from './plan.js';
import type { Suite } from './types.js';

/**
 * Every suite mistake that would otherwise surface inside the vitest worker, once per test, found
 * before anything starts: unknown case ids, an audit path with an unknown token, an unusable audit
 * schema. Throws the HarnessError naming the field.
 */
export async function assertSuiteRunnable(suite: Suite): Promise<void> {
  planCases([...CATALOGUE], suite);
  if (suite.audit) {
    // Loaded only for suites with an audit log: ajv and the schema are not free at start-up.
    const { auditPathFor, loadAuditValidator } = await import('../audit/index.js');
    auditPathFor({ baseDir: suite.audit.baseDir, pattern: suite.audit.pathPattern }, new Date());
    await loadAuditValidator({ schemaPath: suite.audit.schemaFile });
  }
}
