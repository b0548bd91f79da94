/**
 * Where the reports go, checked and cleared before a run starts. Apart from the renderers
 * (src/report/write.ts) so that `run` can check --reports without loading them.
 */
import { accessSync, closeSync, constants, openSync, statSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.js';

export interface WrittenReports {
  json: string;
  markdown: string;
  html: string;
  junit: string;
}

export const REPORT_FILES = { junit: 'junit.xml', markdown: 'summary.md', html: 'report.html', json: 'results.json' } as const;

export function filesIn(dir: string): WrittenReports {
  return {
    json: path.join(dir, REPORT_FILES.json),
    markdown: path.join(dir, REPORT_FILES.markdown),
    html: path.join(dir, REPORT_FILES.html),
    junit: path.join(dir, REPORT_FILES.junit),
  };
}

export const tmpName = (file: string) => `${file}.${process.pid}.tmp`;

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
