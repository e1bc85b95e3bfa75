import { createHmac, type KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { derivedSecretKey } from './derived-key';
import { type Credential, type Scope } from './principal';

/**
 * API tokens: long-lived bearer credentials for integrations, `berth_<tokenId>_<secret>`. The
 * token id names the row (one indexed read); the secret is 32 random bytes, base64url, shown to
 * its owner once and stored only as an HMAC-SHA256 under a key derived from the deployment's
 * secret key (HKDF, its own `info`), so a copy of the table alone verifies nothing and forges
 * nothing.
 */

export const apiTokenScopes = ['read-only', 'site', 'operator'] as const;
export type ApiTokenScope = (typeof apiTokenScopes)[number];

export const defaultApiTokenTtlMs = 90 * 24 * 60 * 60 * 1000;
export const maxApiTokenTtlMs = 365 * 24 * 60 * 60 * 1000;
/** `lastUsedAt` is written at most this often per token, not on every request. */
export const lastUsedResolutionMs = 60 * 1000;

const prefix = 'berth_';
const secretBytes = 32;
const hkdfInfo = 'berth/api-token';
const tokenPattern =
  /^berth_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export type ApiTokenRefusal = 'unknown' | 'secret' | 'revoked' | 'expired';

/** A presented API token is not acceptable; `reason` is for the log only. */
export class ApiTokenRefusedError extends Error {
  constructor(readonly reason: ApiTokenRefusal) {
    super(`the API token was refused (${reason})`);
    this.name = 'ApiTokenRefusedError';
  }
}

export interface ParsedApiToken {
  tokenId: string;
  secret: string;
}

export interface NewApiToken extends ParsedApiToken {
  /** What the owner is shown once: `berth_<tokenId>_<secret>`. */
  token: string;
  /** What is stored. */
  secretHash: string;
}

/** A fresh token id and secret, and the hash to store under the current secret key. */
export function newApiToken(secretKey: Buffer): NewApiToken {
  const tokenId = randomUUID();
  const secret = randomBytes(secretBytes).toString('base64url');
  return {
    tokenId,
    secret,
    token: `${prefix}${tokenId}_${secret}`,
    secretHash: hashApiTokenSecret(secretKey, tokenId, secret),
  };
}

/** True for anything shaped like an API token, which is never a development token (no dots). */
export function looksLikeApiToken(token: string): boolean {
  return token.startsWith(prefix);
}

/** The id and secret of a well-formed token, or undefined. */
export function parseApiToken(token: string): ParsedApiToken | undefined {
  const match = tokenPattern.exec(token);
  if (!match) return undefined;
  const [, tokenId, secret] = match as unknown as [string, string, string];
  // 43 characters hold 258 bits: only the spelling that encodes 32 bytes exactly is ours.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return undefined;
  return { tokenId, secret };
}

/**
 * HMAC-SHA256 of the secret as presented (its text, so no second spelling matches), bound to the
 * token id so that a hash moved to another row does not verify there.
 */
export function hashApiTokenSecret(secretKey: Buffer, tokenId: string, secret: string): string {
  return createHmac('sha256', hashKey(secretKey))
    .update(`${tokenId}\n${secret}`)
    .digest('base64url');
}

/**
 * Whether the secret matches the stored hash under the current key or one it replaced (tokens
 * survive a key rotation). Every key is tried, and each comparison takes the same time whatever
 * the contents.
 */
export function apiTokenSecretMatches(
  secretKeys: readonly Buffer[],
  tokenId: string,
  secret: string,
  storedHash: string,
): boolean {
  const stored = Buffer.from(storedHash);
  let matches = false;
  for (const key of secretKeys) {
    const presented = Buffer.from(hashApiTokenSecret(key, tokenId, secret));
    // The length of an HMAC-SHA256 is public; only the comparison of contents must be constant.
    if (presented.length === stored.length && timingSafeEqual(presented, stored)) matches = true;
  }
  return matches;
}

/** What a stored token says about itself (the row, as data). */
export interface StoredApiToken {
  id: string;
  owner: string;
  secretHash: string;
  scopes: readonly ApiTokenScope[];
  siteIds: readonly string[] | null;
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * The caller a presented token names, given its row (undefined when no row has its id), or
 * ApiTokenRefusedError. The secret is checked first, so that whether a token was revoked or has
 * expired is told only to the log, and only for a caller who holds the secret.
 */
export function verifyApiToken(
  secretKeys: readonly Buffer[],
  presented: ParsedApiToken,
  stored: StoredApiToken | undefined,
  now: Date = new Date(),
): Credential {
  if (!stored) {
    // The same work as for a real row, so that a guessed id cannot be told apart by timing.
    apiTokenSecretMatches(secretKeys, presented.tokenId, presented.secret, '');
    throw new ApiTokenRefusedError('unknown');
  }
  if (!apiTokenSecretMatches(secretKeys, stored.id, presented.secret, stored.secretHash)) {
    throw new ApiTokenRefusedError('secret');
  }
  if (stored.revokedAt !== null) throw new ApiTokenRefusedError('revoked');
  if (now.getTime() >= stored.expiresAt.getTime()) throw new ApiTokenRefusedError('expired');
  return credentialOfApiToken(stored);
}

/**
 * What a token's scopes allow. Its owner's groups, and whether they are an operator, are asked of
 * the directory per request, as for every credential: an OPERATOR token of someone who has left
 * the operator group acts as a plain user.
 */
export function credentialOfApiToken(
  token: Pick<StoredApiToken, 'id' | 'owner' | 'scopes' | 'siteIds'>,
): Credential {
  const siteLimited = token.scopes.includes('site');
  return {
    userId: token.owner,
    scopes: scopesOf(token.scopes),
    via: 'api-token',
    tokenId: token.id,
    ...(siteLimited ? { siteIds: [...(token.siteIds ?? [])] } : {}),
  };
}

/** READ_ONLY: read; SITE: read and write (on its sites); OPERATOR: read, write and operator. */
export function scopesOf(tokenScopes: readonly ApiTokenScope[]): Scope[] {
  const result = new Set<Scope>();
  for (const scope of tokenScopes) {
    result.add('sites:read');
    if (scope === 'site' || scope === 'operator') result.add('sites:write');
    if (scope === 'operator') result.add('operator');
  }
  return [...result];
}

function hashKey(secretKey: Buffer): KeyObject {
  return derivedSecretKey(secretKey, hkdfInfo);
}
