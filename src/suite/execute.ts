import { readFileSync } from 'node:fs';
import type { CaseContext, CaseDef } from '../cases/types.js';
import { isHarnessError } from '../errors.js';
import { excerpt, send } from '../http/send.js';
import type { AuditProbe } from './audit-probe.js';
import type { PlannedCase } from './plan.js';
import type { CaseResult } from './result.js';
import type { SuiteEndpoint } from './types.js';
import { judge } from './verdict.js';

export interface ExecuteInput {
  targetUrl: string;
  timeoutMs: number;
  suiteHeaders: Record<string, string>;
  endpoint: SuiteEndpoint;
  planned: PlannedCase;
  caseDef: CaseDef;
  context: CaseContext;
  audit?: AuditProbe;
}

function skipped(input: ExecuteInput, reason: string): CaseResult {
  const { endpoint, caseDef, planned } = input;
  return {
    endpoint: endpoint.name,
    request: `${endpoint.method} ${endpoint.path}`,
    caseId: caseDef.id,
    title: caseDef.title,
    expect: planned.expect,
    expectedStatus: planned.expect === 'accepted' ? endpoint.acceptedStatus : endpoint.rejectedStatus,
    severity: caseDef.severity,
    verdict: 'skip',
    message: `skipped: ${reason}`,
    skipReason: reason,
    why: caseDef.why,
  };
}

const bodyCache = new Map<string, Buffer>();
function body(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  if (!bodyCache.has(file)) bodyCache.set(file, readFileSync(file));
  return bodyCache.get(file);
}

/**
 * Run one endpoint × case: make the token now, send it, judge the status, check the audit log.
 * Returns data for every outcome; only faults of the harness throw.
 */
export async function executeCase(input: ExecuteInput): Promise<CaseResult> {
  const { endpoint, caseDef, planned } = input;
  if (planned.skipReason) return skipped(input, planned.skipReason);
  const auth = await caseDef.build(input.context);
  if (auth.kind === 'skip') return skipped(input, auth.reason);

  const headers: Record<string, string> = {
    // Clerk's middleware answers document-like requests with handshakes; ask for JSON like an API client.
    accept: 'application/json',
    ...lower(input.suiteHeaders),
    ...lower(endpoint.headers),
  };
  const payload = body(endpoint.bodyFile);
  if (payload) headers['content-type'] = endpoint.contentType;
  if (auth.authorization !== undefined) headers.authorization = auth.authorization;

  const checkpoint = input.audit && endpoint.audited ? await input.audit.before() : undefined;
  const url = new URL(endpoint.path, input.targetUrl.endsWith('/') ? input.targetUrl : `${input.targetUrl}/`).href;
  const requestStart = Date.now();
  let res;
  try {
    res = await send(url, { method: endpoint.method, headers, body: payload, timeoutMs: input.timeoutMs });
  } catch (err) {
    if (isHarnessError(err) && err.code === 'TARGET_TIMEOUT') {
      return {
        ...skipped(input, ''),
        verdict: 'finding',
        severity: 'high',
        skipReason: undefined,
        sent: auth.describe,
        message: `no answer within ${input.timeoutMs} ms: the target hangs on this input`,
        hint: `a verifier must fail fast on bad tokens; a hang is a denial-of-service vector. ${caseDef.hint}`,
      };
    }
    throw err;
  }
  const requestEnd = Date.now();
  const result = judge({
    caseDef,
    expect: planned.expect,
    endpoint,
    observed: { status: res.status, bodyExcerpt: excerpt(res.body), headers: res.headers, durationMs: res.durationMs },
    sent: auth.describe,
  });

  if (checkpoint !== undefined && input.audit) {
    const accepted = endpoint.acceptedStatus.includes(res.status);
    const claims = auth.token?.claims;
    let issues;
    if (accepted && planned.expect === 'accepted' && claims && typeof claims.sub === 'string' && typeof claims.iat === 'number') {
      issues = await input.audit.afterAccepted(checkpoint, {
        sub: claims.sub,
        iat: claims.iat,
        email: (claims.email as string | undefined) ?? null,
        requestStart,
        requestEnd,
      });
    } else if (!accepted) {
      issues = await input.audit.afterRejected(checkpoint);
    }
    if (issues && issues.length) {
      result.audit = issues;
      if (result.verdict === 'pass' || result.verdict === 'info') {
        result.verdict = 'finding';
        result.severity = 'high';
        result.message = `audit log: ${issues.map((i) => i.message).join('; ')}`;
        result.hint =
          'every accepted request needs exactly one audit entry attributed to the token: user_id = sub, token_iat = iat, a contemporaneous UTC timestamp (ALCOA+); rejected requests must not log a success';
      } else {
        result.message += `; audit log: ${issues.map((i) => i.message).join('; ')}`;
      }
    }
  }
  return result;
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
