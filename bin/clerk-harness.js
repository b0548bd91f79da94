#!/usr/bin/env -S node --
// "node --": Node 20 inspects a --env-file flag anywhere on its command line (nodejs/node#54232)
// and exits 9 when the file is missing; "--" keeps our own --env-file (doctor, target) ours.
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `prepare` on `npm ci`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('clerk-harness: not built yet. Run `npm ci` (or `npm run build`) in the project folder first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
process.exitCode = code;
// The outcome is decided. A request the Clerk SDK cannot abort (a Clerk API that accepted the
// connection and never answered) must not hold the process open: leave 1 s for output, then go.
setTimeout(() => process.exit(code), 1000).unref();
