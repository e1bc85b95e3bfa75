import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOidcBearerVerifier,
  OidcProviderUnavailableError,
  OidcTokenRefusedError,
  type OidcBearerVerifier,
  type OidcTokenRefusal,
} from '../../../libs/auth/oidc-bearer';
import { freePort } from '../../helpers/free-port';
import { startOidcProvider, type OidcProviderServer } from '../../helpers/oidc-provider';

const operatorGroup = 'berth-ops';

describe(createOidcBearerVerifier.name, () => {
  let provider: OidcProviderServer;
  let verifier: OidcBearerVerifier;

  beforeAll(async () => {
    provider = await startOidcProvider({
      users: [
        {
          sub: 'u-1001',
          preferredUsername: 'alice',
          groups: ['web-team', operatorGroup, 'Domain Users', 42 as unknown as string],
        },
        { sub: 'u-1002', preferredUsername: 'bob', groups: ['web-team'] },
        { sub: 'carol' },
        { sub: 'u-1004', preferredUsername: 'Mallory Smith' },
      ],
    });
    verifier = createOidcBearerVerifier({
      issuer: provider.issuer,
      audience: provider.audience,
      // Rotation must show without waiting for jose's 30 s default.
      jwksCooldownMs: 0,
    });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  /** The refusal reason of `token`, failing the test if it verifies or fails otherwise. */
  async function refusal(token: string, now?: Date): Promise<OidcTokenRefusal> {
    const error: unknown = await verifier.verify(token, now).then(
      () => new Error('the token was accepted'),
      (refused: unknown) => refused,
    );
    if (!(error instanceof OidcTokenRefusedError)) throw error;
    // The reason goes to the log; nothing of the token may go with it.
    expect(error.message).not.toContain(token.split('.')[1]);
    return error.reason;
  }

  function claimsOf(token: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  }

  it('maps a user token to its user and scopes, ignoring its groups claim', async () => {
    const token = await provider.userToken('u-1001');
    expect(claimsOf(token).groups).toContain(operatorGroup);

    // Groups, and with them the operator flag, are the directory's to say (DirectoryMemberships).
    expect(await verifier.verify(token)).toEqual({
      userId: 'alice',
      scopes: ['sites:read', 'sites:write'],
      via: 'oidc',
    });
  });

  it('grants Berth scopes only as the token scope names them', async () => {
    const reader = await provider.userToken('u-1002', { scope: 'openid berth:read' });
    const operator = await provider.userToken('u-1001', { scope: 'openid berth:operator' });

    expect(await verifier.verify(reader)).toMatchObject({ userId: 'bob', scopes: ['sites:read'] });
    expect((await verifier.verify(operator)).scopes).toEqual(['operator']);
  });

  it('uses sub when the token has no preferred_username', async () => {
    const token = await provider.userToken('carol');

    expect(await verifier.verify(token)).toMatchObject({ userId: 'carol' });
  });

  it('refuses a user name that is not a directory uid', async () => {
    expect(await refusal(await provider.userToken('u-1004'))).toBe('user-id');
  });

  it('refuses a token that grants no Berth scope', async () => {
    expect(await refusal(await provider.sign(validClaims(provider, { scope: 'openid' })))).toBe(
      'scope',
    );
  });

  it('refuses a token issued to a client for itself', async () => {
    const client = await import('openid-client');
    const config = await client.discovery(
      new URL(provider.issuer),
      provider.clientId,
      provider.clientSecret,
      undefined,
      { execute: [client.allowInsecureRequests] },
    );
    const tokens = await client.clientCredentialsGrant(config, {
      scope: 'berth:read',
      resource: provider.audience,
    });

    expect(await refusal(tokens.access_token)).toBe('no-user');
  });

  it('refuses an expired token', async () => {
    const token = await provider.userToken('u-1002');
    const exp = claimsOf(token).exp as number;

    // Within the clock tolerance it still passes; past it, it does not.
    await expect(verifier.verify(token, new Date((exp + 10) * 1000))).resolves.toBeDefined();
    expect(await refusal(token, new Date((exp + 31) * 1000))).toBe('expired');
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await provider.userToken('u-1002');
    const iat = claimsOf(token).iat as number;
    const notBefore = await provider.sign(
      validClaims(provider, { nbf: Math.floor(Date.now() / 1000) + 600 }),
    );

    expect(await refusal(token, new Date((iat - 120) * 1000))).toBe('not-yet-valid');
    expect(await refusal(notBefore)).toBe('not-yet-valid');
  });

  it('refuses a token meant for another audience', async () => {
    const token = await provider.userToken('u-1002', { resource: provider.otherAudience });

    expect(claimsOf(token).aud).toBe(provider.otherAudience);
    expect(await refusal(token)).toBe('audience');
  });

  it('refuses a token from another issuer, even signed with the provider key', async () => {
    const token = await provider.sign(validClaims(provider, { iss: 'https://idp.example.test' }));

    expect(await refusal(token)).toBe('issuer');
  });

  it('refuses a token signed with a key the provider does not hold', async () => {
    const jose = await import('jose');
    const { privateKey } = await jose.generateKeyPair('ES256');
    const sign = (kid: string) =>
      new jose.SignJWT(validClaims(provider))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
        .sign(privateKey);

    expect(await refusal(await sign(provider.currentKeyId()))).toBe('signature');
    expect(await refusal(await sign('attacker'))).toBe('unknown-key');
  });

  it('refuses alg none and HS256 keyed with the published JWKS', async () => {
    const claims = validClaims(provider);
    const unsigned = [encode({ alg: 'none', typ: 'JWT' }), encode(claims), ''].join('.');
    const jwksText = await (await fetch(`${provider.issuer}/jwks`)).text();
    const signingInput = `${encode({ alg: 'HS256', typ: 'JWT', kid: provider.currentKeyId() })}.${encode(claims)}`;
    const hmac = `${signingInput}.${createHmac('sha256', jwksText).update(signingInput).digest('base64url')}`;

    expect(await refusal(unsigned)).toBe('algorithm');
    expect(await refusal(hmac)).toBe('algorithm');
  });

  it('refuses what is not a JWT', async () => {
    expect(await refusal('not-a-jwt')).toBe('malformed');
    expect(await refusal('a'.repeat(9000))).toBe('malformed');
  });

  it('verifies tokens signed with rotated keys after refreshing the key set', async () => {
    const before = await provider.userToken('u-1002');
    await verifier.verify(before);

    await provider.rotateKeys();
    const after = await provider.userToken('u-1002');

    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString())).toMatchObject({
      kid: provider.currentKeyId(),
    });
    expect((await verifier.verify(after)).userId).toBe('bob');
    expect((await verifier.verify(before)).userId).toBe('bob');
  });

  it('reports an unreachable provider as unavailable, not as a bad token', async () => {
    const unreachable = createOidcBearerVerifier({
      issuer: `http://127.0.0.1:${await freePort()}`,
      audience: provider.audience,
    });
    const token = await provider.userToken('u-1002');

    await expect(unreachable.verify(token)).rejects.toBeInstanceOf(OidcProviderUnavailableError);
  });

  it('refuses an issuer that is neither https nor loopback', () => {
    expect(() =>
      createOidcBearerVerifier({ issuer: 'http://idp.example.test', audience: 'berth' }),
    ).toThrow(RangeError);
  });
});

/** Claims the verifier accepts, signed by whoever the test chooses; `overrides` spoil one. */
function validClaims(
  provider: OidcProviderServer,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: provider.issuer,
    aud: provider.audience,
    sub: 'u-1002',
    preferred_username: 'bob',
    client_id: provider.clientId,
    scope: 'berth:read',
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}

function encode(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
