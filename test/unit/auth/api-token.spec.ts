import * as crypto from 'node:crypto';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ApiTokenRefusal,
  ApiTokenRefusedError,
  apiTokenSecretMatches,
  hashApiTokenSecret,
  looksLikeApiToken,
  newApiToken,
  parseApiToken,
  credentialOfApiToken,
  type StoredApiToken,
  verifyApiToken,
} from '../../../libs/auth/api-token';
import { isOperator, withMemberships } from '../../../libs/auth/principal';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const secretKey = randomBytes(32);
const previousKey = randomBytes(32);
const now = new Date(Date.UTC(2026, 0, 15, 12, 0, 0));

/** A stored row for a fresh token, with fields replaced. */
function aStoredToken(overrides: Partial<StoredApiToken> = {}) {
  const token = newApiToken(secretKey);
  const stored: StoredApiToken = {
    id: token.tokenId,
    owner: 'alice',
    secretHash: token.secretHash,
    scopes: ['read-only'],
    siteIds: null,
    expiresAt: new Date(now.getTime() + 3600_000),
    revokedAt: null,
    ...overrides,
  };
  return { token, stored };
}

function refusal(run: () => unknown): ApiTokenRefusal | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiTokenRefusedError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('API token format', () => {
  it('is berth_<uuid>_<32 random bytes, base64url>, new each time', () => {
    const a = newApiToken(secretKey);
    const b = newApiToken(secretKey);
    expect(a.token).toMatch(/^berth_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    expect(a.token).toBe(`berth_${a.tokenId}_${a.secret}`);
    expect(Buffer.from(a.secret, 'base64url')).toHaveLength(32);
    expect(b.tokenId).not.toBe(a.tokenId);
    expect(b.secret).not.toBe(a.secret);
    expect(looksLikeApiToken(a.token)).toBe(true);
    expect(parseApiToken(a.token)).toEqual({ tokenId: a.tokenId, secret: a.secret });
  });

  it('parses only well-formed tokens, in their one canonical spelling', () => {
    const { token, tokenId, secret } = newApiToken(secretKey);
    // The last base64url character of 32 bytes carries 2 spare bits; another value of them
    // decodes to the same bytes and must not be a second spelling of the token.
    const last = secret.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    for (const bad of [
      '',
      'berth_',
      token.slice(0, -1),
      `${token}A`,
      token.replace('berth_', 'Berth_'),
      `berth_${tokenId.toUpperCase()}_${secret}`,
      `berth_${tokenId}.${secret}`,
      `berth_${tokenId}_${secret.slice(0, -1)}${sibling}`,
      'eyJhbGciOiJIUzI1NiJ9.e30.sig',
    ]) {
      expect(parseApiToken(bad), bad).toBeUndefined();
    }
  });
});

describe('API token hashing', () => {
  it('stores an HMAC-SHA256 under a key derived from the secret key by HKDF, not the secret', () => {
    const { tokenId, secret, secretHash, token } = newApiToken(secretKey);
    const key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'berth/api-token', 32));
    expect(secretHash).toBe(
      createHmac('sha256', key).update(`${tokenId}\n${secret}`).digest('base64url'),
    );
    expect(secretHash).not.toContain(secret);
    expect(secretHash).not.toBe(crypto.createHash('sha256').update(secret).digest('base64url'));
    expect(token).not.toContain(secretHash);
  });

  it('matches under the current key or a previous one, never another', () => {
    const { tokenId, secret } = newApiToken(secretKey);
    const oldHash = hashApiTokenSecret(previousKey, tokenId, secret);
    expect(apiTokenSecretMatches([secretKey, previousKey], tokenId, secret, oldHash)).toBe(true);
    expect(apiTokenSecretMatches([secretKey], tokenId, secret, oldHash)).toBe(false);
    expect(apiTokenSecretMatches([randomBytes(32)], tokenId, secret, oldHash)).toBe(false);
  });

  it('binds the hash to the token id', () => {
    const { tokenId, secret, secretHash } = newApiToken(secretKey);
    const otherId = newApiToken(secretKey).tokenId;
    expect(apiTokenSecretMatches([secretKey], tokenId, secret, secretHash)).toBe(true);
    expect(apiTokenSecretMatches([secretKey], otherId, secret, secretHash)).toBe(false);
  });

  it('compares hashes in constant time', () => {
    const { tokenId, secret, secretHash } = newApiToken(secretKey);
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    apiTokenSecretMatches([secretKey], tokenId, `${secret.slice(0, -1)}x`, secretHash);
    expect(compare).toHaveBeenCalledTimes(1);
  });

  it('refuses a secret key too short to derive from', () => {
    expect(() => hashApiTokenSecret(randomBytes(16), 'id', 'secret')).toThrow(RangeError);
  });
});

describe(verifyApiToken.name, () => {
  afterEach(() => vi.mocked(crypto.timingSafeEqual).mockClear());

  it('accepts the token its row was made for', () => {
    const { token, stored } = aStoredToken();
    const principal = verifyApiToken([secretKey], parseApiToken(token.token)!, stored, now);
    expect(principal).toMatchObject({ userId: 'alice', via: 'api-token', tokenId: stored.id });
  });

  it('refuses an unknown id, a wrong secret, a revoked and an expired token', () => {
    const { token, stored } = aStoredToken();
    const presented = parseApiToken(token.token)!;
    const other = parseApiToken(newApiToken(secretKey).token)!;
    expect(refusal(() => verifyApiToken([secretKey], presented, undefined, now))).toBe('unknown');
    expect(
      refusal(() =>
        verifyApiToken([secretKey], { tokenId: stored.id, secret: other.secret }, stored, now),
      ),
    ).toBe('secret');
    expect(
      refusal(() => verifyApiToken([secretKey], presented, { ...stored, revokedAt: now }, now)),
    ).toBe('revoked');
    expect(
      refusal(() => verifyApiToken([secretKey], presented, { ...stored, expiresAt: now }, now)),
    ).toBe('expired');
    // Whether a token was revoked or expired is found only after its secret matched.
    expect(
      refusal(() =>
        verifyApiToken(
          [secretKey],
          { tokenId: stored.id, secret: other.secret },
          { ...stored, revokedAt: now, expiresAt: now },
          now,
        ),
      ),
    ).toBe('secret');
  });

  it('refuses a row whose hash was made with a key the api no longer has', () => {
    const { token, stored } = aStoredToken();
    expect(
      refusal(() => verifyApiToken([randomBytes(32)], parseApiToken(token.token)!, stored, now)),
    ).toBe('secret');
  });
});

describe(credentialOfApiToken.name, () => {
  const siteId = '6f1c1c52-8d0a-4b8e-9d3a-0c2f7c4d1e11';

  it('maps READ_ONLY to reading, as the owner, leaving groups to the directory', () => {
    expect(
      credentialOfApiToken({ id: 't', owner: 'alice', scopes: ['read-only'], siteIds: null }),
    ).toEqual({
      userId: 'alice',
      scopes: ['sites:read'],
      via: 'api-token',
      tokenId: 't',
    });
  });

  it('maps SITE to reading and writing its sites only', () => {
    const principal = credentialOfApiToken({
      id: 't',
      owner: 'alice',
      scopes: ['site'],
      siteIds: [siteId],
    });
    expect(principal).toMatchObject({ scopes: ['sites:read', 'sites:write'], siteIds: [siteId] });
  });

  it('maps OPERATOR to reading, writing and operating, for members of the operator group', () => {
    const credential = credentialOfApiToken({
      id: 't',
      owner: 'olivia',
      scopes: ['operator'],
      siteIds: null,
    });
    expect(credential).toMatchObject({ scopes: ['sites:read', 'sites:write', 'operator'] });
    expect(credential.siteIds).toBeUndefined();
    expect(isOperator(withMemberships(credential, ['berth-operators'], 'berth-operators'))).toBe(
      true,
    );
    // Someone who has left the operator group operates nothing with it.
    expect(isOperator(withMemberships(credential, ['webmasters'], 'berth-operators'))).toBe(false);
  });

  it('never makes a site-limited credential an operator', () => {
    expect(
      isOperator({
        userId: 'olivia',
        groups: [],
        operator: true,
        scopes: ['sites:read', 'sites:write', 'operator'],
        via: 'api-token',
        siteIds: [siteId],
      }),
    ).toBe(false);
  });
});
