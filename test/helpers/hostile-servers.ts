/**
 * Loopback servers that are not what the harness expects, for hardening tests: an HTTP server
 * that streams 8 MiB of JSON on every request (body caps must stop reading), one that answers
 * garbage bytes, one that resets the connection.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';

/** 128 chunks of 64 KiB inside one JSON document, written as fast as the socket drains. */
export function hugeJsonServer(): Server {
  return createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = `"${'x'.repeat(64 * 1024)}",`;
    let sent = 0;
    const pump = () => {
      while (sent < 128 && res.write(chunk)) sent++;
      if (sent < 128) res.once('drain', pump);
      else res.end('"x"]}');
    };
    res.write('{"data":[');
    pump();
  });
}

/** Answers any request with bytes that are not HTTP. */
export const garbageServer = (): TcpServer => createTcpServer((s) => s.once('data', () => s.end('\u0000\u00ff garbage\r\n\r\n')));

/** Resets the connection on the first bytes. */
export const resetServer = (): TcpServer => createTcpServer((s) => s.once('data', () => s.resetAndDestroy()));
