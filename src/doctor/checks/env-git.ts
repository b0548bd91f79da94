/**
 * env.git: an env file full of secrets must not be committed. Asks git itself (ls-files,
 * check-ignore) in the file's directory, so nested repos and global excludes count.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CheckModule } from '../types.js';
import { backendEnv } from './env-values.js';

const run = promisify(execFile);

async function git(args: string[], cwd: string): Promise<{ code: number; stdout: string } | 'no-git'> {
  try {
    const { stdout } = await run('git', args, { cwd, timeout: 5000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string };
    if (e.code === 'ENOENT') return 'no-git';
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '' };
  }
}

export const envGit: CheckModule = {
  id: 'env.git',
  async run(_ctx, facts) {
    const env = backendEnv(facts);
    const dir = path.dirname(env.path);
    const name = path.basename(env.path);
    const vars = { envFile: env.display };
    const inside = await git(['rev-parse', '--is-inside-work-tree'], dir);
    if (inside === 'no-git') return { outcome: 'no-git', vars };
    if (inside.code !== 0 || inside.stdout.trim() !== 'true') return { outcome: 'not-a-repo', vars };
    const tracked = await git(['ls-files', '--error-unmatch', '--', name], dir);
    if (tracked !== 'no-git' && tracked.code === 0) {
      return { outcome: 'tracked', vars, evidence: [`git ls-files lists ${env.display}`] };
    }
    const ignored = await git(['check-ignore', '-q', '--', name], dir);
    if (ignored !== 'no-git' && ignored.code === 0) return { outcome: 'ignored', vars };
    return { outcome: 'not-ignored', vars, evidence: [`git check-ignore ${env.display}: not ignored`] };
  },
};
