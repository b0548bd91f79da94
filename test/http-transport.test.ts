/**
 * Issue 14: HTTP has one home (src/http). One classifier names a request that got no HTTP answer
 * (refused / dns / tls / timeout / reset / bytes that are not HTTP / other) in one wording, and
 * `run` (send) and `doctor` (httpExchange) say the same thing for the same failure. Real loopback
 * servers on port 0: a TLS server with a self-signed certificate made by openssl in the test, a
 * plain HTTP port reached with https://, a TCP server that writes garbage, one that resets.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpExchange } from '../src/doctor/lib/http.js';
import { isHarnessError } from '../src/errors.js';
import { httpRequest } from '../src/http/request.js';
import { send } from '../src/http/send.js';
import { classifyTransport, TransportError } from '../src/http/transport-error.js';
import { joinUrl } from '../src/http/url.js';

const servers: TcpServer[] = [];
const sockets = new Set<Socket>();
const urls: Record<string, string> = {};
let certDir: string | undefined;

function opensslCert(): { key: Buffer; cert: Buffer } | undefined {
  try {
    certDir = mkdtempSync(join(tmpdir(), 'http-transport-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore', timeout: 20_000 });
    return { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
  } catch {
    return undefined; // no openssl here: the self-signed case is skipped, the others still run
  }
}
const cert = opensslCert();
/** Table rows; the self-signed one only where openssl could make a certificate. */
const withTls = <T extends readonly unknown[]>(rows: T[]): T[] => rows.filter((r) => r[0] !== 'self-signed' || cert !== undefined);

async function listen(name: string, scheme: 'http' | 'https', server: TcpServer): Promise<void> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  urls[name] = `${scheme}://127.0.0.1:${(server.address() as { port: number }).port}/probe`;
}

beforeAll(async () => {
  await listen('garbage', 'http', createTcpServer((s) => s.once('data', () => s.end('\u0000\u00ff garbage\r\n\r\n'))));
  await listen('reset', 'http', createTcpServer((s) => s.once('data', () => s.resetAndDestroy())));
  await listen('closed', 'http', createTcpServer((s) => s.once('data', () => s.end())));
  await listen('silent', 'http', createTcpServer(() => undefined));
  await listen('plain', 'https', createHttpServer((_q, res) => res.end('plain http')));
  if (cert) await listen('self-signed', 'https', createHttpsServer(cert, (_q, res) => res.end('ok')));
  await listen('huge', 'http', createHttpServer((_q, res) => res.end(Buffer.alloc(300_000, 'x'))));
  // A port nothing listens on: bind, then release.
  const gone = createTcpServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  urls.refused = `http://127.0.0.1:${(gone.address() as { port: number }).port}/probe`;
  await new Promise((resolve) => gone.close(resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

/** The runner's send path: the TransportError it throws. */
async function runnerError(url: string, timeoutMs = 3000): Promise<TransportError> {
  const err = await send(url, { method: 'GET', timeoutMs }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

describe('one classifier, one wording', () => {
  it.each(withTls([
    ['refused', 'refused', 'ECONNREFUSED', /^connection refused: nothing listens on that port$/],
    ['garbage', 'not-http', 'HPE_INVALID_CONSTANT', /^the server answered bytes that are not HTTP \(HPE_INVALID_CONSTANT\)/],
    ['reset', 'reset', 'ECONNRESET', /^the server reset the connection \(ECONNRESET\) instead of answering$/],
    ['closed', 'reset', 'UND_ERR_SOCKET', /^the server closed the connection without answering \(UND_ERR_SOCKET\)$/],
    ['plain', 'tls', 'ERR_SSL_WRONG_VERSION_NUMBER', /^TLS handshake failed: the port speaks plain HTTP\? use http:\/\/ \(ERR_SSL_WRONG_VERSION_NUMBER\)$/],
    ['self-signed', 'tls', 'DEPTH_ZERO_SELF_SIGNED_CERT', /^the TLS certificate is self-signed and not trusted .*\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/],
  ] as const))('%s: kind %s, code %s, in words', async (name, kind, code, words) => {
    const out = await httpRequest(urls[name], { timeoutMs: 3000 });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.failure).toMatchObject({ kind, code });
    expect(out.failure.words).toMatch(words);
  });

  it('a deadline that fires is a timeout, whatever undici calls it', async () => {
    const started = performance.now();
    const out = await httpRequest(urls.silent, { timeoutMs: 200 });
    expect(out).toMatchObject({ ok: false, failure: { kind: 'timeout', code: 'timeout', words: 'did not answer within 200 ms' } });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.each([
    [{ code: 'ENOTFOUND' }, 'dns', 'host name not found (DNS)'],
    [{ code: 'EAI_AGAIN' }, 'dns', 'host name lookup failed (DNS)'],
    [new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }), 'reset', 'the server reset the connection (ECONNRESET) instead of answering'],
    [Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' })], ''), {}), 'refused', 'connection refused: nothing listens on that port'],
    [{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, 'tls', 'the TLS certificate has expired (CERT_HAS_EXPIRED)'],
    [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames" }, 'tls', 'the TLS certificate is for another host name (ERR_TLS_CERT_ALTNAME_INVALID)'],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }, 'timeout', 'did not answer in time'],
    [Object.assign(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'timeout', 'did not answer in time'],
    [{ code: 'EHOSTUNREACH' }, 'other', 'host unreachable (EHOSTUNREACH)'],
    [new Error('something odd'), 'other', 'network error: something odd'],
  ])('classifies %o as %s', (err, kind, words) => {
    expect(classifyTransport(err)).toMatchObject({ kind, words });
  });
});

describe('run and doctor word a failure identically', () => {
  it.each(withTls([['plain'], ['self-signed'], ['reset'], ['closed'], ['garbage'], ['refused']]))('%s', async (name) => {
    const url = urls[name]!;
    const runner = await runnerError(url);
    const doctor = await httpExchange({ method: 'GET', url, timeoutMs: 3000 });
    expect(doctor.ok).toBe(false);
    if (doctor.ok) return;
    // doctor's tree says "{url}: {error}" for tls and network outcomes; the runner says its message.
    expect(runner.message).toBe(`${url}: ${doctor.error}`);
    expect(runner.code).toBe('TARGET_UNREACHABLE');
    expect(doctor.code).toBe(runner.failure.code);
    if (name === 'garbage') expect(runner.message).not.toMatch(/refused/);
  });

  it('a timeout: TARGET_TIMEOUT for the runner, kind timeout for doctor', async () => {
    const runner = await runnerError(urls.silent, 200);
    expect(runner.code).toBe('TARGET_TIMEOUT');
    expect(runner.message).toBe(`${urls.silent} did not answer within 200 ms`);
    expect(await httpExchange({ method: 'GET', url: urls.silent, timeoutMs: 200 })).toMatchObject({ ok: false, kind: 'timeout', error: 'did not answer within 200 ms' });
  });

  it('doctor folds a reset and garbage onto its `network` outcome, told apart by the words', async () => {
    expect(await httpExchange({ method: 'GET', url: urls.reset, timeoutMs: 3000 })).toMatchObject({ ok: false, kind: 'network', code: 'ECONNRESET' });
    expect(await httpExchange({ method: 'GET', url: urls.garbage, timeoutMs: 3000 })).toMatchObject({ ok: false, kind: 'network', code: 'HPE_INVALID_CONSTANT' });
  });
});

describe('httpRequest', () => {
  it('reads a body up to the cap asked for and says it stopped', async () => {
    const out = await httpRequest(urls.huge, { timeoutMs: 3000, maxBodyBytes: 1000 });
    expect(out).toMatchObject({ ok: true, response: { status: 200, truncatedAt: 1000 } });
    if (out.ok) expect(out.response.body).toHaveLength(1000);
    const whole = await httpRequest(urls.huge, { timeoutMs: 3000 });
    expect(whole.ok && whole.response.body.length).toBe(300_000);
    expect(whole.ok && whole.response.truncatedAt).toBeUndefined();
  });

  it('readBody: false gives the status and headers and drops the body unread', async () => {
    const out = await httpRequest(urls.huge, { timeoutMs: 3000, readBody: false });
    expect(out).toMatchObject({ ok: true, response: { status: 200, body: '' } });
    if (out.ok) expect(out.response.headers['content-length']).toBe('300000');
  });
});

describe('joinUrl keeps a request on the origin it was given', () => {
  it.each([
    ['http://127.0.0.1:8000', '/v1/jwks', 'http://127.0.0.1:8000/v1/jwks'],
    ['http://127.0.0.1:8000/', '/v1/jwks', 'http://127.0.0.1:8000/v1/jwks'],
    ['https://api.clerk.com/base/', 'v1/jwks', 'https://api.clerk.com/base/v1/jwks'],
    ['http://127.0.0.1:8000', '@evil.example/x', 'http://127.0.0.1:8000/@evil.example/x'],
    ['http://127.0.0.1:8000', '//evil.example/x', 'http://127.0.0.1:8000//evil.example/x'],
    ['http://127.0.0.1:8000', '/x?y=1', 'http://127.0.0.1:8000/x?y=1'],
  ])('%s + %s = %s', (base, path, joined) => {
    expect(joinUrl(base, path)).toBe(joined);
  });

  it('refuses a base that is not an http(s) URL; a path never extends the host', () => {
    for (const base of ['not a url', 'ftp://example.com', '']) {
      const err = (() => {
        try {
          joinUrl(base, '/v1/jwks');
        } catch (e) {
          return e;
        }
      })();
      expect(isHarnessError(err) && err.code).toBe('CONFIG_INVALID');
    }
    // Plain concatenation would make "http://a.example" + "x.evil.example" the host a.examplex.evil.example.
    expect(joinUrl('http://a.example', 'x.evil.example')).toBe('http://a.example/x.evil.example');
  });
});
