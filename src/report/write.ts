import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync, writeFileSync, openSync, closeSync, unlinkSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.js';
import { redact, redactDeep } from '../redact.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { RunReport } from './summary.js';

export interface WrittenReports {
  json: string;
  markdown: string;
  html: string;
  junit: string;
}

export const REPORT_FILES = { junit: 'junit.xml', markdown: 'summary.md', html: 'report.html', json: 'results.json' } as const;

function filesIn(dir: string): WrittenReports {
  return {
    json: path.join(dir, REPORT_FILES.json),
    markdown: path.join(dir, REPORT_FILES.markdown),
    html: path.join(dir, REPORT_FILES.html),
    junit: path.join(dir, REPORT_FILES.junit),
  };
}

/** Every report rendered from the one (redacted) result list, results.json last. */
function render(report: RunReport): Array<[keyof WrittenReports, string]> {
  const safe = redactDeep(report);
  return [
    ['junit', redact(renderJunit(safe))],
    ['markdown', redact(renderMarkdown(safe))],
    ['html', redact(renderHtml(safe))],
    ['json', JSON.stringify(safe, null, 2) + '\n'],
  ];
}

const tmpName = (file: string) => `${file}.${process.pid}.tmp`;

/**
 * Write junit.xml, summary.md, report.html and results.json, all from the one result list. Each
 * file is written to a temporary name and renamed, so a reader (or an interrupt) never sees half
 * a file; results.json goes last, so its presence means the whole set is there.
 */
export async function writeReports(report: RunReport, dir: string): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const files = filesIn(dir);
  for (const [kind, text] of render(report)) {
    const tmp = tmpName(files[kind]);
    try {
      await writeFile(tmp, text);
      await rename(tmp, files[kind]);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new HarnessError('USAGE', `cannot write the report ${files[kind]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'pass --reports with a directory you can write to',
        cause: err,
      });
    }
  }
  return files;
}

/** The same, synchronously: for a signal handler, which must finish before the process exits. */
export function writeReportsSync(report: RunReport, dir: string): WrittenReports {
  mkdirSync(dir, { recursive: true });
  const files = filesIn(dir);
  for (const [kind, text] of render(report)) {
    const tmp = tmpName(files[kind]);
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, files[kind]);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return files;
}

/**
 * Remove the reports of an earlier run before this one starts, so a run that is killed, or whose
 * reports cannot be written, never leaves an older run's "passed" results.json behind as if it
 * were this run's. Leftover temporary files of an interrupted write go too.
 */
export async function removeStaleReports(dir: string): Promise<void> {
  const files = filesIn(dir);
  await Promise.all(Object.values(files).flatMap((f) => [rm(f, { force: true }), rm(tmpName(f), { force: true })]));
}

const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];

/**
 * Check --reports before anything runs: it must be (or be creatable as) a directory we can write
 * to, and not a kernel file system. One clear USAGE error instead of a run whose reports vanish.
 */
export function assertReportsDirUsable(dir: string, shown: string = dir, command = 'run'): void {
  const abs = path.resolve(dir);
  const fail = (why: string): never => {
    throw new HarnessError('USAGE', `${command}: --reports ${shown}: ${why}`, { hint: 'pass --reports with a directory you can write to (default: reports)' });
  };
  if (SYSTEM_DIRS.some((d) => abs === d || abs.startsWith(`${d}/`))) fail(`${abs} is under ${abs.split('/').slice(0, 2).join('/')}, a kernel file system, not a place for reports`);
  // The nearest part of the path that exists decides: a file there, or a directory we cannot write.
  let existing = abs;
  for (;;) {
    let st;
    try {
      st = statSync(existing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const parent = path.dirname(existing);
        if (parent === existing) fail('no part of the path exists');
        existing = parent;
        continue;
      }
      fail(`cannot be read (${code})`);
    }
    if (!st!.isDirectory()) fail(existing === abs ? 'is a file, not a directory' : `${existing} is a file, not a directory`);
    break;
  }
  try {
    accessSync(existing, constants.W_OK);
    // access() says yes to root on a read-only mount: create and remove a probe file to be sure.
    const probe = path.join(existing, `.clerk-harness-probe-${process.pid}`);
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    fail(`${existing === abs ? 'the directory' : existing} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
