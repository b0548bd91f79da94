/**
 * Suites the tests write: the default suite's "create job" endpoint alone, with its audit log.
 * The token-verification flaws of the reference target are the same on every route; tests about
 * one flaw's findings or about output shape judge them on one endpoint.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BODY = new URL('../../fixtures/job.json', import.meta.url).pathname;

export const CREATE_JOB_SUITE = `name: create job only
audit:
  path: logs/audit/jobs/audit_{YYYYMMDD}.jsonl
  wait_ms: 2000
  timestamp_tolerance_ms: 5000
endpoints:
  - name: create job
    method: POST
    path: /jobs
    body: ${BODY}
    accepted_status: 201
fail_on: low
`;

/** Writes the one-endpoint suite into `dir` (a new temporary folder by default) and returns its path. */
export function writeCreateJobSuite(dir = mkdtempSync(path.join(tmpdir(), 'suite-create-job-'))): string {
  const file = path.join(dir, 'create-job.yaml');
  writeFileSync(file, CREATE_JOB_SUITE);
  return file;
}
