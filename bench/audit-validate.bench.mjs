#!/usr/bin/env node
/**
 * Audit validation throughput, side by side in one run (needs `npm run build`):
 *   node bench/audit-validate.bench.mjs [--lines N] [--keep]
 *
 * Generates an audit JSONL file of N lines (default 1,000,000) in os.tmpdir(), then times, each in
 * its own child process so peak RSS belongs to that phase alone:
 *   bare-split     our streaming line splitter + JSON.parse (the baseline)
 *   bare-readline  node:readline + JSON.parse (why the validator does not use readline)
 *   validate       validateAuditFiles with the bundled schema (x-unique event_id: an id Map grows)
 *   validate-nodup the same schema without x-unique (constant memory)
 * and prints lines/s, the ratio to the baseline and peak RSS. Tests never run this.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../dist/audit/index.js', import.meta.url);
if (!existsSync(fileURLToPath(DIST))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const audit = await import(DIST.href);

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

// ---- child: run one phase and report {lines, ms, maxRssMB} as JSON ----
if (args[0] === '--phase') {
  const [, phase, file, schemaPath] = args;
  const started = performance.now();
  let lines = 0;
  let bad = 0;
  if (phase === 'bare-split') {
    await audit.forEachLine(file, ({ text }) => {
      if (text.length === 0) return;
      try { JSON.parse(text); } catch { bad++; }
      lines++;
    });
  } else if (phase === 'bare-readline') {
    const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
    for await (const text of rl) {
      if (text.length === 0) continue;
      try { JSON.parse(text); } catch { bad++; }
      lines++;
    }
  } else {
    const validator = await audit.loadAuditValidator(schemaPath ? { schemaPath } : {});
    const r = await audit.validateAuditFiles([file], { validator, maxReported: 100 });
    lines = r.lines - r.blank;
    bad = r.bad;
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ phase, lines, bad, ms, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
  process.exit(0);
}

// ---- parent: generate, run the phases, print the table ----
const total = Number(flag('--lines') ?? 1_000_000);
const keep = args.includes('--keep');
const file = join(tmpdir(), `clerk-harness-bench-audit-${process.pid}.jsonl`);
const nodupSchema = join(tmpdir(), `clerk-harness-bench-schema-${process.pid}.json`);

async function generate() {
  const out = createWriteStream(file);
  const users = Array.from({ length: 50 }, (_, i) => `user_2x${String(i).padStart(6, '0')}AbCdEf`);
  const t0 = Date.parse('2026-11-22T00:00:00.000Z');
  const batch = [];
  for (let i = 0; i < total; i++) {
    const failure = i % 20 === 19;
    const entry = {
      event_id: randomUUID(),
      event: failure ? 'auth.rejected' : 'job.created',
      outcome: failure ? 'failure' : 'success',
      timestamp: new Date(t0 + i * 37).toISOString(),
      user_id: failure ? null : users[i % users.length],
      user_email: failure || i % 3 ? null : `u${i % users.length}@example.com`,
      session_id: failure ? null : `sess_2x${i % 997}`,
      token_iat: failure ? null : Math.floor((t0 + i * 37) / 1000) - 5,
      method: 'POST',
      path: '/jobs',
      status: failure ? 401 : 201,
      ...(failure ? { reason: 'Token expired' } : { resource_id: `job_${i}` }),
      alcoa_attributable: true,
      alcoa_legible: true,
      alcoa_contemporaneous: true,
      alcoa_original: true,
      alcoa_accurate: true,
    };
    if (i % 100_000 === 50_000) delete entry.token_iat; // a few bad lines, so the report path runs
    batch.push(JSON.stringify(entry));
    if (batch.length === 10_000 || i === total - 1) {
      if (!out.write(batch.join('\n') + '\n')) await new Promise((r) => out.once('drain', r));
      batch.length = 0;
    }
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

function runPhase(phase, schemaPath) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', phase, file, ...(schemaPath ? [schemaPath] : [])], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`phase ${phase} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

try {
  const g0 = performance.now();
  await generate();
  const bytes = statSync(file).size;
  console.log(`generated ${total.toLocaleString('en')} lines, ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${file}`);
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/audit.schema.json', import.meta.url)), 'utf8'));
  delete schema['x-unique'];
  writeFileSync(nodupSchema, JSON.stringify(schema));

  const results = [runPhase('bare-split'), runPhase('bare-readline'), runPhase('validate'), runPhase('validate-nodup', nodupSchema)];
  const base = results[0];
  const rate = (r) => r.lines / (r.ms / 1000);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log('phase             lines/s   MB/s    time   vs bare-split   peak RSS   bad lines');
  for (const r of results) {
    const ratio = rate(r) / rate(base);
    console.log(
      `${r.phase.padEnd(15)} ${Math.round(rate(r)).toLocaleString('en').padStart(10)} ${(bytes / 1e6 / (r.ms / 1000)).toFixed(0).padStart(6)} ` +
        `${(r.ms / 1000).toFixed(2).padStart(6)} s   ${ratio.toFixed(2).padStart(10)}   ${r.maxRssMB.toFixed(0).padStart(6)} MB   ${String(r.bad).padStart(9)}`,
    );
  }
  const v = results[2];
  console.log(`validator vs bare read-and-JSON.parse: ${(rate(v) / rate(base)).toFixed(2)} (validator runs at ${((100 * rate(v)) / rate(base)).toFixed(0)}% of the bare loop's speed)`);
} finally {
  if (!keep) rmSync(file, { force: true });
  rmSync(nodupSchema, { force: true });
}
