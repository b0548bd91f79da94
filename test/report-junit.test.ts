import { describe, expect, it } from 'vitest';
import { renderJunit } from '../src/report/junit.js';
import { summarise } from '../src/report/summary.js';
import type { CaseResult } from '../src/suite/result.js';

const base = { endpoint: 'create job', request: 'POST /jobs', title: 't', expectedStatus: [401], why: 'w' };
const results: CaseResult[] = [
  { ...base, caseId: 'alg-none', expect: 'rejected', severity: 'critical', verdict: 'finding', message: 'accepted with 201 <&>', hint: 'allow RS256 only' },
  { ...base, caseId: 'wrong-issuer', expect: 'rejected', severity: 'low', verdict: 'finding', message: 'accepted with 201', hint: 'pass issuer=' },
  { ...base, caseId: 'template-token', expect: 'accepted', severity: 'medium', verdict: 'skip', message: 'skipped', skipReason: 'no JWT template configured' },
  { ...base, caseId: 'valid-session-token', expect: 'accepted', severity: 'high', verdict: 'blocked', blockedBy: 'aud-required', message: 'blocked by aud-required: rejected', cause: 'aud-required' },
  { ...base, caseId: 'expired-token', expect: 'rejected', severity: 'critical', verdict: 'pass', message: '401 as expected' },
];

describe('JUnit from the final results', () => {
  const report = summarise({ suite: { name: 'api', file: 's.yaml' }, target: 'http://x', mode: 'emulator', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', durationMs: 1000, failOn: 'medium', results, errors: [] });
  const xml = renderJunit(report);

  it('fails what the gate fails and what a blocker blocked, keeps skip reasons, names the request as the class', () => {
    expect(xml).toMatch(/<testsuites name="clerk-harness: api" tests="5" failures="2"/);
    expect(xml).toMatch(/<testcase classname="POST \/jobs" name="alg-none"[^]*?<failure message="\[critical\] accepted with 201 &lt;&amp;&gt;" type="critical">/);
    expect(xml).toMatch(/name="valid-session-token"[^]*?<failure [^>]*type="blocked"/);
    expect(xml).toMatch(/name="template-token"[^]*?<skipped message="no JWT template configured"\/>/);
    // A low finding under a medium gate is advice: reported, not a failure.
    const wrongIssuer = xml.slice(xml.indexOf('name="wrong-issuer"'), xml.indexOf('name="template-token"'));
    expect(wrongIssuer).not.toContain('<failure');
    expect(wrongIssuer).toContain('below the gate medium');
    expect(xml).toContain('<property name="severity" value="critical"/>');
  });
});
