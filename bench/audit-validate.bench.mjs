#!/usr/bin/env node
/**
 * Audit validation throughput and memory against the bare loop, side by side (needs `npm run build`):
 *   node bench/audit-validate.bench.mjs [--lines N] [--rounds R] [--warmup W] [--keep FILE]
 *
 * Generates an audit JSONL file of N lines (default 1,000,000, ~430 bytes a line) in os.tmpdir()
 * with a few bad lines and a few repeated event_ids, then runs R interleaved rounds (after W
 * discarded warm-up rounds; the order rotates every round). Each phase runs in its own child
 * process, so its peak RSS is its own:
 *   bare        the limit: 1 MiB reads, split on LF, JSON.parse (bench/lib/limits.mjs)
 *   lines       the project's LineSplitter (BOM, CRLF, overlong lines) + JSON.parse
 *   validate    validateAuditFiles, bundled schema (no x-unique): must be constant memory
 *   unique      validateAuditFiles, the bundled schema plus "x-unique": ["event_id"] (duplicate set)
 * It prints lines/s and peak RSS per phase (median and min–max over rounds), the ratio of each
 * phase's speed to `bare` taken inside each round, and the memory the duplicate set costs per
 * million ids (peak RSS of `unique` minus that of `validate`, the growth of each phase's RSS
 * from its start, and the peak of V8 heap + array buffers, where the set's typed arrays live). Tests never run this; it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interleave } from './lib/interleave.mjs';
import { splitParse } from './lib/limits.mjs';
import { fmtRange, int, machineLine, pairedRatios, summary, table } from './lib/stats.mjs';

const DIST = new URL('../dist/audit/index.js', import.meta.url);
if (!existsSync(fileURLToPath(DIST))) {
  process.stderr.write('bench: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};

// ---- child: one phase, reports {lines, bad, ms, cpuMs, rssStartMB, maxRssMB, heapMB} on stdout ----
if (args[0] === '--phase') {
  const [, phase, file, schemaPath] = args;
  if (phase === 'set-seen' || phase === 'set-map') {
    // the duplicate set alone vs a Map of the same strings (what validate-file used before), each
    // in its own process: ids held after a GC, heap + array buffers, the id strings excluded
    const { SeenValues } = await import(new URL('../dist/audit/seen-values.js', import.meta.url).href);
    const n = Number(file);
    const keys = JSON.parse(JSON.stringify(Array.from({ length: n }, () => randomUUID()))); // flat strings, as JSON.parse gives the validator
    let touched = 0;
    for (const k of keys) for (let c = 0; c < k.length; c++) touched += k.charCodeAt(c);
    global.gc();
    global.gc();
    const m0 = process.memoryUsage();
    let held;
    if (phase === 'set-seen') {
      held = new SeenValues(() => undefined);
      for (let i = 0; i < n; i++) held.firstOrAdd(keys[i], 0, i + 1, i * 430);
    } else {
      held = new Map();
      for (let i = 0; i < n; i++) held.set(keys[i], i + 1);
    }
    global.gc();
    global.gc();
    const m1 = process.memoryUsage();
    const MB = 1024 * 1024;
    process.stdout.write(JSON.stringify({ MB: (m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) / MB, size: held.size, touched, kept: keys.length }) + "\n"); // keys used after m1: alive throughout
    process.exit(0);
  }
  const audit = await import(DIST.href);
  const validator = phase === 'validate' || phase === 'unique' ? await audit.loadAuditValidator(schemaPath ? { schemaPath } : {}) : undefined;
  global.gc?.();
  const rssStart = process.memoryUsage().rss;
  let heapPeak = 0;
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, used())), 20);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let lines = 0;
  let bad = 0;
  if (phase === 'bare') {
    ({ lines, bad } = await splitParse(file));
  } else if (phase === 'lines') {
    await audit.forEachLine(file, ({ text }) => {
      if (text.length === 0) return;
      lines++;
      try { JSON.parse(text); } catch { bad++; }
    });
  } else {
    const r = await audit.validateAuditFiles([file], { validator, maxReported: 100 });
    lines = r.lines - r.blank;
    bad = r.bad;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, used());
  const MB = 1024 * 1024;
  process.stdout.write(JSON.stringify({
    phase, lines, bad, ms, cpuMs: (cpu.user + cpu.system) / 1000,
    rssStartMB: rssStart / MB, maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB, heapPeakMB: heapPeak / MB,
  }) + '\n');
  process.exit(0);
}

// ---- parent ----
const total = Number(flag('--lines', 1_000_000));
const rounds = Number(flag('--rounds', 5));
const warmup = Number(flag('--warmup', 1));
const keepFile = flag('--keep');
const file = keepFile ?? join(tmpdir(), `clerk-harness-bench-audit-${process.pid}.jsonl`);
const uniqueSchema = join(tmpdir(), `clerk-harness-bench-schema-${process.pid}.json`);
const DUPLICATE_EVERY = 100_000; // a repeated event_id now and then, so the duplicate path runs

async function generate() {
  const out = createWriteStream(file);
  const users = Array.from({ length: 50 }, (_, i) => `user_2x${String(i).padStart(6, '0')}AbCdEf`);
  const t0 = Date.parse('2026-11-22T00:00:00.000Z');
  const batch = [];
  let earlier;
  for (let i = 0; i < total; i++) {
    const failure = i % 20 === 19;
    const entry = {
      event_id: i % DUPLICATE_EVERY === 70_000 && earlier ? earlier : randomUUID(),
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
    if (i % DUPLICATE_EVERY === 1_000) earlier = entry.event_id;
    if (i % DUPLICATE_EVERY === 50_000) delete entry.token_iat; // a few schema violations, so the report path runs
    batch.push(JSON.stringify(entry));
    if (batch.length === 10_000 || i === total - 1) {
      if (!out.write(batch.join('\n') + '\n')) await new Promise((r) => out.once('drain', r));
      batch.length = 0;
    }
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

function runPhase(phase, schemaPath, input = file) {
  return new Promise((resolve, reject) => {
    const argv = ['--expose-gc', fileURLToPath(import.meta.url), '--phase', phase, input, ...(schemaPath ? [schemaPath] : [])];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`phase ${phase} failed (${code}): ${err}`))));
  });
}

try {
  if (!keepFile || !existsSync(file)) {
    const g0 = performance.now();
    await generate();
    console.log(`generated ${int(total)} lines in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${file}`);
  }
  const bytes = statSync(file).size;
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/audit.schema.json', import.meta.url)), 'utf8'));
  writeFileSync(uniqueSchema, JSON.stringify({ ...schema, 'x-unique': ['event_id'] }));
  console.log(await machineLine());
  console.log(`file: ${int(total)} lines, ${(bytes / 1e6).toFixed(0)} MB; ${rounds} rounds after ${warmup} warm-up, order rotated each round, one child process per phase`);

  const results = {};
  const phases = {
    bare: () => runPhase('bare'),
    lines: () => runPhase('lines'),
    validate: () => runPhase('validate'),
    unique: () => runPhase('unique', uniqueSchema),
  };
  for (const [name, fn] of Object.entries(phases)) {
    phases[name] = async () => {
      const r = await fn();
      (results[name] ??= r); // bad-line counts are the same every round
      return { rate: r.lines / (r.ms / 1000), cpuRate: r.lines / (r.cpuMs / 1000), maxRss: r.maxRssMB, growth: r.maxRssMB - r.rssStartMB, heap: r.heapPeakMB };
    };
  }
  const { samples } = await interleave(phases, { rounds, warmup, log: (l) => process.stderr.write(`${l}\n`) });

  const rows = Object.keys(phases).map((name) => {
    const s = samples[name];
    return [
      name,
      fmtRange(s.rate, int),
      fmtRange(pairedRatios(s.rate, samples.bare.rate), 2),
      fmtRange(pairedRatios(s.cpuRate, samples.bare.cpuRate), 2),
      fmtRange(s.maxRss, 0),
      fmtRange(s.growth, 0),
      fmtRange(s.heap, 0),
      String(results[name].bad),
    ];
  });
  console.log(table(['phase', 'lines/s median (min–max)', 'speed vs bare', 'cpu vs bare', 'peak RSS MB', 'RSS growth MB', 'heap+buffers peak MB', 'bad'], rows));

  const perMillion = 1e6 / total;
  const setCost = samples.unique.maxRss.map((x, i) => (x - samples.validate.maxRss[i]) * perMillion);
  const growthCost = samples.unique.growth.map((x, i) => (x - samples.validate.growth[i]) * perMillion);
  const heapCost = samples.unique.heap.map((x, i) => (x - samples.validate.heap[i]) * perMillion);
  const headline = summary(pairedRatios(samples.validate.rate, samples.bare.rate));
  const headlineU = summary(pairedRatios(samples.unique.rate, samples.bare.rate));
  console.log(`audit validate vs the bare split+JSON.parse loop: ${headline.median.toFixed(2)}× (min–max ${headline.min.toFixed(2)}–${headline.max.toFixed(2)}); with the duplicate set: ${headlineU.median.toFixed(2)}× (${headlineU.min.toFixed(2)}–${headlineU.max.toFixed(2)})`);
  console.log(`duplicate set per million ids: peak RSS ${fmtRange(setCost, 1)} MB over the same run without x-unique; RSS growth ${fmtRange(growthCost, 1)} MB; heap+array buffers peak (sampled every 20 ms) ${fmtRange(heapCost, 1)} MB`);
  const seenMB = (await runPhase('set-seen', undefined, String(total))).MB;
  const mapMB = (await runPhase('set-map', undefined, String(total))).MB;
  console.log(`the set alone (${int(total)} UUIDs inserted, held after a GC, heap + array buffers, the id strings excluded): ${(seenMB * perMillion).toFixed(1)} MB per million ids; a Map<string, number> of the same ids (the validator before): ${(mapMB * perMillion).toFixed(1)} MB per million, plus the strings it keeps alive (~56 bytes each for a UUID)`);
  console.log(`without x-unique, RSS growth while streaming ${(bytes / 1e6).toFixed(0)} MB: ${fmtRange(samples.validate.growth, 0)} MB (the bare loop: ${fmtRange(samples.bare.growth, 0)} MB)`);
} finally {
  if (!keepFile) rmSync(file, { force: true });
  rmSync(uniqueSchema, { force: true });
}
