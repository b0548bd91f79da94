/**
 * One error type for everything the harness reports to a user as a mistake (bad config, bad suite,
 * unreachable target, Clerk refusing a key). Each has a stable `code`; callers switch on it and
 * tests assert it. Faults of the harness itself are plain Errors and print a stack (exit 3).
 */
export type HarnessErrorCode =
  | 'USAGE' // wrong argument or flag
  | 'CONFIG_MISSING' // required variable absent
  | 'CONFIG_INVALID' // variable present but malformed / placeholder / markdown link
  | 'ENV_FILE' // env file unreadable or unwritable
  | 'SUITE_INVALID' // suite file fails its schema or cannot be parsed
  | 'FIXTURE_MISSING' // a file a suite or command refers to does not exist
  | 'TARGET_UNREACHABLE' // connection refused, DNS, TLS
  | 'TARGET_TIMEOUT' // target did not answer in time
  | 'CLERK_API' // the Clerk Backend API (or emulator) refused a call
  | 'CLERK_UNREACHABLE' // network failure after retries
  | 'AUDIT_INVALID' // audit schema unreadable
  | 'TOKEN_INVALID'; // a token given by the user cannot be decoded

export class HarnessError extends Error {
  readonly code: HarnessErrorCode;
  /** What the user should do about it: one line, printed under the message. */
  readonly hint?: string;

  constructor(code: HarnessErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HarnessError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isHarnessError(err: unknown): err is HarnessError {
  return err instanceof HarnessError;
}
