/**
 * The request log, bounded: one line a request while traffic is light (what a person watching the
 * terminal wants), and under load at most `maxLines` lines per window plus one summary line
 * (`… 812 more requests in 250 ms: POST /v1/sessions/:id/tokens -> 200 ×812`), so a suite
 * minting hundreds of tokens a second does not pay a terminal write per token. Errors and 5xx
 * answers are never folded into a summary. Lines never carry headers (the Authorization header
 * holds the secret key).
 */

export interface RequestLogOptions {
  windowMs?: number;
  maxLines?: number;
}

export type RequestLogger = (method: string, path: string, status: number, ms: number, note: string) => void;

/** `/v1/sessions/sess_2x…/tokens` -> `/v1/sessions/:id/tokens` (Clerk ids: prefix_ + base62). */
function routeOf(path: string): string {
  return path.replace(/\/[a-z]+_[0-9A-Za-z]{10,}(?=\/|$)/g, '/:id');
}

export function createRequestLog(log: (line: string) => void, options: RequestLogOptions = {}): RequestLogger {
  const windowMs = options.windowMs ?? 250;
  const maxLines = options.maxLines ?? 20;
  let logged = 0;
  let folded = 0;
  const byRoute = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    if (folded > 0) {
      const parts = [...byRoute].map(([k, n]) => `${k} ×${n}`).join(', ');
      log(`… ${folded} more request${folded === 1 ? '' : 's'} in ${windowMs} ms: ${parts}`);
    }
    logged = 0;
    folded = 0;
    byRoute.clear();
  };

  return (method, path, status, ms, note) => {
    timer ??= setTimeout(flush, windowMs).unref();
    if (logged < maxLines || note !== '' || status >= 500) {
      logged++;
      log(`${method} ${path} -> ${status} (${ms.toFixed(1)} ms)${note}`);
      return;
    }
    folded++;
    const key = `${method} ${routeOf(path)} -> ${status}`;
    byRoute.set(key, (byRoute.get(key) ?? 0) + 1);
  };
}
