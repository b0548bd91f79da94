/**
 * Run a GitHub Actions job's steps the way the runner does, on this machine: each `run:` script
 * with `bash --noprofile --norc -eo pipefail` in its working-directory, later steps skipped after
 * a failure unless `if: always()`, `${{ inputs.* }}` / `${{ github.workspace }}` /
 * `${{ github.action_path }}` / `${{ runner.temp }}` substituted. `uses:` steps go to a handler the
 * test supplies (a checkout is a folder copy here). Any other expression is refused, never guessed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  'working-directory'?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}

export interface StepOutcome {
  index: number;
  label: string;
  status: 'success' | 'failure' | 'skipped';
  code?: number | null;
  output: string;
}

export interface JobContext {
  workspace: string;
  runnerTemp: string;
  actionPath?: string;
  inputs?: Record<string, string>;
  /** Extra process env for every step (PATH with the right node/python first). */
  env: Record<string, string | undefined>;
  /** Decide a `uses:` step; return its status and a line for the log. */
  uses(step: Step, withValues: Record<string, string>): Promise<{ ok: boolean; output: string }>;
  /** Change a script before it runs (test-only port/timeout substitutions); the default keeps it. */
  rewrite?: (script: string, step: Step) => string;
  stepTimeoutMs?: number;
}

export function substitute(text: string, ctx: JobContext): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    if (expr === 'github.workspace') return ctx.workspace;
    if (expr === 'runner.temp') return ctx.runnerTemp;
    if (expr === 'github.action_path' && ctx.actionPath) return ctx.actionPath;
    const input = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr);
    if (input && ctx.inputs && input[1] in ctx.inputs) return ctx.inputs[input[1]]!;
    throw new Error(`gh-steps: expression \${{ ${expr} }} is not supported here (or the input is not set)`);
  });
}

function runScript(script: string, cwd: string, env: Record<string, string | undefined>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'gh-step-')), 'step.sh');
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'exit', not 'close': a background process the step started keeps the pipes open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      setTimeout(() => resolve({ code, output }), 50);
    });
  });
}

export async function runSteps(steps: Step[], ctx: JobContext): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  let failed = false;
  for (const [index, step] of steps.entries()) {
    const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${index}`;
    const cond = step.if?.trim();
    if (cond !== undefined && cond !== 'always()') throw new Error(`gh-steps: condition "${cond}" is not supported`);
    if (failed && cond !== 'always()') {
      outcomes.push({ index, label, status: 'skipped', output: '' });
      continue;
    }
    const env: Record<string, string | undefined> = { ...ctx.env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ctx.workspace, RUNNER_TEMP: ctx.runnerTemp };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), ctx);
    let ok: boolean;
    let code: number | null | undefined;
    let output: string;
    if (step.uses) {
      const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]));
      ({ ok, output } = await ctx.uses(step, withValues));
    } else if (step.run !== undefined) {
      if (step.shell !== undefined && step.shell !== 'bash') throw new Error(`gh-steps: shell "${step.shell}" is not supported`);
      const dir = step['working-directory'] ? path.resolve(ctx.workspace, substitute(step['working-directory'], ctx)) : ctx.workspace;
      const script = (ctx.rewrite ?? ((s) => s))(substitute(step.run, ctx), step);
      ({ code, output } = await runScript(script, dir, env, ctx.stepTimeoutMs ?? 90_000));
      ok = code === 0;
    } else throw new Error(`gh-steps: step ${index} has neither run nor uses`);
    outcomes.push({ index, label, status: ok ? 'success' : 'failure', code, output });
    if (!ok) failed = true;
  }
  return outcomes;
}
