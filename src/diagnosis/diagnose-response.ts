/**
 * One diagnosis engine for `run` and `doctor`: what a target's answer (status, body,
 * x-clerk-auth-reason / x-clerk-auth-message, WWW-Authenticate) says about why a request was
 * refused, read with the catalogue `doctor explain` uses (diagnostics/messages.yaml) and the fixes
 * of diagnostics/causes.yaml. Pure apart from loading that data once.
 */
import { loadDiagnostics } from '../doctor/data.js';
import { matchMessages } from '../doctor/explain/match.js';
import { responseMessages } from '../doctor/explain/parse-input.js';
import { redact } from '../redact.js';

export interface ResponseFacts {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface Diagnosis {
  /** Cause id in diagnostics/causes.yaml. */
  cause: string;
  title: string;
  fix: string;
  /** What in the answer pointed there (redacted), strongest first. */
  evidence: string[];
  verifiers: string[];
}

/** The most likely cause of a refusal named by the answer itself; undefined when it names none. */
export function diagnoseResponse(res: ResponseFacts): Diagnosis | undefined {
  const d = loadDiagnostics();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const reason = headers['x-clerk-auth-reason'];
  const matches = matchMessages(d.catalogue, {
    messages: responseMessages(res.body.slice(0, 8192), headers),
    status: res.status,
    reason: reason && reason.trim() ? reason : undefined,
  });
  const best = matches[0];
  if (!best) return undefined;
  const cause = d.causes.get(best.cause);
  if (!cause) return undefined;
  return {
    cause: best.cause,
    title: cause.title,
    fix: fillDefaults(cause.fix, d.varDefaults),
    evidence: best.matched.map((m) => redact(m)),
    verifiers: best.verifiers,
  };
}

/** causes.yaml fixes carry {names} filled from doctor's evidence; run has none, so use the defaults. */
function fillDefaults(fix: string, defaults: Record<string, string>): string {
  const named: Record<string, string> = { envFile: 'the backend\'s env file', key: 'the variable named above', ...defaults };
  return fix.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (m, n: string) => named[n] ?? m);
}
