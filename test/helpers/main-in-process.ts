/**
 * The CLI's entry point in the test process, with captured output and an explicit environment:
 * the same dispatcher, commands and exit codes as `node bin/clerk-harness.js`, without paying a
 * node start and the CLI's imports per call. For commands that neither take signals nor stay up.
 * The environment is exactly `env` (plus NO_COLOR unless given): nothing of the developer's leaks in.
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliResult } from './cli.js';

export async function callMain(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  err.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, cwd: options.cwd ?? process.cwd(), env: { NO_COLOR: '1', ...options.env } });
  await new Promise((r) => setImmediate(r));
  return { code, signal: null, stdout, stderr };
}
