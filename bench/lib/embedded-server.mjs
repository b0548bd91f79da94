#!/usr/bin/env node
/**
 * The embedded default (bundled emulator + reference target) in a process of its own, for
 * bench/run.bench.mjs: a backend under test runs apart from the runner, as in the README's CI job.
 *   node bench/lib/embedded-server.mjs CWD
 * Prints one JSON line (what buildPlan needs) on stdout; stops when its stdin closes.
 * The line holds the emulator's throwaway secret key: it goes to the parent's pipe, never to output.
 */
const dist = (p) => new URL(`../../dist/${p}`, import.meta.url).href;
const { startEmbedded } = await import(dist('suite/embedded.js'));
const embedded = await startEmbedded({ cwd: process.argv[2] });
process.stdout.write(JSON.stringify({ targetUrl: embedded.targetUrl, clerk: embedded.clerk, template: embedded.template, publicKeyPem: embedded.publicKeyPem }) + '\n');
const stop = async () => {
  await embedded.stop();
  process.exit(0);
};
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
