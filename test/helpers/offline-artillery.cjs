/**
 * Preloaded into `artillery run` by test/artillery-processor.test.ts (NODE_OPTIONS=--require).
 * Artillery 2.0.21 posts an anonymous "test run" event to app.posthog.com at exit even with
 * ARTILLERY_DISABLE_TELEMETRY set (lib/telemetry.js), and on a machine without internet its
 * client retries for about 12 s before the process exits. This replaces only that client with
 * one that sends nothing; Artillery's runner, workers and the processor are untouched.
 */
'use strict';
const Module = require('node:module');
const load = Module._load;
class OfflinePostHog {
  capture() {}
  async shutdownAsync() {}
}
Module._load = function (request, parent, isMain) {
  if (request === 'posthog-node') return { PostHog: OfflinePostHog };
  return load.call(this, request, parent, isMain);
};
