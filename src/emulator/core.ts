/**
 * The emulated instance's state in one place: store, current key, clock, fault queue and the
 * addresses it is served at. Routes and the public Emulator object both work through it.
 */
import { FaultQueue } from './faults.js';
import { encodeSegment, sessionTokenParts, signEncoded, signJwt, templateTokenParts } from './issuer.js';
import { generateKeyMaterial, saveKeyFile, type KeyMaterial } from './keys.js';
import { organizationClaims } from './org-claims.js';
import { userShortcodes, type Json } from './resources.js';
import { EmulatorStore } from './store.js';

export interface CoreOptions {
  key: KeyMaterial;
  secretKey: string;
  keyFile?: string;
  authorizedParty?: string;
  clockOffsetSeconds?: number;
  /** Told about every rotation, whoever asked for it (the CLI rewrites its --write-env file). */
  onKeyRotated?: (key: KeyMaterial) => void | Promise<void>;
}

export class EmulatorCore {
  readonly store = new EmulatorStore();
  readonly faults = new FaultQueue();
  readonly secretKey: string;
  readonly authorizedParty?: string;
  /** Set once the server listens (the port is only known then). */
  baseUrl = '';
  private key: KeyMaterial;
  private readonly keyFile?: string;
  private readonly offsetMs: number;
  private readonly onKeyRotated?: CoreOptions['onKeyRotated'];
  /** The encoded session-token header for the current key, built once per key. */
  private sessionHeader?: { kid: string; encoded: string };

  constructor(options: CoreOptions) {
    this.onKeyRotated = options.onKeyRotated;
    this.key = options.key;
    this.secretKey = options.secretKey;
    this.keyFile = options.keyFile;
    this.authorizedParty = options.authorizedParty;
    this.offsetMs = (options.clockOffsetSeconds ?? 0) * 1000;
  }

  /** The emulator's clock in ms (shifted by clockOffsetSeconds to reproduce skew). */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Frontend API URL = `iss`; the same origin serves /.well-known/jwks.json. */
  get issuer(): string {
    return this.baseUrl;
  }

  currentKey(): KeyMaterial {
    return this.key;
  }

  jwks(): { keys: Json[] } {
    return { keys: [{ ...this.key.publicJwk }] };
  }

  /** Replace the key; the old one leaves the JWKS at once (what "rotation" means for verifiers). */
  async rotateKey(): Promise<KeyMaterial> {
    const next = await generateKeyMaterial();
    if (this.keyFile) await saveKeyFile(this.keyFile, next, this.secretKey);
    this.key = next;
    await this.onKeyRotated?.(next);
    return next;
  }

  /** Sign any header/payload with the current key; `kid` defaults to the current kid. */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): string {
    const h = 'kid' in header ? header : { ...header, kid: this.key.kid };
    return signJwt(this.key, h, payload);
  }

  /** The session's active organization as the user's membership stands now (claims are live, as on Clerk). */
  private activeOrganization(session: Json) {
    const orgId = session.last_active_organization_id;
    return typeof orgId === 'string' ? this.store.orgs.activeOrganization(orgId, session.user_id as string) : undefined;
  }

  sessionToken(session: Json, expiresInSeconds?: number): string {
    const active = session.last_active_organization_id === null ? undefined : this.activeOrganization(session);
    const parts = sessionTokenParts({
      kid: this.key.kid,
      issuer: this.issuer,
      userId: session.user_id as string,
      sessionId: session.id as string,
      nowSeconds: this.nowSeconds(),
      sessionCreatedAtSeconds: Math.floor((session.created_at as number) / 1000),
      expiresInSeconds,
      authorizedParty: this.authorizedParty,
      organization: active && organizationClaims(active),
    });
    if (this.sessionHeader?.kid !== this.key.kid) this.sessionHeader = { kid: this.key.kid, encoded: encodeSegment(parts.header) };
    return signEncoded(this.key, this.sessionHeader.encoded, parts.payload);
  }

  templateToken(session: Json, template: Json, expiresInSeconds?: number): string {
    const user = this.store.getUser(session.user_id as string);
    const active = this.activeOrganization(session);
    // `{{org.*}}` and `{{org_membership.*}}` shortcodes; without an active organization they resolve to null.
    const org: Json = active
      ? {
          ...active.organization,
          role: active.role,
          permissions: active.permissions.filter((p) => !p.startsWith('org:sys_')),
        }
      : {};
    const orgMembership: Json = active ? { id: active.membership.id, role: active.role, public_metadata: active.membership.public_metadata } : {};
    const parts = templateTokenParts({
      kid: this.key.kid,
      issuer: this.issuer,
      userId: user.id as string,
      nowSeconds: this.nowSeconds(),
      template: template as unknown as { claims: Json; lifetime: number; allowed_clock_skew: number },
      context: { user: userShortcodes(user), session: { id: session.id, actor: session.actor }, org, org_membership: orgMembership },
      expiresInSeconds,
      authorizedParty: this.authorizedParty,
    });
    return signJwt(this.key, parts.header, parts.payload);
  }
}
