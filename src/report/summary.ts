/** The run's results as one data object: the source of every report and of the exit code. */
import type { Severity } from '../cases/types.js';
import type { Blocker, CaseResult } from '../suite/result.js';
import { severityAtLeast, severityRank } from '../suite/policy.js';
import { authzMatrix, type AuthzMatrix } from './authz-matrix.js';

export const RESULT_FORMAT = 'clerk-harness/result@1';

export interface RunReport {
  format: typeof RESULT_FORMAT;
  suite: { name: string; file: string };
  target: string;
  mode: 'clerk' | 'emulator';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  failOn: Exclude<Severity, 'info'>;
  summary: {
    total: number;
    passed: number;
    findings: number;
    failing: number; // findings at or above failOn
    skipped: number;
    informational: number;
    blocked: number;
    errors: number;
    bySeverity: Record<Exclude<Severity, 'info'>, number>;
  };
  /** 'passed' | 'failed' (findings at/above failOn) | 'error' (the run could not complete). */
  status: 'passed' | 'failed' | 'error';
  results: CaseResult[];
  /** Root causes that refused the valid tokens; each blocks its endpoints' other cases. */
  blockers: Blocker[];
  errors: string[];
  /**
   * Set when the run stopped before every test ran: `--bail` after the first failure, an interrupt
   * (SIGINT/SIGTERM), or a test worker that exited. The tests that never ran are in `results` as
   * skipped (bail) or error (interrupt, worker) results saying so; none is ever listed as passed.
   */
  incomplete?: { reason: 'bail' | 'interrupted' | 'worker-exited'; notRun: number; message: string };
  /**
   * Suites with personas: the authorization matrix (persona × endpoint with an access rule), a
   * view of the authorization results above. Absent when the run has no authorization case.
   */
  authz?: AuthzMatrix;
}

export function isFailing(r: CaseResult, failOn: Severity): boolean {
  return r.verdict === 'finding' && severityAtLeast(r.severity, failOn);
}

export function summarise(
  report: Omit<RunReport, 'format' | 'summary' | 'status' | 'blockers' | 'incomplete' | 'authz'> & { blockers?: Blocker[]; incomplete?: RunReport['incomplete']; authz?: AuthzMatrix },
  /** The matrix's row order: the suite's personas as declared (a report summarised again keeps its own). */
  personaOrder?: string[],
): RunReport {
  // A report summarised again (markIncomplete) gets its matrix recomputed from its new results.
  const { authz: previous, ...input } = report;
  const authz = authzMatrix(input.results, personaOrder ?? previous?.personas);
  const blockers = input.blockers ?? [];
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const r of input.results) if (r.verdict === 'finding' && r.severity !== 'info') bySeverity[r.severity]++;
  const count = (v: CaseResult['verdict']) => input.results.filter((r) => r.verdict === v).length;
  const failing = input.results.filter((r) => isFailing(r, input.failOn)).length;
  const errors = count('error') + input.errors.length;
  return {
    format: RESULT_FORMAT,
    ...input,
    blockers,
    summary: {
      total: input.results.length,
      passed: count('pass'),
      findings: count('finding'),
      failing,
      skipped: count('skip'),
      informational: count('info'),
      blocked: count('blocked'),
      errors,
      bySeverity,
    },
    status: errors > 0 ? 'error' : failing > 0 || blockers.length > 0 ? 'failed' : 'passed',
    ...(authz ? { authz } : {}),
  };
}


/** Findings, most severe first; the order every renderer uses. */
export function findingsBySeverity(report: RunReport): CaseResult[] {
  return report.results.filter((r) => r.verdict === 'finding').sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
}
