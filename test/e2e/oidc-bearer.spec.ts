import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { type OidcProviderServer, startOidcProvider } from '../helpers/oidc-provider';
import { type RequestSiteData, requestSiteMutation } from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Bearer access tokens from a real OIDC provider (the `oidc-provider` package on loopback) against
 * the api: the user the token names is the caller, operators come from the directory group in its
 * `groups` claim, and tokens for another audience, from another key or expired are refused.
 */
describe.skipIf(temporalUnavailable())('the api with OIDC bearer tokens', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let provider: OidcProviderServer;
  let berth: BerthStack;

  beforeAll(async () => {
    [temporal, db, provider] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      startOidcProvider({
        users: [
          { sub: 'u-1', preferredUsername: 'alice', groups: ['webmasters'] },
          { sub: 'u-2', preferredUsername: 'olivia', groups: ['berth-operators'] },
        ],
      }),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('oidc'),
      env: { BERTH_OIDC_ISSUER: provider.issuer, BERTH_OIDC_AUDIENCE: provider.audience },
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), provider?.stop()]);
  });

  async function graphql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        data?: Record<string, unknown> | null;
        errors?: { extensions?: { code?: string } }[];
      },
    };
  }

  it('takes the caller from the token: alice requests a site that is hers', async () => {
    const token = await provider.userToken('u-1');
    const requested = await graphql(token, requestSiteMutation, {
      input: { name: uniqueName('OIDC site'), contactEmail: 'alice@example.org' },
    });
    const result = (requested.body.data as RequestSiteData | undefined)?.requestSite;
    expect(result?.__typename).toBe('RequestSitePayload');
    const listed = await graphql(token, '{ sites(first: 5) { edges { node { owner } } } }');
    expect(listed.body.data).toEqual({ sites: { edges: [{ node: { owner: 'alice' } }] } });
    // She is no operator.
    const hosts = await graphql(token, '{ hosts { name } }');
    expect(hosts.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('makes members of the operator group operators, with the berth:operator scope only', async () => {
    const operator = await provider.userToken('u-2', {
      scope: 'openid berth:read berth:write berth:operator',
    });
    expect((await graphql(operator, '{ hosts { name } }')).body.errors).toBeUndefined();
    const withoutScope = await provider.userToken('u-2');
    const refused = await graphql(withoutScope, '{ hosts { name } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses tokens for another audience, from another signer or expired', async () => {
    const foreign = await provider.userToken('u-1', { resource: provider.otherAudience });
    const now = Math.floor(Date.now() / 1000);
    const expired = await provider.sign({
      iss: provider.issuer,
      aud: provider.audience,
      sub: 'u-1',
      preferred_username: 'alice',
      scope: 'berth:read',
      iat: now - 7200,
      exp: now - 3600,
    });
    for (const token of [foreign, expired, `${expired.slice(0, -4)}AAAA`]) {
      const answer = await graphql(token, '{ sites(first: 1) { edges { node { id } } } }');
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // Development tokens still work beside OIDC in the embedded profile.
    const dev = await graphql(
      berth.token({ userId: 'alice' }),
      '{ sites(first: 1) { edges { node { id } } } }',
    );
    expect(dev.status).toBe(200);
  });
});
