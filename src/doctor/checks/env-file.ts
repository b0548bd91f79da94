import { UserFileError } from '../../config/user-file.js';
import { displayPath, readBackendEnv } from '../lib/env-file.js';
import { span } from '../lib/time.js';
import path from 'node:path';
import type { CheckModule } from '../types.js';

/** env.file: the backend's env file exists and parses; its values become facts for the env branch. */
export const envFile: CheckModule = {
  id: 'env.file',
  async run(ctx) {
    const file = ctx.options.envFile;
    const display = displayPath(path.resolve(ctx.cwd, file), ctx.cwd);
    try {
      const env = await readBackendEnv(file, ctx.cwd);
      const keys = Object.keys(env.values);
      return {
        outcome: 'found',
        vars: { envFile: env.display, count: keys.length, changed: `${span(ctx.now() - env.mtimeMs)} ago` },
        details: [`keys: ${keys.join(', ') || '(none)'}`, `path: ${env.path}`],
        facts: { env },
      };
    } catch (err) {
      const problem = err instanceof UserFileError ? err.problem : undefined;
      const code = problem === 'missing' ? 'ENOENT' : problem ? undefined : (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return {
          outcome: 'missing',
          vars: { envFile: display },
          evidence: [`looked for ${path.resolve(ctx.cwd, file)}`, 'pass --env-file with the file your backend loads (e.g. backend/.env.local)'],
          facts: { unavailable: { 'env-file': `${display} not found` } },
        };
      }
      return {
        outcome: 'unreadable',
        // "is a directory, not a regular file", "is a symlink to x, which does not exist", "is UTF-16 encoded"
        vars: { envFile: display, error: problem ? (err as Error).message.replace(`env file ${display} `, '') : code ?? (err as Error).message },
        facts: { unavailable: { 'env-file': `${display} cannot be read` } },
      };
    }
  },
};
