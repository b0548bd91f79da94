import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** Write results.json, summary.md, report.html and junit.xml, all from the one result list. */
export async function writeReports(report: RunReport, dir: string): Promise<WrittenReports> {
  await mkdir(dir, { recursive: true });
  const safe = redactDeep(report);
  const files = { json: path.join(dir, 'results.json'), markdown: path.join(dir, 'summary.md'), html: path.join(dir, 'report.html'), junit: path.join(dir, 'junit.xml') };
  await atomicWrite(files.json, JSON.stringify(safe, null, 2) + '\n');
  await atomicWrite(files.markdown, redact(renderMarkdown(safe)));
  await atomicWrite(files.html, redact(renderHtml(safe)));
  await atomicWrite(files.junit, redact(renderJunit(safe)));
  return files;
}
