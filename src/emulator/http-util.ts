/** Small node:http helpers with Clerk's exact wire details (Content-Type, empty bodies, envelope). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ApiFailure, badRequest, envelope } from './api-errors.js';

/** Exactly this, no charset: @clerk/backend compares the header with `===` before parsing JSON. */
export const JSON_CONTENT_TYPE = 'application/json';
/** Marks every response as the emulator's, so a client can tell "emulator refused the key" apart. */
export const EMULATOR_HEADER = 'x-clerk-emulator';

const MAX_BODY_BYTES = 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    [EMULATOR_HEADER]: '1',
    ...headers,
  });
  res.end(text);
}

export function traceId(): string {
  return randomBytes(16).toString('hex');
}

export function sendFailure(res: ServerResponse, failure: ApiFailure): void {
  sendJson(res, failure.status, envelope(failure.item, traceId()), failure.headers);
}

/**
 * Read a JSON object body. An empty body is `{}`: the SDK sends `Content-Type: application/json`
 * with no body on token and revoke calls, and on GETs.
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest('The request body is larger than 1 MiB.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/** The bearer credential of a request, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (!value) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m ? m[1].trim() : undefined;
}
