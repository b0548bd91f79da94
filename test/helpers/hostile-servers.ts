/**
 * Loopback servers that are not what the harness expects, for hardening tests: an HTTP server
 * that streams 8 MiB of JSON on every request (body caps must stop reading), one that answers
 * garbage bytes, one that resets the connection.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

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

/** Servers listening on 127.0.0.1:0 by name, each URL in `urls`; `stop()` closes them and every open socket. */
export function loopbackServers(urls: Record<string, string> = {}) {
  const servers: Array<Server | TcpServer> = [];
  const sockets = new Set<Socket>();
  return {
    urls,
    async listen(name: string, server: Server | TcpServer): Promise<void> {
      servers.push(server);
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      urls[name] = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    async stop(): Promise<void> {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
