/** The only place that says what an outcome means for the process exit status. */
export const EXIT = {
  OK: 0,
  FINDINGS: 1,
  USAGE: 2,
  BUG: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
