/** Contract of token sources (src/tokens/clerk-source.ts implements it on @clerk/backend). */
import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

export interface MintedToken {
  token: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload & Record<string, unknown>;
  /** Local clock (ms) when the token came back. */
  receivedAt: number;
}

export interface MintOptions {
  template?: string;
  expiresInSeconds?: number;
}

export interface TemplateInfo {
  id: string;
  name: string;
  lifetime: number;
  allowedClockSkew: number;
  claims: Record<string, unknown>;
}

/** Which session, for whom: a session is only reused by a source of the same user and active organization. */
export interface SessionRef {
  id: string;
  userId: string;
  activeOrganizationId?: string;
}

export interface TokenSource {
  /** 'emulator' when CLERK_API_URL answers GET /__emulator/info, else 'clerk'. */
  readonly mode: 'clerk' | 'emulator';
  readonly apiUrl: string;
  /** Finds or creates the test user (by id, else by email) once, then reuses it. */
  userId(): Promise<string>;
  /**
   * The session mints use (created once, and again when it has ended), and whose it is. Optional
   * for sources written elsewhere; without it the test worker makes its own session.
   */
  session?(): Promise<SessionRef>;
  /** A fresh session token (new session each call unless reuse is cheaper; never a cached token). */
  mint(options?: MintOptions): Promise<MintedToken>;
  listTemplates(): Promise<TemplateInfo[]>;
  /**
   * Emulator only: sign an arbitrary header/payload with the key the target trusts. Undefined
   * against real Clerk, where such tokens cannot be made honestly.
   */
  readonly trustedSigner?: (header: Record<string, unknown>, payload: Record<string, unknown>) => Promise<string>;
}
