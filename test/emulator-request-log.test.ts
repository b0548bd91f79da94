/**
 * The emulator's request log stays one line a request when traffic is light, and folds the
 * surplus of a burst into one summary line per window (errors always get their own line).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRequestLog } from '../src/emulator/request-log.js';

afterEach(() => vi.useRealTimers());

describe('createRequestLog', () => {
  it('logs every request of light traffic, in the shape the CLI prints', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = createRequestLog((l) => lines.push(l), { windowMs: 250, maxLines: 3 });
    log('POST', '/v1/sessions/sess_2xhG1jYb8ZqKq3LQm0cR4tVbN7a/tokens', 200, 0.42, '');
    log('GET', '/v1/jwks', 200, 0.1, '');
    vi.advanceTimersByTime(300);
    expect(lines).toEqual(['POST /v1/sessions/sess_2xhG1jYb8ZqKq3LQm0cR4tVbN7a/tokens -> 200 (0.4 ms)', 'GET /v1/jwks -> 200 (0.1 ms)']);
  });

  it('folds a burst beyond maxLines into one summary per window, by route, and starts over after it', () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = createRequestLog((l) => lines.push(l), { windowMs: 250, maxLines: 2 });
    for (let i = 0; i < 10; i++) log('POST', `/v1/sessions/sess_${'A'.repeat(26)}${i}/tokens`, 200, 0.3, '');
    log('POST', '/v1/users', 422, 0.2, '');
    log('GET', '/v1/users/user_missing', 500, 0.2, ' internal error: boom'); // never folded
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(250);
    expect(lines.slice(3)).toEqual(['… 9 more requests in 250 ms: POST /v1/sessions/:id/tokens -> 200 ×8, POST /v1/users -> 422 ×1']);
    log('GET', '/v1/jwks', 200, 0.1, '');
    expect(lines.at(-1)).toBe('GET /v1/jwks -> 200 (0.1 ms)');
  });
});
