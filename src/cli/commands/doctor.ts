import { readEnv } from '../../config/env-files.js';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { parseCommandArgs, intFlag, type Command, type CommandContext } from '../command.js';
import { paint, useColor } from '../output.js';

const HELP = `Usage: clerk-harness doctor [options]
       clerk-harness doctor explain <token | response body | status line | error message | ->

Walks the troubleshooting tree (diagnostics/checks.yaml) for a Clerk-protected API that answers
401, 403 or 500, and names the most likely root cause with the fix. Each check prints one line:
✓ passed, ! warning, ✗ failed, - skipped (with the reason: e.g. the target is unreachable).

Two configurations are involved, on purpose:
  --env-file     the BACKEND's env file, the one your API server loads (default .env.local).
                 doctor only reads it: keys present and well-formed, placeholders, audience,
                 PEM vs Clerk's live JWKS, and its mtime vs the server process's start time.
  harness config the harness's OWN CLERK_SECRET_KEY / CLERK_API_URL (from .env.local, .env and
                 the environment of the directory you run doctor in), used only to mint a fresh
                 session token to send to the target. Often the same file; need not be.

Options:
  --env-file FILE     the backend's env file (default .env.local)
  --target URL        base URL of the API (default TARGET_URL)
  --probe PATH        unauthenticated health path (default /health)
  --endpoint "M /p"   the protected route to try without and with a token (default "POST /jobs")
  --audit-dir DIR     audit log root, files at DIR/jobs/audit_YYYYMMDD.jsonl (default logs/audit)
  --suite FILE        take the target, the protected endpoint (method, path, body) and the audit
                      settings (path, schema, success/failure matcher) from a run suite, so doctor
                      judges the API exactly as \`clerk-harness run --suite FILE\` does
  --only ID[,ID]      run only these checks or branches (env, keys, clerk, target, server, auth,
                      authz, audit); their prerequisites run silently. authz: why a valid token
                      is refused (403): the organization, role or permission it lacks
  --timeout MS        per-request timeout (default 5000)
  --verbose           also show details of passing checks and the checks the tree did not
                      reach (counted as "not reached", never as skipped)
  --json              print the report as JSON (shape below) instead of text
  --list              list the checks (id, needs, title) and exit

Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 usage error.

--json prints {"schema":"clerk-harness/doctor@1", ok, inputs,
summary:{pass,warn,fail,skip,notReached}, rootCauses:[{id,title,fix,score,checks[],evidence[]}]
(most likely first), checks:[{id,branch,title,status,outcome,says,evidence[],details[],fix,cause,
vars,skipReason,shown,durationMs}]}. Every check with status skip has a skipReason.
summary counts the checks shown (shown:true), as the text does: pass+warn+fail+skip = those.
Checks the tree did not reach (skipReason "not reached (...)", shown:false) count only in
notReached; --verbose prints them. Secrets and tokens are redacted in every field.

doctor explain needs no configuration: give it a token (it decodes it and names the claim at
fault), a response body or \`curl -i\` output, a status line, an x-clerk-auth-reason, or a
verifier's error message (PyJWT, python-jose, @clerk/backend, jose, FastAPI, fastapi-clerk-auth);
"-" or no argument reads stdin. For a refusal (403) put the token on the first line and the
\`curl -i\` output after it (or paste \`curl -v\` output): it says which role or permission the
token lacks, read as @clerk/backend's auth.has() reads it. Exit 0 when explained, 1 when not recognised. --json for machines.

Examples:
  clerk-harness doctor --target http://127.0.0.1:8000 --env-file backend/.env.local
  clerk-harness doctor --only keys --verbose
  clerk-harness doctor explain '{"detail":"Token validation failed: Token is missing the \\"aud\\" claim"}'
  curl -si -X POST http://127.0.0.1:8000/jobs | clerk-harness doctor explain -`;

function parseEndpoint(value: string): { method: string; path: string } {
  const m = /^\s*(?:([A-Za-z]+)\s+)?(\/\S*)\s*$/.exec(value);
  if (!m) throw new HarnessError('USAGE', `doctor: --endpoint must look like "POST /jobs" or "/jobs", got "${value}"`);
  return { method: (m[1] ?? 'GET').toUpperCase(), path: m[2] };
}

/** What doctor takes from a run suite: its target, the first audited endpoint, its audit settings. */
async function suiteSettings(file: string, ctx: CommandContext) {
  const path = await import('node:path');
  const { readUserFileSync } = await import('../../config/user-file.js');
  const { loadSuite, MAX_BODY_BYTES } = await import('../../suite/load.js');
  const suite = loadSuite(path.resolve(ctx.cwd, file), { cwd: ctx.cwd });
  const e = suite.endpoints.find((x) => x.audited) ?? suite.endpoints[0]!;
  return {
    target: suite.baseUrl,
    endpoint: { method: e.method, path: e.path, body: e.bodyFile ? readUserFileSync(e.bodyFile, { what: `fixture ${e.bodyFile}`, code: 'FIXTURE_MISSING', maxBytes: MAX_BODY_BYTES }) : undefined, contentType: e.contentType },
    audit: suite.audit ? { baseDir: suite.audit.baseDir, pattern: suite.audit.pathPattern, schemaFile: suite.audit.schemaFile, classifier: suite.audit.classifier } : (false as const),
  };
}

const MAX_URL_LENGTH = 2048;

function targetUrl(value: string | undefined, ctx: CommandContext): string | undefined {
  const raw = value ?? readEnv({ cwd: ctx.cwd, environment: ctx.env }).TARGET_URL?.value;
  if (!raw) return undefined;
  if (raw.length > MAX_URL_LENGTH) {
    const shown = `"${raw.slice(0, 57).replace(/\s+/g, ' ')}..." (${raw.length} characters)`;
    throw new HarnessError('USAGE', `doctor: target ${shown} is longer than ${MAX_URL_LENGTH} characters; not a base URL`, { hint: 'e.g. --target http://127.0.0.1:8000 (or TARGET_URL in .env.local)' });
  }
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new HarnessError('USAGE', `doctor: target "${raw}" is not an http(s) URL${/:\d{6,}|:(6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4})(\/|$)/.test(raw) ? ' (a port is 1-65535)' : ''}`, { hint: 'e.g. --target http://127.0.0.1:8000 (an IPv6 host is written http://[::1]:8000)' });
  }
  return raw.replace(/\/+$/, '');
}

/** Per-request timeout: 0 would fail every request, and timers cannot wait past 2^31-1 ms. */
const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 600_000;

function timeoutFlag(value: string | undefined): number {
  const ms = intFlag('doctor', 'timeout', value, 5000);
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
    throw new HarnessError('USAGE', `doctor: --timeout must be between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS} ms, got ${value}`, { hint: 'e.g. --timeout 5000 (the default); it is per request, in milliseconds' });
  }
  return ms;
}

/** Longest input doctor explain reads from stdin; a pasted response is far smaller. */
const MAX_EXPLAIN_INPUT = 4 * 1024 * 1024;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new HarnessError('USAGE', 'doctor explain: nothing to explain', { hint: 'pass a token, body or message as an argument, or pipe it in with "-"' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_EXPLAIN_INPUT) {
      process.stdin.destroy();
      throw new HarnessError('USAGE', `doctor explain: the input is over ${MAX_EXPLAIN_INPUT} bytes`, { hint: 'paste the status line, headers and the start of the body, or the token alone' });
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function explain(ctx: CommandContext, argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommandArgs('doctor explain', argv, { json: { type: 'boolean' }, verbose: { type: 'boolean' } }, { allowPositionals: true });
  const input = positionals.length === 0 || (positionals.length === 1 && positionals[0] === '-') ? await readStdin() : positionals.join(' ');
  if (!input.trim()) throw new HarnessError('USAGE', 'doctor explain: the input is empty');
  const { explainInput } = await import('../../doctor/explain/explain.js');
  const { renderExplanation } = await import('../../doctor/explain/render.js');
  const result = explainInput(input);
  if (values.json) ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else ctx.stdout.write(renderExplanation(result, { paint: paint(useColor(ctx.stdout, ctx.env)), verbose: values.verbose }));
  return result.recognised ? EXIT.OK : EXIT.FINDINGS;
}

async function listChecks(ctx: CommandContext): Promise<ExitCode> {
  const { loadDiagnostics } = await import('../../doctor/data.js');
  const { tree } = loadDiagnostics();
  const width = Math.max(...tree.checks.map((c) => c.id.length));
  for (const c of tree.checks) ctx.stdout.write(`${c.id.padEnd(width)}  ${c.title}${c.needs.length ? `  [needs ${c.needs.join(', ')}]` : ''}\n`);
  return EXIT.OK;
}

const command: Command = {
  summary: 'walk the troubleshooting tree for a 401/500 and name the root cause',
  help: HELP,
  async run(ctx) {
    if (ctx.argv[0] === 'explain') return explain(ctx, ctx.argv.slice(1));
    const { values } = parseCommandArgs('doctor', ctx.argv, {
      'env-file': { type: 'string' },
      target: { type: 'string' },
      probe: { type: 'string' },
      endpoint: { type: 'string' },
      'audit-dir': { type: 'string' },
      suite: { type: 'string' },
      only: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
    });
    if (values.list) return listChecks(ctx);
    const { loadDiagnostics } = await import('../../doctor/data.js');
    const { selectOnly } = await import('../../doctor/planner.js');
    const diagnostics = loadDiagnostics();
    const only = values.only?.flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
    if (only?.length) {
      const unknown = only.filter((o) => selectOnly(diagnostics.tree, [o]).length === 0);
      if (unknown.length) throw new HarnessError('USAGE', `doctor: --only ${unknown.join(', ')}: no such check or branch`, { hint: 'run `clerk-harness doctor --list` for the check ids' });
    }
    const probe = values.probe ?? '/health';
    const fromSuite = values.suite ? await suiteSettings(values.suite, ctx) : undefined;
    const { runDoctor } = await import('../../doctor/run.js');
    const { renderReport } = await import('../../doctor/render.js');
    const report = await runDoctor({
      cwd: ctx.cwd,
      env: ctx.env,
      diagnostics,
      options: {
        envFile: values['env-file'] ?? '.env.local',
        target: targetUrl(values.target ?? fromSuite?.target, ctx),
        probe: probe.startsWith('/') ? probe : `/${probe}`,
        endpoint: values.endpoint ? parseEndpoint(values.endpoint) : fromSuite?.endpoint ?? parseEndpoint('POST /jobs'),
        auditDir: values['audit-dir'] ?? 'logs/audit',
        // --audit-dir says where the documents' layout lives; without it the suite's audit settings hold.
        audit: values['audit-dir'] === undefined ? fromSuite?.audit : undefined,
        timeoutMs: timeoutFlag(values.timeout),
        only,
      },
    });
    if (values.json) ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else ctx.stdout.write(renderReport(report, { paint: paint(useColor(ctx.stdout, ctx.env)), verbose: values.verbose, tree: diagnostics.tree }));
    return report.ok ? EXIT.OK : EXIT.FINDINGS;
  },
};
export default command;
