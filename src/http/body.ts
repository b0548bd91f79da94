/**
 * Reading an HTTP body with a cap: a verdict (or a JWKS, an OpenAPI document, an admin answer)
 * needs the start of an answer, never all of it, and a 500 MB answer must not take gigabytes.
 */

/** The default cap of every body the harness reads. */
export const MAX_BODY_BYTES = 1 << 20;

export interface CappedBody {
  text: string;
  /** Set when the body was longer than the cap: how many bytes were kept. */
  truncatedAt?: number;
}

/** Read at most `max` bytes of a body, then stop reading (the connection is dropped, not drained). */
export async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void }, max = MAX_BODY_BYTES): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size + b.length > max) {
      chunks.push(b.subarray(0, max - size));
      size = max;
      body.destroy?.();
      return { text: Buffer.concat(chunks).toString('utf8'), truncatedAt: max };
    }
    chunks.push(b);
    size += b.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}
