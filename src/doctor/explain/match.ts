/**
 * Match what a verifier said (body text, x-clerk-auth-reason, jose codes) against the catalogue
 * in diagnostics/messages.yaml. Pure; shared by `doctor explain` and doctor's auth.cause check.
 */
import type { Catalogue } from '../data.js';

export interface MessageMatch {
  cause: string;
  /** Who emits what matched ("PyJWT", "@clerk/backend (x-clerk-auth-reason)"). */
  verifiers: string[];
  /** The pieces of input that matched (first = strongest). */
  matched: string[];
  notes: string[];
  /** Where it came from, strongest first: reason header > jose code > message. */
  via: 'reason' | 'code' | 'message';
}

export interface MatchInput {
  messages: string[];
  status?: number;
  reason?: string;
  joseCodes?: string[];
}

function excerptAround(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 20);
  const end = Math.min(text.length, index + length + 40);
  return `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ').trim()}${end < text.length ? '…' : ''}`;
}

/** Every cause the input points at, strongest evidence first, one entry per cause. */
export function matchMessages(catalogue: Catalogue, input: MatchInput): MessageMatch[] {
  const byCause = new Map<string, MessageMatch>();
  const add = (m: MessageMatch) => {
    const cur = byCause.get(m.cause);
    if (!cur) byCause.set(m.cause, m);
    else {
      for (const v of m.verifiers) if (!cur.verifiers.includes(v)) cur.verifiers.push(v);
      for (const t of m.matched) if (!cur.matched.includes(t)) cur.matched.push(t);
      for (const n of m.notes) if (!cur.notes.includes(n)) cur.notes.push(n);
    }
  };
  if (input.reason) {
    const reason = input.reason.trim();
    const hit = catalogue.clerkReasons.find((r) => (r.prefix ? reason.startsWith(r.reason) : reason === r.reason));
    if (hit) add({ cause: hit.cause, verifiers: ['@clerk/backend (x-clerk-auth-reason)'], matched: [`x-clerk-auth-reason: ${reason}`], notes: [], via: 'reason' });
  }
  for (const code of input.joseCodes ?? []) {
    const cause = catalogue.joseCodes[code];
    if (cause) add({ cause, verifiers: ['jose'], matched: [code], notes: [], via: 'code' });
  }
  for (const rule of catalogue.messages) {
    if (rule.status && input.status !== undefined && !rule.status.includes(input.status)) continue;
    for (const text of input.messages) {
      const m = rule.pattern.exec(text);
      if (!m) continue;
      add({ cause: rule.cause, verifiers: [rule.verifier], matched: [excerptAround(text, m.index, m[0].length)], notes: rule.note ? [rule.note] : [], via: 'message' });
      break;
    }
  }
  const rank = { reason: 0, code: 1, message: 2 };
  return [...byCause.values()].sort((a, b) => rank[a.via] - rank[b.via]);
}
