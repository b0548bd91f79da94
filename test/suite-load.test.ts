import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../src/errors.js';
import { DEFAULT_SUITE_FILE, loadSuite } from '../src/suite/load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'suite-load-'));
function suiteFile(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
function errorOf(fn: () => unknown): HarnessError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HarnessError) return e;
    throw e;
  }
  throw new Error('expected a HarnessError');
}

describe('loadSuite', () => {
  it('loads the bundled default suite', () => {
    const s = loadSuite(DEFAULT_SUITE_FILE);
    expect(s.name).toBe('reference target');
    expect(s.endpoints[0]).toMatchObject({ method: 'POST', path: '/jobs', acceptedStatus: [201], rejectedStatus: [401], audited: true });
    expect(s.endpoints[0].bodyFile).toMatch(/fixtures[\\/]job\.json$/);
    expect(s.baseUrl).toBeUndefined();
    expect(s.audit && s.audit.pathPattern).toBe('logs/audit/jobs/audit_{YYYYMMDD}.jsonl');
  });

  it('refuses paths that leave the target (//host/x) and headers that inject CR/LF, with file and line', () => {
    const f = suiteFile('evil.yaml', 'name: x\nendpoints:\n  - method: POST\n    path: //evil.example:9999/x\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.message).toMatch(/evil\.yaml:4: endpoints\[0\]\.path must be a path on the target starting with a single \//);
    const h = suiteFile('crlf.yaml', 'name: x\nendpoints:\n  - method: GET\n    path: /a\n    headers:\n      X-A: "v\\r\\nX-Injected: 1"\n');
    expect(errorOf(() => loadSuite(h)).message).toMatch(/crlf\.yaml:6: endpoints\[0\]\.headers\.X-A must not contain CR, LF or NUL/);
  });

  it('refuses two endpoints with one name, naming both lines', () => {
    const f = suiteFile('dup.yaml', 'name: x\nendpoints:\n  - name: jobs\n    method: POST\n    path: /jobs\n  - name: jobs\n    method: GET\n    path: /jobs\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.code).toBe('SUITE_INVALID');
    expect(e.message).toMatch(/dup\.yaml:6: endpoints\[1\]\.name "jobs" is already used by endpoints\[0\] \(line 3\)/);
    // Unnamed endpoints default to METHOD PATH, so the same route twice collides too.
    const g = suiteFile('dup2.yaml', 'name: x\nendpoints:\n  - method: GET\n    path: /a\n  - method: GET\n    path: /a\n');
    expect(errorOf(() => loadSuite(g)).message).toMatch(/"GET \/a" is already used/);
  });

  it('reads audit success/failure matchers and refuses a bad one with its line', () => {
    const ok = suiteFile('m.yaml', 'name: x\nendpoints:\n  - method: POST\n    path: /jobs\naudit:\n  path: a.jsonl\n  success:\n    - event: job_created\n  failure:\n    - event: { pattern: "^auth_" }\n');
    const s = loadSuite(ok);
    expect(s.audit && s.audit.classifier).toEqual({ success: [{ event: 'job_created' }], failure: [{ event: { pattern: '^auth_' } }] });
    const bad = suiteFile('m2.yaml', 'name: x\nendpoints:\n  - method: POST\n    path: /jobs\naudit:\n  path: a.jsonl\n  failure:\n    - event: { pattern: "(" }\n');
    expect(errorOf(() => loadSuite(bad)).message).toMatch(/m2\.yaml:8: audit\.failure\[0\]\.event\.pattern: /);
  });

  it('names file, line and field for a schema violation', () => {
    const f = suiteFile('bad-method.yaml', 'name: x\nendpoints:\n  - method: FETCH\n    path: /jobs\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.code).toBe('SUITE_INVALID');
    expect(e.message).toMatch(/bad-method\.yaml:3: endpoints\[0\]\.method must be one of "GET"/);
  });

  it('names an unknown field and its line', () => {
    const f = suiteFile('typo.yaml', 'name: x\nendpoints:\n  - method: GET\n    path: /a\n    rejected_stauts: 403\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.message).toMatch(/typo\.yaml:\d+: endpoints\[0\]\.rejected_stauts is not a known field/);
  });

  it('names a missing required field', () => {
    const e = errorOf(() => loadSuite(suiteFile('noend.json', '{"name": "x"}')));
    expect(e.message).toMatch(/noend\.json:1: endpoints is required/);
  });

  it('reports YAML syntax errors with a line', () => {
    const e = errorOf(() => loadSuite(suiteFile('syntax.yaml', 'name: x\nendpoints: [\n  {method: GET\n')));
    expect(e.code).toBe('SUITE_INVALID');
    expect(e.message).toMatch(/syntax\.yaml:\d+: cannot parse/);
  });

  it('reports a missing body fixture relative to the suite', () => {
    const f = suiteFile('nobody.yaml', 'name: x\nendpoints:\n  - method: POST\n    path: /a\n    body: missing.json\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.code).toBe('FIXTURE_MISSING');
    expect(e.message).toMatch(/endpoints\[0\]\.body: fixture missing\.json not found/);
  });

  it('an inline body (a mapping, as other HTTP test tools take) is refused at its line with the fixture form to use', () => {
    const f = suiteFile('inline.yaml', 'name: x\nendpoints:\n  - method: POST\n    path: /a\n    body: {"title": "x"}\n');
    const e = errorOf(() => loadSuite(f));
    expect(e.code).toBe('SUITE_INVALID');
    expect(e.message).toMatch(/inline\.yaml:5: endpoints\[0\]\.body must name a fixture file \(relative to the suite file\), e\.g\. body: fixtures\/job\.json/);
  });

  it('reports a missing suite file', () => {
    expect(errorOf(() => loadSuite(path.join(dir, 'nope.yaml'))).code).toBe('FIXTURE_MISSING');
  });

  it('turns audit: false into no audit checks and honours status lists', () => {
    const f = suiteFile('ok.yaml', 'name: x\naudit: false\ndefaults:\n  rejected_status: [401, 403]\nendpoints:\n  - method: GET\n    path: /me\n');
    const s = loadSuite(f);
    expect(s.audit).toBe(false);
    expect(s.endpoints[0]).toMatchObject({ rejectedStatus: [401, 403], audited: false, name: 'GET /me' });
  });
});
