/**
 * A request that waits before it is sent (for its audit window, or sent again alone when a batch
 * cannot be attributed) carries a token made just before it goes, not the one made when the case
 * started. Otherwise a lifetime case ages past its clock margin: "exp 2 s ago" is within a 5 s
 * skew when made, and 4 s later it is not, so a correct target "rejects a valid token".
 * Expected before running: the target here (5 s skew, like @clerk/backend) accepts the delayed
 * request, the case is "201 as expected", and its token was made twice. The clock is faked (Date only).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getCase } from '../src/cases/catalogue.js';
import { executeCase } from '../src/suite/execute.js';
import type { AuditProbe } from '../src/suite/audit-probe.js';
import type { SuiteEndpoint } from '../src/suite/types.js';
import { decodeToken } from '../src/tokens/forge.js';
import { createLocalInstance, localContext, type LocalInstance } from './cases-fixtures.js';

let instance: LocalInstance;
let server: Server;
let url: string;
const seenExp: number[] = [];
beforeAll(async () => {
  instance = await createLocalInstance();
  // Accepts a token whose exp is at most 5 s past (the SDK's default skew), by the same clock.
  server = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    let status = 401;
    try {
      const exp = Number(decodeToken(token).claims.exp);
      seenExp.push(exp);
      if (exp + 5 >= Math.floor(Date.now() / 1000)) status = 201;
    } catch {
      // not a JWT: 401
    }
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => vi.useRealTimers());

const endpoint: SuiteEndpoint = { name: 'create job', method: 'POST', path: '/jobs', headers: {}, contentType: 'application/json', acceptedStatus: [201], rejectedStatus: [401], audited: true };

/** An audit probe whose window opens `delayMs` (of the faked clock) after the case asked for it. */
const delayingProbe = (delayMs: number): AuditProbe => ({
  async exchange(x) {
    vi.setSystemTime(Date.now() + delayMs);
    return { response: (await x.send()).response };
  },
});

describe('executeCase', () => {
  it('a request that waited 4 s for its audit window carries a token made when it was sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let mints = 0;
    const context = localContext(instance, { mint: (o) => (mints++, instance.mint(o)) });
    seenExp.length = 0;
    const caseDef = getCase('exp-just-passed-within-leeway');
    const result = await executeCase({ targetUrl: url, timeoutMs: 5000, suiteHeaders: {}, endpoint, planned: { id: caseDef.id, expect: 'accepted' }, caseDef, context, audit: delayingProbe(4000) });
    expect(result.message).toBe('201 as expected'); // informational case: verdict info either way
    expect(mints).toBe(2);
    // The token the target saw: exp 2 s (plus the second's rounding) before the moment it was sent.
    expect(Math.floor(Date.now() / 1000) - seenExp[0]!).toBeLessThanOrEqual(3);
  });

  it('a request sent at once keeps the token it was built with: one mint', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let mints = 0;
    const context = localContext(instance, { mint: (o) => (mints++, instance.mint(o)) });
    const caseDef = getCase('exp-just-passed-within-leeway');
    const result = await executeCase({ targetUrl: url, timeoutMs: 5000, suiteHeaders: {}, endpoint, planned: { id: caseDef.id, expect: 'accepted' }, caseDef, context, audit: delayingProbe(0) });
    expect(result.message).toBe('201 as expected'); // informational case: verdict info either way
    expect(mints).toBe(1);
  });
});
