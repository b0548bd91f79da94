import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { packagePath } from '../../paths.js';
import { parseCommandArgs, type Command } from '../command.js';
import { paint, useColor } from '../output.js';

const DEFAULT_SUITE = 'suites/my-api.yaml';

const help = `Usage: clerk-harness init [--openapi FILE|URL] [--suite FILE] [--force]

Write a starter suite and its request bodies into your project, then print the next commands.

  clerk-harness init                          the starter suite (an API like the bundled reference
                                              target: POST /jobs with an audit log) to edit
  clerk-harness init --openapi URL|FILE       a suite from your API's OpenAPI 3.0/3.1 document
                                              (JSON or YAML; FastAPI serves it at /openapi.json):
                                              every operation with a security requirement is an
                                              endpoint, with a request body sampled from its schema
                                              and the accepted status from its responses;
                                              operations without one are listed as comments

Options:
  --suite FILE      where to write the suite (default: ${DEFAULT_SUITE}); bodies go to bodies/ next to it
  --name NAME       the suite's name in reports (default: the API's title, or "my API")
  --force           overwrite files that already exist (default: refuse and name them)
  --no-color        no colours
  -h, --help        show this help

Exit codes: 0 written, 2 a file exists (without --force), the OpenAPI document cannot be read, or
it has no protected operation.

Examples:
  clerk-harness init
  clerk-harness init --openapi http://127.0.0.1:8000/openapi.json
  clerk-harness init --openapi docs/openapi.yaml --suite auth/api.yaml --force`;

/** Write every file atomically, after checking none would be overwritten (unless --force). */
async function writeAll(files: Array<{ abs: string; content: string }>, force: boolean, cwd: string): Promise<void> {
  const rel = (f: string) => path.relative(cwd, f) || f;
  const existing = files.filter((f) => existsSync(f.abs));
  for (const f of existing) {
    if (statSync(f.abs).isDirectory()) throw new HarnessError('USAGE', `${rel(f.abs)} is a directory`, { hint: 'pass --suite with a file path' });
  }
  if (existing.length && !force) {
    throw new HarnessError('USAGE', `${existing.map((f) => rel(f.abs)).join(', ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written`, {
      hint: 'add --force to overwrite, or --suite with another path',
    });
  }
  for (const f of files) {
    await mkdir(path.dirname(f.abs), { recursive: true });
    const tmp = `${f.abs}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, f.content);
      await rename(tmp, f.abs);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

const command: Command = {
  summary: 'write a starter suite (or one from your OpenAPI document) into your project',
  help,
  async run(ctx): Promise<ExitCode> {
    const { values } = parseCommandArgs('init', ctx.argv, {
      openapi: { type: 'string' },
      suite: { type: 'string' },
      name: { type: 'string' },
      force: { type: 'boolean' },
      'no-color': { type: 'boolean' },
    });
    const p = paint(useColor(ctx.stdout, ctx.env, values['no-color'] ? false : undefined));
    const suiteRel = values.suite ?? DEFAULT_SUITE;
    if (!/\.(ya?ml|json)$/i.test(suiteRel)) throw new HarnessError('USAGE', `--suite ${suiteRel} must end in .yaml, .yml or .json`);
    const suiteAbs = path.resolve(ctx.cwd, suiteRel);
    const suiteDir = path.dirname(suiteAbs);
    const schemaRef = path.relative(suiteDir, packagePath('suites', 'suite.schema.json')).split(path.sep).join('/');
    const { starterSuite, openApiSuite } = await import('../../init/suite-files.js');

    let files;
    let target = 'http://127.0.0.1:8000';
    let summary: string[] = [];
    if (values.openapi !== undefined) {
      const { suiteFromOpenApi } = await import('../../init/openapi.js');
      const isUrl = /^https?:\/\//i.test(values.openapi);
      const source = isUrl ? values.openapi : path.resolve(ctx.cwd, values.openapi);
      if (!isUrl && !existsSync(source)) {
        throw new HarnessError('FIXTURE_MISSING', `--openapi ${values.openapi} does not exist`, { hint: 'give the path of your OpenAPI JSON/YAML file, or its URL (FastAPI: http://127.0.0.1:8000/openapi.json)' });
      }
      const gen = await suiteFromOpenApi(source, { sourceOrigin: isUrl ? new URL(values.openapi).origin : undefined });
      if (values.name) gen.title = values.name;
      if (gen.endpoints.length === 0) {
        const todo = gen.skipped.filter((s) => s.todo);
        throw new HarnessError('USAGE', `${values.openapi} has no protected operation the harness can call${todo.length ? ` (${todo.length} need a value first: ${todo[0]!.method} ${todo[0]!.path}: ${todo[0]!.reason})` : ' (no operation has a security requirement)'}; nothing was written`, {
          hint: todo.length ? 'add an example to the parameter in your spec, or start from `clerk-harness init` and describe the endpoints by hand' : 'declare security on protected operations in the spec (FastAPI does for HTTPBearer dependencies), or start from `clerk-harness init`',
        });
      }
      files = openApiSuite(gen, values.openapi, schemaRef);
      if (gen.serverUrl) target = gen.serverUrl;
      const todo = gen.skipped.filter((s) => s.todo).length;
      const open = gen.skipped.length - todo;
      summary = [
        `${gen.endpoints.length} protected operation${gen.endpoints.length === 1 ? '' : 's'} as endpoints` +
          (todo ? `, ${todo} commented out with a TODO (a value only you know)` : '') +
          (open ? `, ${open} public listed as comments` : ''),
      ];
    } else {
      files = starterSuite(values.name ?? 'my API', schemaRef);
      summary = ['the starter suite: an API like the bundled reference target (POST /jobs, audit log); edit it to describe yours'];
    }
    const all = [{ abs: suiteAbs, content: files.suite }, ...files.bodies.map((b) => ({ abs: path.join(suiteDir, b.file), content: b.content }))];
    await writeAll(all, Boolean(values.force), ctx.cwd);

    const rel = (f: string) => path.relative(ctx.cwd, f) || f;
    const out = [
      `${p.green('✓')} wrote ${all.map((f) => rel(f.abs)).join(', ')}`,
      `  ${summary.join('; ')}`,
      '',
      'Next:',
      `  npx clerk-harness run --suite ${rel(suiteAbs)} --list    # what would run, and why a case is skipped; sends nothing`,
      values.openapi !== undefined
        ? `  npx clerk-harness run --suite ${rel(suiteAbs)} --target ${target}`
        : `  npx clerk-harness run --suite ${rel(suiteAbs)} --embedded    # against the bundled reference target; --target URL for your API`,
      '',
      p.dim('Tokens come from CLERK_SECRET_KEY (real Clerk) or `npx clerk-harness emulator --write-env .env.local` (offline).'),
    ];
    ctx.stdout.write(out.join('\n') + '\n');
    return EXIT.OK;
  },
};
export default command;
