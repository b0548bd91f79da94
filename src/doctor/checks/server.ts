/**
 * server.env-loaded and server.restart: the 500 "not configured" branch. A setting the server
 * says is missing while the env file has it means the server never read the file (loaded after
 * the verifier was imported) or read an older version (started before the last edit: a restart,
 * not a reload, is needed). The second is decided from the listening process's start time.
 */
import { where } from '../lib/env-file.js';
import { bodyLine } from '../lib/http.js';
import { PEM_KEYS, PEM_READERS } from '../lib/pem.js';
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

/** "Publishable key not valid" (@clerk/shared parsePublishableKey): the key is set but malformed, not missing. */
const KEY_INVALID = /Publishable key not valid|invalid publishable key|Secret key (is )?(not valid|invalid)/i;

export const serverEnvLoaded: CheckModule = {
  id: 'server.env-loaded',
  async run(_ctx, facts) {
    const ex = facts.target?.failed500 ?? facts.target?.fresh;
    if (!ex) throw new Error('no 500 exchange in the facts');
    const body = bodyLine(ex.body);
    const env = facts.env;
    const evidence = exchangeEvidence(ex);
    if (KEY_INVALID.test(ex.body)) {
      const key = /secret key/i.test(KEY_INVALID.exec(ex.body)![0]) ? 'CLERK_SECRET_KEY' : 'CLERK_PUBLISHABLE_KEY';
      const entry = env?.values[key];
      if (env) evidence.push(entry?.value.trim() ? `${where(env, key)} ${key} is set (${entry.value.trim().length} characters): the server read a value, and it is not a valid key` : `${env.display} has no ${key}: the server's value comes from elsewhere (its environment, another file)`);
      // The sentence itself, not the HTML page around it (Express's default error page).
      const said = /(Publishable key not valid|invalid publishable key|Secret key (?:is )?(?:not valid|invalid))[^<\n]*/i.exec(ex.body)![0];
      return { outcome: 'key-invalid', vars: { key, envFile: env?.display ?? 'the env file', body: bodyLine(said, 160) }, evidence };
    }
    const key = missingVariable(ex.body);
    if (key && env) {
      const vars = { key, envFile: env.display, body };
      const entry = env.values[key];
      // Exactly the name the server gave: a backend reads one name, not its aliases.
      if (entry?.value.trim()) {
        evidence.push(`${where(env, key)} ${key} is set (${entry.value.trim().length} characters)`);
        evidence.push('so the server never read this file, or read it before the key was added');
        return { outcome: 'env-has-key', vars, evidence };
      }
      const alias = (PEM_KEYS.includes(key) ? PEM_KEYS : []).find((k) => k !== key && env.values[k]?.value.trim());
      if (alias) {
        evidence.push(`${where(env, alias)} ${alias} is set, but the server asks for ${key}: ${PEM_READERS[key] ?? 'this server'} reads ${key}, ${PEM_READERS[alias] ?? 'other backends'} read ${alias}`);
        return { outcome: 'other-name-only', vars: { ...vars, alias }, evidence };
      }
      evidence.push(`${env.display} has no ${key} either`);
      return { outcome: 'key-not-in-file', vars, evidence };
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
    const startedBeforeEnvChange = env.mtimeMs > proc.startedAtMs + 50;
    const fact = { serverProcess: { pid: proc.pid, startedAtMs: proc.startedAtMs, startedBeforeEnvChange } };
    if (startedBeforeEnvChange) {
      // After a 500 the old process is the cause; after a 401 a fact for auth.cause's rules.
      const outcome = facts.target?.failed500 ? 'started-before-change' : 'changed-since-start';
      return { outcome, vars: { ...vars, delta: span(env.mtimeMs - proc.startedAtMs) }, evidence, facts: fact };
    }
    return { outcome: 'started-after-change', vars, details: evidence, facts: fact };
  },
};
