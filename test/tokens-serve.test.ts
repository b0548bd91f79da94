/**
 * `clerk-harness tokens serve` as a user runs it: fresh tokens over loopback HTTP, round robin
 * over users, no token in /stats, and refusals for web pages (Origin) and foreign Host names.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startCli, type RunningCli } from './helpers/cli.js';
import { callMain } from './helpers/main-in-process.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('clerk-harness tokens serve', () => {
  let emulator: Emulator;
  let cli: RunningCli;
  let base: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    cli = startCli(['tokens', 'serve', '--users', '2', '--expires-in', '30'], { env: { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey, CLERK_TELEMETRY_DISABLED: '1' } });
    const out = await cli.waitFor(/serving at (http:\/\/127\.0\.0\.1:\d+)\/token/, 30_000);
    base = /serving at (http:\/\/127\.0\.0\.1:\d+)\/token/.exec(out)![1]!;
  }, 40_000);
  afterAll(async () => {
    await cli?.stop();
    await emulator?.stop();
  });

  it('prints where it serves and the derived limits', () => {
    expect(cli.stdout()).toMatch(/2 user\(s\), max age 25 s of 30 s tokens, mint rate 20\/10s/);
  });

  it('hands out a fresh token, round robin over the users', async () => {
    const a = JSON.parse((await get(`${base}/token`)).body) as { token: string; user: string; sub: string; iat: number; age_ms: number; max_age_ms: number };
    const b = JSON.parse((await get(`${base}/token`)).body) as typeof a;
    expect(a.user).not.toBe(b.user);
    expect(a.sub).toMatch(/^user_/);
    expect(a.max_age_ms).toBe(25_000);
    expect(a.age_ms).toBeLessThan(25_000);
    const claims = decodeJwt(a.token);
    expect(claims.sub).toBe(a.sub);
    expect((claims.exp as number) - (claims.iat as number)).toBe(30);
    const bare = await get(`${base}/token?format=bare&user=0`);
    expect(bare.status).toBe(200);
    expect(bare.body.split('.')).toHaveLength(3);
    expect((await get(`${base}/token?user=nobody`)).status).toBe(404);
  });

  it('reports counters on /stats without any token', async () => {
    const stats = await get(`${base}/stats`);
    expect(stats.status).toBe(200);
    expect(JSON.parse(stats.body)).toMatchObject({ identities: 2, limit: { calls: 20, perMs: 10_000 } });
    expect(stats.body).not.toMatch(/eyJ/);
  });

  it('refuses web pages and foreign Host names (DNS rebinding)', async () => {
    expect((await get(`${base}/token`, { origin: 'https://evil.example' })).status).toBe(403);
    const rebound = await get(`${base}/token`, { host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toMatch(/eyJ/);
  });

  // Usage errors stop before anything listens: through the same main() in this process.
  it('refuses a non-loopback --host and an unknown subcommand', async () => {
    const env = { CLERK_API_URL: emulator.url, CLERK_SECRET_KEY: emulator.secretKey };
    const host = await callMain(['tokens', 'serve', '--host', '0.0.0.0'], { env });
    expect(host.code).toBe(2);
    expect(host.stderr).toMatch(/not a loopback address/);
    const sub = await callMain(['tokens', 'give'], { env });
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/unknown subcommand "give"/);
  });
});
