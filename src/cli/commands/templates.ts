/** `clerk-harness templates`: list the JWT templates of the Clerk instance (or emulator). */
import { HarnessError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { redactDeep } from '../../redact.js';
import { parseCommandArgs, type Command } from '../command.js';

const help = `Usage: clerk-harness templates [--json]

List the JWT templates of the Clerk instance CLERK_API_URL points at (real Clerk or the emulator):
name, token lifetime, allowed clock skew and claim names. Use a name with
\`clerk-harness mint --template NAME\` or CLERK_JWT_TEMPLATE.

Options:
  --json      print the list as JSON
  -h, --help  show this help

Configuration: CLERK_SECRET_KEY (required), CLERK_API_URL (default https://api.clerk.com).`;

const command: Command = {
  summary: 'list the JWT templates of the Clerk instance',
  help,
  async run(ctx) {
    const { values, positionals } = parseCommandArgs('templates', ctx.argv, { json: { type: 'boolean' } }, { allowPositionals: true });
    if (positionals.length) throw new HarnessError('USAGE', `templates: unexpected argument "${positionals[0]}"`);
    const [{ createTokenSource }, { loadClerkSettings }] = await Promise.all([import('../../tokens/clerk-source.js'), import('../../tokens/local-emulator.js')]);
    const { config } = loadClerkSettings({ cwd: ctx.cwd, environment: ctx.env });
    const source = await createTokenSource({ apiUrl: config.clerkApiUrl, secretKey: config.clerkSecretKey!, testUserEmail: config.testUserEmail });
    // A template's claims are static JSON someone typed into the Dashboard: a secret key or a
    // private key pasted there is shown redacted, like everywhere else.
    const templates = redactDeep(await source.listTemplates());
    if (values.json) {
      ctx.stdout.write(JSON.stringify(templates, null, 2) + '\n');
      return EXIT.OK;
    }
    if (templates.length === 0) {
      ctx.stdout.write(`No JWT templates at ${config.clerkApiUrl}. Create one in Clerk Dashboard → JWT templates${source.mode === 'emulator' ? ' (or start the emulator with --template NAME)' : ''}.\n`);
      return EXIT.OK;
    }
    const width = Math.max(4, ...templates.map((t) => t.name.length));
    const lines = [`${'NAME'.padEnd(width)}  LIFETIME  SKEW  CLAIMS`];
    for (const t of templates) {
      const claims = Object.keys(t.claims).join(', ') || '(defaults only)';
      lines.push(`${t.name.padEnd(width)}  ${`${t.lifetime}s`.padStart(8)}  ${`${t.allowedClockSkew}s`.padStart(4)}  ${claims}`);
    }
    ctx.stdout.write(lines.join('\n') + '\n');
    return EXIT.OK;
  },
};
export default command;
