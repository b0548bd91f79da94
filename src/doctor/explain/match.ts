/**
 * Match what a verifier said (body text, x-clerk-auth-reason, jose codes) against the catalogue
 * in diagnostics/messages.yaml. Pure; shared by `doctor explain` and doctor's auth.cause check.
 */
import type { Catalogue } from '../data.js';

export interface MessageMatch {
  cause: string;
  /** Who emits what matched ("PyJWT", "@clerk/backend"), each once. */
  verifiers: string[];
  /** The pieces of input that matched (first = strongest). */
  matched: string[];
  notes: string[];
  /** Where it came from, strongest first: reason header > jose code > message. */
  via: 'reason' | 'code' | 'message';
  /**
   * The rule holds only for these HTTP statuses and the input carries none: the match is one
   * reading among others (FastAPI's "Not authenticated" is 403 before 0.122, 401 after).
   */
  ifStatus?: number[];
}

export interface MatchInput {
  messages: string[];
  status?: number;
  reason?: string;
  joseCodes?: string[];
}

/** How far a cut may move to reach a word boundary before it cuts inside the word instead. */
const WORD_SLACK = 30;

/**
 * The matched text with some context, cut on word boundaries: a cut point inside a word moves
 * out to the word's edge (taking the whole word) when that is near, else in to the next space.
 */
export function excerptAround(text: string, index: number, length: number): string {
  const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);
  let start = Math.max(0, index - 20);
  if (start > 0 && !isSpace(text[start - 1])) {
    let out = start;
    while (out > 0 && !isSpace(text[out - 1])) out--;
    if (start - out <= WORD_SLACK) start = out;
    else {
      let inward = start;
      while (inward < index && !isSpace(text[inward - 1])) inward++;
      start = inward;
    }
  }
  let end = Math.min(text.length, index + length + 40);
  if (end < text.length && !isSpace(text[end])) {
    let out = end;
    while (out < text.length && !isSpace(text[out])) out++;
    if (out - end <= WORD_SLACK) end = out;
    else {
      let inward = end;
      while (inward > index + length && !isSpace(text[inward])) inward--;
      end = inward;
    }
  }
  return `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ').trim()}${end < text.length ? '…' : ''}`;
}

/** "PyJWT, python-jose" in the catalogue is two verifiers; each is listed once. */
function verifierNames(v: string): string[] {
  return v.split(/,\s*/).map((n) => n.trim()).filter(Boolean);
}

/**
 * Reasons that cover several failures (token-verification-failed: sub, exp, aud or the key import;
 * token-invalid: the form, the typ or the category; jwk-remote-failed-to-load: no secret key, the
 * JWKS fetch, an empty JWKS): a message of the same SDK naming the claim or key decides instead.
 */
export const BROAD_REASONS: ReadonlySet<string> = new Set(['token-invalid', 'token-verification-failed', 'jwk-remote-failed-to-load', 'unexpected-error']);

/** A cause that only says "rejected, reason unreadable": dropped when anything names a cause. */
const FALLBACK_CAUSES = new Set(['rejected-unknown']);

type ReasonHit = Catalogue['clerkReasons'][number];

function reasonHit(catalogue: Catalogue, reason: string): ReasonHit | undefined {
  return catalogue.clerkReasons.find((r) => (r.prefix ? reason.startsWith(r.reason) : reason === r.reason));
}

/**
 * An x-clerk-auth-reason carried by the text itself: @clerk/backend's getFullMessage() suffix
 * "(reason=token-invalid-issuer, token-carrier=header)", a pasted "x-clerk-auth-reason: ..." line
 * in a log, or a bare reason value ("dev-browser-missing") as the whole input.
 */
export function reasonInMessages(catalogue: Catalogue, messages: string[]): string | undefined {
  for (const text of messages) {
    const suffix = /\(reason=([a-z0-9-]+)(?:,\s*token-carrier=[a-z]*)?\)/.exec(text) ?? /\bx-clerk-auth-reason:\s*([a-z0-9-]+)/i.exec(text);
    if (suffix) return suffix[1];
    const bare = text.trim().replace(/^["'`]|["'`]$/g, '');
    if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(bare) && reasonHit(catalogue, bare)) return bare;
  }
  return undefined;
}

/** Every cause the input points at, strongest evidence first, one entry per cause. */
export function matchMessages(catalogue: Catalogue, input: MatchInput): MessageMatch[] {
  const byCause = new Map<string, MessageMatch>();
  const add = (m: MessageMatch) => {
    const cur = byCause.get(m.cause);
    if (!cur) byCause.set(m.cause, m);
    else {
      // An unconditional match of the same cause makes the cause certain.
      if (!m.ifStatus) delete cur.ifStatus;
      else if (cur.ifStatus) cur.ifStatus = [...new Set([...cur.ifStatus, ...m.ifStatus])];
      for (const v of m.verifiers) if (!cur.verifiers.includes(v)) cur.verifiers.push(v);
      for (const t of m.matched) if (!cur.matched.includes(t)) cur.matched.push(t);
      for (const n of m.notes) if (!cur.notes.includes(n)) cur.notes.push(n);
    }
  };
  // Callers pass what a response held: tolerate non-strings (a header list, an object) anywhere.
  const messages = (Array.isArray(input.messages) ? input.messages : []).filter((m): m is string => typeof m === 'string');
  const given = Array.isArray(input.reason) ? (input.reason as unknown[]).find((r) => typeof r === 'string') : input.reason;
  const reason = (typeof given === 'string' ? given.trim() : '') || reasonInMessages(catalogue, messages);
  const hit = reason ? reasonHit(catalogue, reason) : undefined;
  // The matched text already says it came from the header: the verifier is named plainly, so a
  // message from the same SDK does not list it twice.
  if (hit) add({ cause: hit.cause, verifiers: ['@clerk/backend'], matched: [`x-clerk-auth-reason: ${reason}`], notes: [], via: 'reason' });
  for (const code of input.joseCodes ?? []) {
    const cause = Object.hasOwn(catalogue.joseCodes, code) ? catalogue.joseCodes[code] : undefined;
    if (cause) add({ cause, verifiers: ['jose'], matched: [code], notes: [], via: 'code' });
  }
  for (const rule of catalogue.messages) {
    if (rule.status && input.status !== undefined && !rule.status.includes(input.status)) continue;
    for (const text of messages) {
      const m = rule.pattern.exec(text);
      if (!m) continue;
      const match: MessageMatch = { cause: rule.cause, verifiers: verifierNames(rule.verifier), matched: [excerptAround(text, m.index, m[0].length)], notes: rule.note ? [rule.note] : [], via: 'message' };
      if (rule.status && input.status === undefined) match.ifStatus = [...rule.status];
      add(match);
      break;
    }
  }
  // A broad reason gives way to a message of the same SDK that names the claim or the key: the
  // message's cause stands, and the reason stays as its evidence.
  if (hit && reason && BROAD_REASONS.has(hit.reason)) {
    const own = byCause.get(hit.cause);
    const sdk = [...byCause.values()].find((m) => m.via === 'message' && m.cause !== hit.cause && m.verifiers.some((v) => v.startsWith('@clerk/')));
    if (own?.via === 'reason' && sdk) {
      byCause.delete(hit.cause);
      sdk.matched.push(`x-clerk-auth-reason: ${reason}`);
    }
  }
  if ([...byCause.values()].some((m) => !FALLBACK_CAUSES.has(m.cause))) for (const c of FALLBACK_CAUSES) byCause.delete(c);
  const rank = { reason: 0, code: 1, message: 2 };
  return [...byCause.values()].sort((a, b) => rank[a.via] - rank[b.via]);
}
