// Preloaded (NODE_OPTIONS=--require) into a spawned CLI by test/run-early-cli.test.ts: appends a
// line to $FORK_LOG for every child_process.fork, the call vitest's fork pool starts its test
// worker with. syncBuiltinESMExports makes ES modules that import `fork` see this one.
const cp = require('node:child_process');
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const original = cp.fork;
cp.fork = function fork(...args) {
  fs.appendFileSync(process.env.FORK_LOG, `fork from ${process.pid}\n`);
  return original.apply(this, args);
};
syncBuiltinESMExports();
