/** Small node:http helpers with Clerk's exact wire details (Content-Type, empty bodies, envelope). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ApiFailure, badRequest, envelope } from './api-errors.js';

/** Exactly this, no charset: @clerk/backend compares the header with `===` before parsing JSON. */
export const JSON_CONTENT_TYPE = 'application/json';
/** Marks every response as the emulator's, so a client can tell "emulator refused the key" apart. */
export const EMULATOR_HEADER = 'x-clerk-emulator';

const MAX_BODY_BYTES = 1024 * 1024;

/** A route's answer that is already JSON text (the token route builds its body without stringify). */
export class JsonText {
  constructor(readonly text: string) {}
}

const DATE = Symbol('clerk-harness.date');
type DatedResponse = ServerResponse & { [DATE]?: string };

/**
 * The Date header this response will carry (the emulator's own, possibly offset, clock). Kept
 * on the response and written with the other headers in one writeHead, instead of setHeader.
 */
export function setResponseDate(res: ServerResponse, httpDate: string): void {
  (res as DatedResponse)[DATE] = httpDate;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  sendJsonText(res, status, body instanceof JsonText ? body.text : JSON.stringify(body), headers);
}

/** `sendJson` for a body already serialised. Flat header list: the cheapest form for writeHead. */
export function sendJsonText(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  const list: Array<string | number> = ['Content-Type', JSON_CONTENT_TYPE, 'Content-Length', Buffer.byteLength(text), 'Cache-Control', 'no-store', EMULATOR_HEADER, '1'];
  const date = (res as DatedResponse)[DATE];
  if (date !== undefined) list.push('Date', date);
  if (headers) for (const k in headers) list.push(k, headers[k]);
  res.writeHead(status, list);
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
 * with no body on token and revoke calls, and on GETs. A request that announces no body
 * (`Content-Length: 0`, or neither length nor chunked encoding) is answered without waiting for
 * the stream: that is every token request, the emulator's hot path.
 */
export function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (announcesNoBody(req)) return Promise.resolve({});
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(badRequest('The request body is larger than 1 MiB.'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(parseJsonObject(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseJsonObject(raw: string): Record<string, unknown> {
  const text = raw.trim();
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

/** True when the request says it has no body: `Content-Length: 0`, or neither a length nor chunked encoding. */
export function announcesNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined);
}

/** The bearer credential of a request, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  if (!value) return undefined;
  // The usual exact form, without a regex.
  if (value.startsWith('Bearer ') && value.indexOf(' ', 7) < 0) return value.slice(7);
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m ? m[1].trim() : undefined;
}
