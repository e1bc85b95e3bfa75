import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidTokenError,
  type InvalidTokenReason,
  maxDevTokenLength,
  maxDevTokenTtlSeconds,
  mintDevToken,
  verifyDevToken,
} from '../../../libs/auth/dev-token';
import { type Scope } from '../../../libs/auth/principal';

const secretKey = randomBytes(32);
const otherSecretKey = randomBytes(32);
/** A fixed clock, in milliseconds, so that iat and exp are predictable. */
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const nowSeconds = now / 1000;

/** The signing key as the design states it: HKDF-SHA256 of the secret, info 'berth/dev-token'. */
function derivedKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'berth/dev-token', 32));
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Valid claims of a fresh token, with fields replaced (undefined removes). */
function aClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: 'berth-dev',
    aud: 'berth-api',
    sub: 'alice',
    groups: ['web-admins'],
    op: false,
    scope: 'sites:read sites:write',
    iat: nowSeconds,
    exp: nowSeconds + 3600,
    jti: randomBytes(16).toString('base64url'),
    ...overrides,
  };
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete claims[name];
  }
  return claims;
}

/** A token built by hand from raw JSON texts, signed HMAC-SHA256 (or as told) with `key`. */
function handMade(
  claims: Record<string, unknown> | string,
  {
    header = { alg: 'HS256', typ: 'JWT', kid: 'dev' },
    key = derivedKey(secretKey),
    hash = 'sha256',
  }: { header?: Record<string, unknown>; key?: Buffer; hash?: 'sha256' | 'sha512' } = {},
): string {
  const payloadJson = typeof claims === 'string' ? claims : JSON.stringify(claims);
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(payloadJson)}`;
  return `${signingInput}.${createHmac(hash, key).update(signingInput).digest('base64url')}`;
}

/** The InvalidTokenError that verifying `token` throws; fails the test if it is accepted. */
function refusal(token: string, at = now): InvalidTokenError {
  try {
    verifyDevToken(secretKey, token, at);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error;
    throw error;
  }
  throw new Error('verifyDevToken accepted the token; expected an InvalidTokenError');
}

/** Changes one character in the middle of a base64url text to another valid one. */
function alterCharacter(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

const good = mintDevToken(secretKey, { userId: 'alice' }, now);
const [goodHeader, goodPayload, goodSignature] = good.split('.') as [string, string, string];

const badTokens: [string, InvalidTokenReason, string][] = [
  [
    'alg none, no signature',
    'algorithm',
    `${base64url('{"alg":"none","typ":"JWT"}')}.${goodPayload}.`,
  ],
  [
    'alg none, key id and the real signature',
    'algorithm',
    `${base64url('{"alg":"none","typ":"JWT","kid":"dev"}')}.${goodPayload}.${goodSignature}`,
  ],
  [
    'an HS512 header, signed HS512 with the right key',
    'algorithm',
    handMade(aClaims(), { header: { alg: 'HS512', typ: 'JWT', kid: 'dev' }, hash: 'sha512' }),
  ],
  [
    'an RS256 header',
    'algorithm',
    handMade(aClaims(), { header: { alg: 'RS256', typ: 'JWT', kid: 'dev' } }),
  ],
  ['no alg at all', 'algorithm', handMade(aClaims(), { header: { typ: 'JWT', kid: 'dev' } })],
  [
    'another key id',
    'malformed',
    handMade(aClaims(), { header: { alg: 'HS256', typ: 'JWT', kid: 'oidc' } }),
  ],
  [
    'a critical header extension',
    'malformed',
    handMade(aClaims(), { header: { alg: 'HS256', typ: 'JWT', kid: 'dev', crit: ['b64'] } }),
  ],
  [
    'an altered payload',
    'signature',
    `${goodHeader}.${base64url(JSON.stringify(aClaims({ sub: 'root', op: true, scope: 'operator' })))}.${goodSignature}`,
  ],
  [
    'an altered signature',
    'signature',
    `${goodHeader}.${goodPayload}.${alterCharacter(goodSignature, 20)}`,
  ],
  [
    'a truncated signature',
    'signature',
    `${goodHeader}.${goodPayload}.${goodSignature.slice(0, -1)}`,
  ],
  ['an empty signature', 'signature', `${goodHeader}.${goodPayload}.`],
  [
    'a signature by another secret',
    'signature',
    mintDevToken(otherSecretKey, { userId: 'alice' }, now),
  ],
  [
    'a signature by the raw secret, not the derived key',
    'signature',
    handMade(aClaims(), { key: secretKey }),
  ],
  ['an expired exp', 'expired', handMade(aClaims({ iat: nowSeconds - 7200, exp: nowSeconds - 1 }))],
  [
    'an exp of exactly now',
    'expired',
    handMade(aClaims({ iat: nowSeconds - 3600, exp: nowSeconds })),
  ],
  ['an iat 61 s in the future', 'not-yet-valid', handMade(aClaims({ iat: nowSeconds + 61 }))],
  ['another audience', 'audience', handMade(aClaims({ aud: 'temporal-ui' }))],
  ['an audience list', 'audience', handMade(aClaims({ aud: ['berth-api'] }))],
  ['no audience', 'audience', handMade(aClaims({ aud: undefined }))],
  ['another issuer', 'issuer', handMade(aClaims({ iss: 'https://login.example.org' }))],
  ['no issuer', 'issuer', handMade(aClaims({ iss: undefined }))],
  ['no sub', 'claims', handMade(aClaims({ sub: undefined }))],
  [
    'a sub only on the prototype',
    'claims',
    handMade(`{"__proto__":{"sub":"root"},${JSON.stringify(aClaims({ sub: undefined })).slice(1)}`),
  ],
  ['an upper-case sub', 'claims', handMade(aClaims({ sub: 'Alice' }))],
  ['a sub with a slash', 'claims', handMade(aClaims({ sub: '../alice' }))],
  ['an empty sub', 'claims', handMade(aClaims({ sub: '' }))],
  ['a sub of 65 characters', 'claims', handMade(aClaims({ sub: 'a'.repeat(65) }))],
  ['a numeric sub', 'claims', handMade(aClaims({ sub: 1000 }))],
  ['an unknown scope', 'claims', handMade(aClaims({ scope: 'sites:read admin' }))],
  ['scopes as a list', 'claims', handMade(aClaims({ scope: ['sites:read'] }))],
  [
    'a doubled space between scopes',
    'claims',
    handMade(aClaims({ scope: 'sites:read  sites:write' })),
  ],
  ['no scope claim', 'claims', handMade(aClaims({ scope: undefined }))],
  ['a group that is no uid', 'claims', handMade(aClaims({ groups: ['Web Admins'] }))],
  ['groups as a string', 'claims', handMade(aClaims({ groups: 'web-admins' }))],
  [
    '101 groups',
    'claims',
    handMade(aClaims({ groups: Array.from({ length: 101 }, (_, i) => `g${i}`) })),
  ],
  ['an op claim that is not boolean', 'claims', handMade(aClaims({ op: 'true' }))],
  ['no op claim', 'claims', handMade(aClaims({ op: undefined }))],
  ['no exp', 'claims', handMade(aClaims({ exp: undefined }))],
  ['a fractional exp', 'claims', handMade(aClaims({ exp: nowSeconds + 3600.5 }))],
  ['no iat', 'claims', handMade(aClaims({ iat: undefined }))],
  [
    'a lifetime over 30 days',
    'claims',
    handMade(aClaims({ exp: nowSeconds + maxDevTokenTtlSeconds + 1 })),
  ],
  ['no jti', 'claims', handMade(aClaims({ jti: undefined }))],
  ['a payload that is a JSON list', 'malformed', handMade('[1,2,3]')],
  ['a payload that is not JSON', 'malformed', handMade('{"sub":')],
  ['two parts', 'malformed', `${goodHeader}.${goodPayload}`],
  ['four parts', 'malformed', `${good}.${goodSignature}`],
  ['one part', 'malformed', goodPayload],
  ['the empty string', 'malformed', ''],
  ['standard base64 characters', 'malformed', `${goodHeader}.${goodPayload}+/.${goodSignature}`],
  ['padding', 'malformed', `${goodHeader}=.${goodPayload}.${goodSignature}`],
  [
    'a space inside',
    'malformed',
    `${goodHeader}.${goodPayload.slice(0, 10)} ${goodPayload.slice(10)}.${goodSignature}`,
  ],
  [
    'a header that is not JSON',
    'malformed',
    `${base64url('alg: HS256')}.${goodPayload}.${goodSignature}`,
  ],
  ['an empty header', 'malformed', `.${goodPayload}.${goodSignature}`],
  ['more than 8 KiB', 'malformed', handMade(aClaims({ padding: 'x'.repeat(maxDevTokenLength) }))],
];

describe(mintDevToken.name, () => {
  it('makes a token that verifies as the same principal', () => {
    const token = mintDevToken(
      secretKey,
      {
        userId: 'alice',
        groups: ['web-admins', 'staff.it'],
        operator: true,
        scopes: ['sites:read', 'operator'],
        ttlSeconds: 600,
      },
      now,
    );
    expect(verifyDevToken(secretKey, token, now + 599_000)).toEqual({
      userId: 'alice',
      groups: ['web-admins', 'staff.it'],
      operator: true,
      scopes: ['sites:read', 'operator'],
      via: 'dev-token',
    });
  });

  it('defaults to no groups, no operator flag, site scopes and eight hours', () => {
    const token = mintDevToken(secretKey, { userId: 'bob' }, now);
    expect(verifyDevToken(secretKey, token, now)).toEqual({
      userId: 'bob',
      groups: [],
      operator: false,
      scopes: ['sites:read', 'sites:write'],
      via: 'dev-token',
    });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
      iat: number;
      exp: number;
    };
    expect(claims.exp - claims.iat).toBe(8 * 60 * 60);
  });

  it('adds the operator scope by default for an operator', () => {
    const token = mintDevToken(secretKey, { userId: 'olga', operator: true }, now);
    expect(verifyDevToken(secretKey, token, now).scopes).toEqual([
      'sites:read',
      'sites:write',
      'operator',
    ]);
  });

  it('writes the header and claims the design names, with a jti of its own per token', () => {
    const token = mintDevToken(
      secretKey,
      { userId: 'alice', groups: ['web-admins'], scopes: ['sites:read'], ttlSeconds: 60 },
      now,
    );
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'dev' });
    expect(payload).toEqual({
      iss: 'berth-dev',
      aud: 'berth-api',
      sub: 'alice',
      groups: ['web-admins'],
      op: false,
      scope: 'sites:read',
      iat: nowSeconds,
      exp: nowSeconds + 60,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) as unknown,
    });
    const again = mintDevToken(secretKey, { userId: 'alice' }, now);
    expect(again.split('.')[1]).not.toBe(token.split('.')[1]);
  });

  it('signs with HMAC-SHA256 under the HKDF-derived key, never the secret itself', () => {
    expect(verifyDevToken(secretKey, handMade(aClaims()), now).userId).toBe('alice');
    expect(refusal(handMade(aClaims(), { key: secretKey })).reason).toBe('signature');
  });

  it.each([
    ['a TTL over 30 days', { userId: 'alice', ttlSeconds: maxDevTokenTtlSeconds + 1 }],
    ['a TTL of zero', { userId: 'alice', ttlSeconds: 0 }],
    ['a fractional TTL', { userId: 'alice', ttlSeconds: 1.5 }],
    ['an upper-case user id', { userId: 'Alice' }],
    ['an empty user id', { userId: '' }],
    ['a user id with a space', { userId: 'alice smith' }],
    ['a group that is no uid', { userId: 'alice', groups: ['Web Admins'] }],
    ['101 groups', { userId: 'alice', groups: Array.from({ length: 101 }, (_, i) => `g${i}`) }],
    [
      'groups too long to fit in 8 KiB',
      { userId: 'alice', groups: Array.from({ length: 100 }, (_, i) => `g${i}`.padEnd(64, 'x')) },
    ],
    ['an unknown scope', { userId: 'alice', scopes: ['admin' as Scope] }],
  ])('refuses %s', (_case, options) => {
    expect(() => mintDevToken(secretKey, options, now)).toThrow(RangeError);
  });

  it('accepts a TTL of exactly 30 days', () => {
    const token = mintDevToken(
      secretKey,
      { userId: 'alice', ttlSeconds: maxDevTokenTtlSeconds },
      now,
    );
    expect(verifyDevToken(secretKey, token, now + maxDevTokenTtlSeconds * 1000 - 1).userId).toBe(
      'alice',
    );
  });

  it('refuses a secret key shorter than 32 bytes', () => {
    expect(() => mintDevToken(randomBytes(16), { userId: 'alice' }, now)).toThrow(RangeError);
  });
});

describe(verifyDevToken.name, () => {
  it('accepts a token until the second before it expires', () => {
    const token = mintDevToken(secretKey, { userId: 'alice', ttlSeconds: 60 }, now);
    expect(verifyDevToken(secretKey, token, now + 59_999).userId).toBe('alice');
    expect(refusal(token, now + 60_000).reason).toBe('expired');
  });

  it('allows 60 seconds of clock skew on iat', () => {
    expect(verifyDevToken(secretKey, handMade(aClaims({ iat: nowSeconds + 60 })), now).userId).toBe(
      'alice',
    );
  });

  it('lets repeated groups and scopes count once', () => {
    const token = handMade(aClaims({ groups: ['staff', 'staff'], scope: 'sites:read sites:read' }));
    const principal = verifyDevToken(secretKey, token, now);
    expect(principal.groups).toEqual(['staff']);
    expect(principal.scopes).toEqual(['sites:read']);
  });

  it('accepts a token without scopes as allowing nothing', () => {
    expect(verifyDevToken(secretKey, handMade(aClaims({ scope: '' })), now).scopes).toEqual([]);
  });

  it.each(badTokens)('refuses %s as %s', (_case, reason, token) => {
    expect(refusal(token).reason).toBe(reason);
  });

  it.each(badTokens)('never puts the token into the error (%s)', (_case, _reason, token) => {
    const error = refusal(token);
    expect(error.name).toBe('InvalidTokenError');
    const pieces = [token, ...token.split('.')].filter((piece) => piece.length >= 8);
    for (const piece of pieces) {
      expect(error.message).not.toContain(piece);
      expect(error.stack ?? '').not.toContain(piece);
    }
    expect(error.message).not.toMatch(/root|Alice|web-admins/);
  });

  it('refuses a secret key shorter than 32 bytes, as a programming error', () => {
    expect(() => verifyDevToken(randomBytes(16), good, now)).toThrow(RangeError);
  });
});
