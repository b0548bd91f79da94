/**
 * Physical limits measured in the same run as the thing they bound:
 *   - one RS256 signature with node's crypto.sign (what minting a token must at least cost);
 *   - one bare undici round trip over loopback keep-alive to a node:http server answering 204
 *     (what sending a request must at least cost);
 *   - a bare split + JSON.parse loop over a file (what validating a JSONL file must at least cost).
 */
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { Pool } from 'undici';

/** A signer over a JWT-sized input with a fresh 2048-bit key; returns µs per signature. */
export function createSignLimit() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'ins_bench', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify({
    azp: 'http://localhost:3000', exp: 1795305655, fva: [0, -1], iat: 1795305595, iss: 'https://clerk.bench.example',
    nbf: 1795305585, sid: 'sess_2xBenchBenchBenchBench', sub: 'user_2xBenchBenchBenchBench', v: 2, cat: 'cl_B7d4PD111AAA',
  })).toString('base64url');
  const input = Buffer.from(`${header}.${payload}`);
  return {
    /** µs per crypto.sign('sha256', RS256) over `n` signatures. */
    measure(n = 200) {
      const t = performance.now();
      for (let i = 0; i < n; i++) sign('sha256', input, key);
      return ((performance.now() - t) * 1000) / n;
    },
  };
}

/** A node:http server answering 204 and an undici keep-alive pool to it; `measure(n)` → µs per round trip. */
export async function startLoopbackLimit() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const pool = new Pool(origin, { connections: 8, pipelining: 1 });
  const once = async () => {
    const res = await pool.request({ path: '/', method: 'POST', headers: { authorization: 'Bearer x' } });
    await res.body.dump();
  };
  return {
    origin,
    /** µs per sequential request/response. */
    async measure(n = 500) {
      const t = performance.now();
      for (let i = 0; i < n; i++) await once();
      return ((performance.now() - t) * 1000) / n;
    },
    async stop() {
      await pool.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * The bare loop: 1 MiB reads, split on LF, decode, JSON.parse. No BOM/CRLF/overlong handling,
 * no per-line object: the least any JSONL validator must do.
 */
export async function splitParse(file) {
  let lines = 0;
  let bad = 0;
  let rest = null;
  const parse = (buf, from, to) => {
    if (to === from) return;
    lines++;
    try { JSON.parse(buf.toString('utf8', from, to)); } catch { bad++; }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let buf = chunk;
    let start = 0;
    if (rest) {
      const nl = chunk.indexOf(10);
      if (nl === -1) { rest = Buffer.concat([rest, chunk]); continue; }
      const line = Buffer.concat([rest, chunk.subarray(0, nl)]);
      parse(line, 0, line.length);
      rest = null;
      start = nl + 1;
    }
    let nl;
    while ((nl = buf.indexOf(10, start)) !== -1) {
      parse(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) rest = buf.subarray(start);
  }
  if (rest) parse(rest, 0, rest.length);
  return { lines, bad };
}
