import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { HarnessError } from '../errors.js';
import { redact, redactDeep } from '../redact.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { RunReport } from './summary.js';
import { filesIn, tmpName, type WrittenReports } from './reports-dir.js';

export { assertReportsDirUsable, removeStaleReports, REPORT_FILES, type WrittenReports } from './reports-dir.js';

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
