/**
 * Injected failures for reliability tests: the next `count` matching requests answer with the
 * given status (429 with Retry-After, 5xx) in Clerk's error envelope, then service resumes.
 * Admin routes (/__emulator) are never faulted, so a test can always reconfigure the emulator.
 */
import { RE2JS } from 're2js';
import { ApiFailure, type ClerkErrorItem } from './api-errors.js';
import type { FaultInjection } from './types.js';

interface ActiveFault {
  status: number;
  remaining: number;
  retryAfterSeconds?: number;
  pattern: RE2JS;
}

/** By default a fault applies to the Backend API only, not to the public JWKS route. */
const DEFAULT_PATTERN = RE2JS.compile('^/v1/');

/**
 * A fault's path pattern (`emulator fault --path`, `path_pattern`) on a linear-time engine
 * (re2js): whatever the pattern, matching a request path cannot hang the emulator. JavaScript
 * syntax is accepted where RE2 has it; lookaround and backreferences are refused (TypeError).
 */
export function compilePathPattern(pattern: string): RE2JS {
  try {
    return RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).replace(/^error parsing regexp: /, '');
    throw new TypeError(`fault path pattern ${JSON.stringify(pattern)} is not a valid regular expression (${reason}); lookaround and backreferences are not supported`);
  }
}

/** Validate a fault description; throws TypeError naming the bad field. */
export function checkFault(fault: FaultInjection): void {
  if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) {
    throw new TypeError(`fault status must be an HTTP error status (400-599), got ${fault.status}`);
  }
  if (!Number.isInteger(fault.count) || fault.count < 1) throw new TypeError(`fault count must be a whole number >= 1, got ${fault.count}`);
  if (fault.retryAfterSeconds !== undefined && (!Number.isInteger(fault.retryAfterSeconds) || fault.retryAfterSeconds < 0)) {
    throw new TypeError(`fault retryAfterSeconds must be a whole number >= 0, got ${fault.retryAfterSeconds}`);
  }
  if (fault.pathPattern !== undefined) compilePathPattern(fault.pathPattern);
}

function errorItem(status: number): ClerkErrorItem {
  if (status === 429) {
    return { code: 'too_many_requests', message: 'Too many requests', long_message: 'Too many requests, retry later', meta: {} };
  }
  if (status >= 500) {
    return {
      code: 'internal_clerk_error',
      message: 'Oops, an unexpected error occurred',
      long_message: "There was an internal error on our servers. We've been notified and are working on fixing it.",
      meta: {},
    };
  }
  return { code: 'injected_fault', message: 'injected fault', long_message: `The emulator was told to answer ${status}.`, meta: {} };
}

export class FaultQueue {
  private faults: ActiveFault[] = [];

  add(fault: FaultInjection): void {
    checkFault(fault);
    this.faults.push({
      status: fault.status,
      remaining: fault.count,
      retryAfterSeconds: fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined),
      pattern: fault.pathPattern === undefined ? DEFAULT_PATTERN : compilePathPattern(fault.pathPattern),
    });
  }

  clear(): void {
    this.faults = [];
  }

  /** The failure to answer `pathname` with, consuming one use of the first matching fault. */
  take(pathname: string): ApiFailure | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && f.pattern.test(pathname));
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
    return new ApiFailure(fault.status, errorItem(fault.status), headers);
  }
}
