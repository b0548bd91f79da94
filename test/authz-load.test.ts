/** The suite loader on personas, access and resource: normalised, and every mistake named with file and line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/suite/load.js';
import { generateAuthzCases } from '../src/suite/authz/generate.js';

const body = new URL('../fixtures/job.json', import.meta.url).pathname;
const PERSONAS = `personas:
  alice: { email: alice@example.com, organization: acme, role: "org:admin" }
  bob: { email: bob@example.com, organization: acme }
`;
function load(text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'authz-load-'));
  writeFileSync(path.join(dir, 's.yaml'), text);
  return loadSuite('s.yaml', { cwd: dir });
}
const endpoint = (extra: string) => `name: s\n${PERSONAS}endpoints:\n  - name: read job\n    method: GET\n    path: /jobs/{job_id}\n${extra}`;
const resource = `    resource:\n      create: { method: POST, path: /jobs, body: ${body}, id: job_id }\n      owner: alice\n`;

describe('loadSuite: personas, access, resource', () => {
  it('normalises personas (member by default), allow rules and the resource', () => {
    const s = load(endpoint(`${resource}    access: { allow: [owner, "role:org:admin"], refused_status: 404 }\n`));
    expect(s.personas?.bob).toEqual({ name: 'bob', email: 'bob@example.com', organization: 'acme', role: 'org:member', permissions: [], publicMetadata: undefined });
    expect(s.endpoints[0]!.access).toEqual({ allow: [{ kind: 'owner' }, { kind: 'role', role: 'org:admin' }], refusedStatus: 404 });
    expect(s.endpoints[0]!.resource).toMatchObject({ param: 'job_id', owner: 'alice', create: { method: 'POST', path: '/jobs', id: 'job_id', bodyFile: body } });
  });

  it.each([
    [endpoint(`    access: { allow: owner }\n`), /s\.yaml:8: endpoints\[0\]\.path \/jobs\/\{job_id\} has \{job_id\}, which no resource fills/],
    [endpoint(`${resource.replace('owner: alice', 'owner: zed')}    access: { allow: owner }\n`), /s\.yaml:11: endpoints\[0\]\.resource\.owner "zed" is not a persona \(personas: alice, bob\)/],
    [endpoint(`${resource}    access: { allow: [owner, carol] }\n`), /s\.yaml:12: endpoints\[0\]\.access\.allow "carol" is neither a rule/],
    [endpoint(`${resource}`), /s\.yaml:10: endpoints\[0\]\.resource needs endpoints\[0\]\.access/],
    [`name: s\npersonas:\n  x: { email: x@example.com, role: "org:admin" }\nendpoints:\n  - { method: GET, path: /a }\n`, /s\.yaml:3: personas\.x\.role needs personas\.x\.organization/],
    [`name: s\nendpoints:\n  - method: GET\n    path: /a\n    access: { allow: signed-in }\n`, /s\.yaml:5: endpoints\[0\]\.access names personas, but the suite has no personas/],
  ])('refuses a mistake with its line (%#)', (text, message) => {
    expect(() => load(text)).toThrow(message);
  });

  it('a suite without personas loads exactly as before (no authz fields set)', () => {
    const s = load('name: s\nendpoints:\n  - { method: GET, path: /a }\n');
    expect(s.personas).toBeUndefined();
    expect(s.endpoints[0]!.access).toBeUndefined();
  });

  it('generates each persona once per endpoint: allowed, the BOLA attempt, the member on an admin route', () => {
    const s = load(`name: s\n${PERSONAS}  mallory: { email: m@example.com, organization: globex, role: "org:admin" }\nendpoints:\n  - name: delete job\n    method: DELETE\n    path: /jobs/{job_id}\n${resource}    access: { allow: "role:org:admin" }\n`);
    const cases = generateAuthzCases(s, s.endpoints[0]!);
    expect(cases.map((c) => `${c.id}:${c.persona}:${c.expect}:${c.authz.expectedStatus.join('|')}`)).toEqual([
      'allowed:alice:alice:accepted:200|201|202|204',
      'bola-delete-other-user:mallory:rejected:403',
      'member-calls-admin-route:bob:rejected:403',
      'no-active-org-admin-route:alice:rejected:403',
      'role-claim-tampered:bob:rejected:401',
    ]);
  });
});
