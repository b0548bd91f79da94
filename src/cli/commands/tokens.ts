/**
 * `clerk-harness tokens serve`: argv and wiring only. Starts a token supply and a loopback HTTP
 * endpoint handing out its current token (src/load/tokens-server.ts), until Ctrl-C.
 */
import { HarnessError } from '../../errors.js';
import { EXIT, type ExitCode } from '../../exit-codes.js';
import { SUPPLY_FLAGS, SUPPLY_FLAGS_HELP } from '../../load/supply-flags.js';
import { intFlag, parseCommandArgs, type Command } from '../command.js';

const help = `Usage: clerk-harness tokens serve [--port N] [--host 127.0.0.1] [token supply options]

Keep a pool of always-fresh session tokens (one per test user, replaced before --max-age, minted
under --mint-rate, 429 Retry-After honoured) and hand them out over HTTP on loopback, so any load
tool can use them: k6, Locust, JMeter, Artillery (CLERK_HARNESS_TOKENS_URL), curl.

  GET /token                  {"token", "user", "sub", "iat", "age_ms", "max_age_ms", "stale_at"}
  GET /token?format=bare      the token alone (text/plain)
  GET /token?user=NAME|INDEX  one user's token (default: round robin over the users)
  GET /stats                  minted, Backend API calls, peak per window, 429s (no token)

It prints "tokens: serving at http://127.0.0.1:PORT/token" once the first tokens exist. Only
loopback addresses are served; requests with an Origin header (web pages) are refused.

Options:
  --port N              port on the loopback interface (default 0: a free one, printed)
  --host HOST           127.0.0.1 (default), ::1 or localhost

${SUPPLY_FLAGS_HELP}

Configuration: CLERK_SECRET_KEY, CLERK_API_URL, CLERK_TEST_USER_ID / CLERK_TEST_USER_EMAIL,
CLERK_JWT_TEMPLATE, as for \`mint\`; a \`clerk-harness emulator\` running in this folder is used
when none is set.

Example:
  clerk-harness tokens serve --port 4700 --users 3 &
  curl -H "Authorization: Bearer $(curl -s 'http://127.0.0.1:4700/token?format=bare')" http://127.0.0.1:8000/jobs`;

const OPTIONS = { port: { type: 'string' }, host: { type: 'string' }, ...SUPPLY_FLAGS } as const;

const command: Command = {
  summary: 'serve always-fresh tokens on loopback for other load tools (tokens serve)',
  help,
  async run(ctx): Promise<ExitCode> {
    const [sub, ...rest] = ctx.argv;
    if (sub !== 'serve') {
      throw new HarnessError('USAGE', sub === undefined ? 'tokens: missing subcommand' : `tokens: unknown subcommand "${sub}"`, { hint: 'use `clerk-harness tokens serve` (see --help)' });
    }
    const { values } = parseCommandArgs('tokens serve', rest, OPTIONS);
    const port = intFlag('tokens serve', 'port', values.port, 0);
    const [{ loadClerkSettings }, { supplySettingsFrom, clerkOf }, { startTokenSupply }, { startTokensServer }] = await Promise.all([
      import('../../tokens/local-emulator.js'),
      import('../../load/supply-flags.js'),
      import('../../load/supply-from-config.js'),
      import('../../load/tokens-server.js'),
    ]);
    // Refuse a public address before minting anything.
    const { assertLoopbackHost } = await import('../../load/tokens-server.js');
    assertLoopbackHost(values.host ?? '127.0.0.1');
    const { config, fromEmulatorFile } = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env });
    if (fromEmulatorFile) ctx.stderr.write(`clerk-harness tokens: using the emulator at ${config.clerkApiUrl} (no CLERK_SECRET_KEY configured; found ${fromEmulatorFile})\n`);
    const settings = supplySettingsFrom('tokens serve', values, clerkOf(config), config.jwtTemplate);
    const supply = await startTokenSupply({
      ...settings,
      onEvent: (e) => {
        if (e.type === 'rate-limited') ctx.stderr.write(`clerk-harness tokens: Clerk answered 429, all minting paused for ${e.waitMs / 1000} s\n`);
        if (e.type === 'mint-failed') ctx.stderr.write(`clerk-harness tokens: mint for ${e.identity} failed (${e.message}); retry in ${e.retryInMs / 1000} s\n`);
      },
    });
    let server;
    try {
      server = await startTokensServer(supply, { port, host: values.host });
    } catch (err) {
      supply.stop();
      throw err;
    }
    const s = supply.stats();
    ctx.stdout.write(`tokens: serving at ${server.url}/token (${s.identities} user(s), max age ${(s.maxAgeMs ?? 0) / 1000} s of ${(s.lifetimeMs ?? 0) / 1000} s tokens, mint rate ${s.limit.calls}/${s.limit.perMs / 1000}s)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.stop();
    supply.stop();
    return EXIT.OK;
  },
};
export default command;
