/**
 * server.env-loaded and server.restart: the 500 "not configured" branch. A setting the server
 * says is missing while the env file has it means the server never read the file (loaded after
 * the verifier was imported) or read an older version (started before the last edit: a restart,
 * not a reload, is needed). The second is decided from the listening process's start time.
 */
import { where } from '../lib/env-file.js';
import { bodyLine } from '../lib/http.js';
import { PEM_KEYS } from '../lib/pem.js';
import { findListeningProcess } from '../lib/proc.js';
import { span, when } from '../lib/time.js';
import type { CheckModule } from '../types.js';
import { exchangeEvidence } from './target.js';

/** The variable a 500 body names as missing ("missing CLERK_PEM_PUBLIC_KEY", "Missing Clerk Secret Key"). */
export function missingVariable(body: string): string | undefined {
  const named = /\b(CLERK_[A-Z0-9_]+|[A-Z][A-Z0-9]*_(?:KEY|SECRET|ISSUER|URL|AUDIENCE))\b/.exec(body);
  if (named) return named[1];
  if (/Missing Clerk Secret Key/i.test(body)) return 'CLERK_SECRET_KEY';
  if (/Publishable key/i.test(body)) return 'CLERK_PUBLISHABLE_KEY';
  return undefined;
}

export const serverEnvLoaded: CheckModule = {
  id: 'server.env-loaded',
  async run(_ctx, facts) {
    const ex = facts.target?.failed500 ?? facts.target?.fresh;
    if (!ex) throw new Error('no 500 exchange in the facts');
    const body = bodyLine(ex.body);
    const env = facts.env;
    const key = missingVariable(ex.body);
    const evidence = exchangeEvidence(ex);
    if (key && env) {
      // Backends read the PEM under either name; the one the file uses counts.
      const aliases = PEM_KEYS.includes(key) ? PEM_KEYS : [key];
      const present = aliases.find((k) => env.values[k]?.value.trim());
      const entry = present ? env.values[present] : undefined;
      if (present && entry) {
        evidence.push(`${where(env, present)} ${present} is set (${entry.value.trim().length} characters)`);
        evidence.push('so the server never read this file, or read it before the key was added');
        return { outcome: 'env-has-key', vars: { key, envFile: env.display, body }, evidence };
      }
      evidence.push(`${env.display} has no ${key} either`);
      return { outcome: 'key-not-in-file', vars: { key, envFile: env.display, body }, evidence };
    }
    if (/not configured|missing/i.test(ex.body)) return { outcome: 'not-configured', vars: { body, envFile: env?.display ?? 'the env file' }, evidence };
    return { outcome: 'other-500', vars: { status: ex.status, body }, evidence };
  },
};

export const serverRestart: CheckModule = {
  id: 'server.restart',
  async run(ctx, facts) {
    const env = facts.env!;
    const url = new URL(ctx.options.target!);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const found = await findListeningProcess(port);
    if (!found.ok) return { outcome: 'not-found', vars: { port, detail: found.reason } };
    // With a reloader (uvicorn --reload) the oldest holder is the one whose environment counts.
    const proc = found.processes[0];
    const now = ctx.now();
    const vars = { pid: proc.pid, port, started: when(proc.startedAtMs, now), changed: when(env.mtimeMs, now), envFile: env.display };
    const evidence = [
      `pid ${proc.pid} listens on port ${port}: ${proc.command}`,
      `process started ${when(proc.startedAtMs, now)}`,
      `${env.display} last modified ${when(env.mtimeMs, now)}`,
      ...found.processes.slice(1).map((p) => `also holding the port: pid ${p.pid} started ${when(p.startedAtMs, now)}`),
    ];
    // 50 ms of slack for the 10 ms tick resolution of the start time.
    if (env.mtimeMs > proc.startedAtMs + 50) {
      return { outcome: 'started-before-change', vars: { ...vars, delta: span(env.mtimeMs - proc.startedAtMs) }, evidence };
    }
    return { outcome: 'started-after-change', vars, details: evidence };
  },
};
