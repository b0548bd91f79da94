/**
 * The emulator as the harness sees real Clerk: a proxy that hides what Clerk does not have (the
 * /__emulator routes and the emulator's marker header), so the mode probe says "clerk" and no
 * token can be signed with the key the target trusts. With `asClerk: false` it forwards everything
 * (the mode stays "emulator"). It counts the token requests in flight (`peak`), and can hold each
 * for `mintDelayMs` (a Backend API round trip).
 */
import { createServer } from 'node:http';

export interface ClerkLikeProxy {
  url: string;
  /** The most token requests (POST /v1/sessions/:id/tokens…) it had in flight at once. */
  peak(): number;
  stop(): Promise<void>;
}

export async function startClerkLikeProxy(upstreamUrl: string, options: { asClerk?: boolean; mintDelayMs?: number } = {}): Promise<ClerkLikeProxy> {
  const asClerk = options.asClerk ?? true;
  let inFlight = 0;
  let peak = 0;
  const server = createServer(async (req, res) => {
    if (asClerk && req.url?.startsWith('/__emulator')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"resource_not_found","message":"not found","long_message":"not found"}]}');
      return;
    }
    const minting = /^\/v1\/sessions\/[^/]+\/tokens/.test(req.url ?? '');
    if (minting) peak = Math.max(peak, ++inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (minting && options.mintDelayMs) await new Promise((r) => setTimeout(r, options.mintDelayMs));
      const upstream = await fetch(upstreamUrl + req.url, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as [string, string][]),
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if ((!asClerk || k !== 'x-clerk-emulator') && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
      });
      res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
    } finally {
      if (minting) inFlight--;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    peak: () => peak,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
