/** The reference target's audit writer: the folder is made on demand, also after a user deletes it mid-run. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditWriter, auditFilePath } from '../src/target/audit-log.js';

let tmp: string;
beforeAll(async () => void (tmp = await mkdtemp(path.join(os.tmpdir(), 'audit-writer-'))));
afterAll(() => rm(tmp, { recursive: true, force: true }));

it('writes into a folder that does not exist yet, and again after the folder was deleted', async () => {
  const dir = path.join(tmp, 'logs');
  const writer = new AuditWriter(dir);
  const at = new Date('2026-12-04T10:00:00Z');
  const file = await writer.append([{ n: 1 }, { n: 2 }], at);
  expect(file).toBe(auditFilePath(dir, at));
  expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  await rm(dir, { recursive: true });
  await writer.append([{ n: 3 }], at);
  expect(await readFile(file, 'utf8')).toBe('{"n":3}\n');
});

it('any other failure is the caller\'s (a file where the folder should be)', async () => {
  const blocker = path.join(tmp, 'not-a-dir');
  await writeFile(blocker, 'x');
  await expect(new AuditWriter(blocker).append([{ n: 1 }], new Date())).rejects.toMatchObject({ code: 'ENOTDIR' });
});
