import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleDirectoryFile } from '../../activities/directory/create-directory';
import { FileDirectory } from '../../activities/directory/file/file-directory';
import { DirectoryMemberships } from '../../apps/api/auth/memberships';
import { authenticate } from '../../apps/api/auth/authenticate';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { newApiToken } from '../../libs/auth/api-token';
import { ApiToken, AuditEvent } from '../../libs/domain';
import { createLogger } from '../../libs/logger';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * API tokens end to end (issue #7, item 4): made with an interactive credential and shown once,
 * presented as `Authorization: Bearer` to GraphQL with the powers of their scopes and no more,
 * refused once revoked, expired or with a wrong secret, and accepted by the production profile,
 * which refuses development tokens.
 */

const alice: DevTokenOptions = { userId: 'alice' };
const bob: DevTokenOptions = { userId: 'bob' };
const olivia: DevTokenOptions = { userId: 'olivia', operator: true };

const createMutation = /* GraphQL */ `
  mutation Create($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenPayload {
        secret
        token {
          id
          owner
          name
          scopes
          siteIds
          createdAt
          expiresAt
          lastUsedAt
          revokedAt
        }
      }
      ... on UserError {
        code
        field
      }
    }
  }
`;

const listQuery = /* GraphQL */ `
  query Tokens($first: Int, $after: String, $owner: String) {
    apiTokens(first: $first, after: $after, owner: $owner) {
      edges {
        cursor
        node {
          id
          owner
          name
          scopes
          siteIds
          expiresAt
          lastUsedAt
          revokedAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const revokeMutation = /* GraphQL */ `
  mutation Revoke($id: ID!) {
    revokeApiToken(input: { id: $id }) {
      __typename
      ... on RevokeApiTokenPayload {
        token {
          id
          revokedAt
        }
      }
      ... on UserError {
        code
      }
    }
  }
`;

const sitesQuery = /* GraphQL */ `
  query {
    sites(first: 100) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const reconfigureMutation = /* GraphQL */ `
  mutation Reconfigure($siteId: ID!) {
    reconfigureSite(input: { siteId: $siteId }) {
      __typename
      ... on UserError {
        code
      }
    }
  }
`;

const hostsQuery = /* GraphQL */ `
  query {
    hosts {
      name
    }
  }
`;

interface TokenFields {
  id: string;
  owner: string;
  name: string;
  scopes: string[];
  siteIds: string[] | null;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface CreateData {
  createApiToken:
    | { __typename: 'CreateApiTokenPayload'; secret: string; token: TokenFields }
    | { __typename: string; code: string; field: string | null };
}

interface ListData {
  apiTokens: {
    edges: { cursor: string; node: TokenFields }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe.each(databaseKinds)('API tokens on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  /** Two READY sites of alice's. */
  let siteA: string;
  let siteB: string;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`api-tokens-${kind}`) });
    [siteA, siteB] = await Promise.all([readySite(), readySite()]);
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function readySite(): Promise<string> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Tokens'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    await eventually(
      `site ${result.site.id} becoming READY`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (site) => site?.status === 'READY',
    );
    return result.site.id;
  }

  /** A request presenting a bearer token as it is, and the HTTP status of the answer. */
  async function withToken<T = Record<string, unknown>>(
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<GraphQLResponse<T> & { status: number }> {
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await response.json()) as GraphQLResponse<T>), status: response.status };
  }

  /** A new token made by `as`; fails the test on any other answer. */
  async function createToken(
    as: DevTokenOptions,
    input: Record<string, unknown>,
  ): Promise<{ secret: string; token: TokenFields }> {
    const response = await berth.graphql<CreateData>(createMutation, { input }, as);
    const result = response.data?.createApiToken;
    if (result?.__typename !== 'CreateApiTokenPayload') throw new Error(JSON.stringify(response));
    return result as { secret: string; token: TokenFields };
  }

  const siteIdsIn = (response: GraphQLResponse) =>
    (
      response.data as { sites?: { edges: { node: { id: string } }[] } } | null | undefined
    )?.sites?.edges.map((edge) => edge.node.id) ?? [];
  const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;

  it.skipIf(skip)('shows the secret once, and stores only its hash', async () => {
    const before = Date.now();
    const { secret, token } = await createToken(alice, { name: 'ci', scopes: ['READ_ONLY'] });
    expect(secret.startsWith(`berth_${token.id}_`)).toBe(true);
    expect(secret).toMatch(/^berth_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({
      owner: 'alice',
      name: 'ci',
      scopes: ['READ_ONLY'],
      siteIds: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    // 90 days by default.
    const ttl = Date.parse(token.expiresAt) - before;
    expect(ttl).toBeGreaterThan(90 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThan(90 * 86_400_000 + 60_000);

    const listed = await berth.graphql<ListData>(listQuery, {}, alice);
    expect(listed.data?.apiTokens.edges.map((edge) => edge.node.id)).toContain(token.id);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(-43));
    // The schema has no field that could show it again.
    const asked = await berth.graphql(`{ apiTokens { edges { node { secret } } } }`, {}, alice);
    expect(codeOf(asked)).toBe('GRAPHQL_VALIDATION_FAILED');

    const rows = await forkEm(db.orm)
      .getConnection()
      .execute<Record<string, unknown>[]>('select * from api_token where id = ?', [token.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret.slice(-43));
    expect(rows[0]!.secret_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const audit = await forkEm(db.orm).find(AuditEvent, { target: token.id });
    expect(audit.map((event) => event.action)).toEqual(['api-token.created']);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(-43));
  });

  it.skipIf(skip)("a READ_ONLY token reads its owner's sites and changes nothing", async () => {
    const { secret, token } = await createToken(alice, { name: 'reader', scopes: ['READ_ONLY'] });
    const sites = await withToken(secret, sitesQuery);
    expect(siteIdsIn(sites)).toEqual(expect.arrayContaining([siteA, siteB]));
    const site = await withToken<SiteData>(secret, siteQuery, { id: siteA });
    expect(site.data?.site?.id).toBe(siteA);

    expect(codeOf(await withToken(secret, reconfigureMutation, { siteId: siteA }))).toBe(
      'FORBIDDEN',
    );
    expect(codeOf(await withToken(secret, hostsQuery))).toBe('FORBIDDEN');

    // Used: recorded, once (a second use within the minute writes nothing).
    const row = await forkEm(db.orm).findOneOrFail(ApiToken, { id: token.id });
    expect(row.lastUsedAt).toBeInstanceOf(Date);
    await withToken(secret, sitesQuery);
    const again = await forkEm(db.orm).findOneOrFail(ApiToken, { id: token.id });
    expect(again.lastUsedAt?.getTime()).toBe(row.lastUsedAt?.getTime());
    const listed = await berth.graphql<ListData>(listQuery, {}, alice);
    const node = listed.data?.apiTokens.edges.find((edge) => edge.node.id === token.id)?.node;
    expect(node?.lastUsedAt).not.toBeNull();
  });

  it.skipIf(skip)('a SITE token sees and changes its sites only', async () => {
    const { secret } = await createToken(alice, {
      name: 'deploy',
      scopes: ['SITE'],
      siteIds: [siteA],
    });
    expect(siteIdsIn(await withToken(secret, sitesQuery))).toEqual([siteA]);
    expect((await withToken<SiteData>(secret, siteQuery, { id: siteB })).data?.site).toBeNull();
    const elsewhere = await withToken<{ reconfigureSite: { code: string } }>(
      secret,
      reconfigureMutation,
      { siteId: siteB },
    );
    expect(elsewhere.data?.reconfigureSite.code).toBe('SITE_NOT_FOUND');
    const own = await withToken<{ reconfigureSite: { __typename: string } }>(
      secret,
      reconfigureMutation,
      { siteId: siteA },
    );
    expect(own.data?.reconfigureSite.__typename).toBe('SiteOperationPayload');
    expect(codeOf(await withToken(secret, hostsQuery))).toBe('FORBIDDEN');
  });

  it.skipIf(skip)('a SITE token names only sites its owner administers', async () => {
    const response = await berth.graphql<CreateData>(
      createMutation,
      { input: { name: 'theirs', scopes: ['SITE'], siteIds: [siteA] } },
      bob,
    );
    expect(response.data?.createApiToken).toMatchObject({
      code: 'SITE_NOT_FOUND',
      field: 'siteIds',
    });
    const noSites = await berth.graphql(
      createMutation,
      { input: { name: 'x', scopes: ['SITE'] } },
      alice,
    );
    expect(codeOf(noSites)).toBe('BAD_USER_INPUT');
  });

  it.skipIf(skip)('an OPERATOR token is only for operators, and operates', async () => {
    const refused = await berth.graphql(
      createMutation,
      { input: { name: 'op', scopes: ['OPERATOR'] } },
      alice,
    );
    expect(codeOf(refused)).toBe('FORBIDDEN');

    const { secret } = await createToken(olivia, { name: 'op', scopes: ['OPERATOR'] });
    const hosts = await withToken(secret, hostsQuery);
    expect(hosts.errors).toBeUndefined();
    expect((await withToken<SiteData>(secret, siteQuery, { id: siteB })).data?.site?.id).toBe(
      siteB,
    );
    const theirs = await withToken<ListData>(secret, listQuery, { owner: 'alice' });
    expect(theirs.data?.apiTokens.edges.length).toBeGreaterThan(0);
    // Someone else's list is an operator's business only.
    const { secret: readOnly } = await createToken(olivia, { name: 'ro', scopes: ['READ_ONLY'] });
    expect(codeOf(await withToken(readOnly, listQuery, { owner: 'alice' }))).toBe('FORBIDDEN');
    expect(codeOf(await withToken(readOnly, hostsQuery))).toBe('FORBIDDEN');
  });

  it.skipIf(skip)('a token cannot make tokens', async () => {
    const { secret } = await createToken(olivia, { name: 'op2', scopes: ['OPERATOR'] });
    const response = await withToken(secret, createMutation, {
      input: { name: 'child', scopes: ['READ_ONLY'] },
    });
    expect(codeOf(response)).toBe('FORBIDDEN');
  });

  it.skipIf(skip)('refuses a revoked token at once', async () => {
    const { secret, token } = await createToken(alice, { name: 'gone', scopes: ['READ_ONLY'] });
    expect((await withToken(secret, sitesQuery)).status).toBe(200);

    // Not by someone else (it reads as absent); by its owner, and idempotently.
    const bobs = await berth.graphql(revokeMutation, { id: token.id }, bob);
    expect(bobs.data?.revokeApiToken).toEqual({
      __typename: 'ApiTokenNotFoundError',
      code: 'API_TOKEN_NOT_FOUND',
    });
    const revoked = await berth.graphql<{
      revokeApiToken: { token: { revokedAt: string } };
    }>(revokeMutation, { id: token.id }, alice);
    expect(revoked.data?.revokeApiToken.token.revokedAt).toEqual(expect.any(String));

    const refused = await withToken(secret, sitesQuery);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]).toMatchObject({
      message: 'the token is not valid',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it.skipIf(skip)('an operator may revoke anyone’s token', async () => {
    const { secret, token } = await createToken(alice, { name: 'op-gone', scopes: ['READ_ONLY'] });
    const response = await berth.graphql(revokeMutation, { id: token.id }, olivia);
    expect(response.data?.revokeApiToken).toMatchObject({ __typename: 'RevokeApiTokenPayload' });
    expect((await withToken(secret, sitesQuery)).status).toBe(401);
  });

  it.skipIf(skip)('refuses an expired token and a wrong secret, alike', async () => {
    const { secret, token } = await createToken(alice, { name: 'old', scopes: ['READ_ONLY'] });
    const wrong = `berth_${token.id}_${Buffer.alloc(32, 7).toString('base64url')}`;
    const unknown = `berth_00000000-0000-4000-8000-000000000000_${secret.slice(-43)}`;
    for (const bad of [wrong, unknown, `${secret.slice(0, -1)}`]) {
      const refused = await withToken(bad, sitesQuery);
      expect(refused.status, bad).toBe(401);
      expect(refused.errors?.[0]?.message).toBe('the token is not valid');
    }

    await forkEm(db.orm).nativeUpdate(
      ApiToken,
      { id: token.id },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    const expired = await withToken(secret, sitesQuery);
    expect(expired.status).toBe(401);
    expect(expired.errors?.[0]?.message).toBe('the token is not valid');
  });

  it.skipIf(skip)('bounds the expiry to a year', async () => {
    const tooLate = new Date(Date.now() + 366 * 86_400_000).toISOString();
    const past = new Date(Date.now() - 60_000).toISOString();
    for (const expiresAt of [tooLate, past]) {
      const response = await berth.graphql(
        createMutation,
        { input: { name: 'x', scopes: ['READ_ONLY'], expiresAt } },
        alice,
      );
      expect(codeOf(response), expiresAt).toBe('BAD_USER_INPUT');
    }
    const inMonth = new Date(Date.now() + 30 * 86_400_000);
    const { token } = await createToken(alice, {
      name: 'month',
      scopes: ['READ_ONLY'],
      expiresAt: inMonth.toISOString(),
    });
    expect(Date.parse(token.expiresAt)).toBe(inMonth.getTime());
  });

  it.skipIf(skip)('pages through a user’s tokens, newest first', async () => {
    const owner: DevTokenOptions = { userId: uniqueName('pager') };
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await createToken(owner, { name: `t${i}`, scopes: ['READ_ONLY'] })).token.id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse<ListData> = await berth.graphql<ListData>(
        listQuery,
        { first: 2, after },
        owner,
      );
      seen.push(...(page.data?.apiTokens.edges.map((edge) => edge.node.id) ?? []));
      after = page.data?.apiTokens.pageInfo.hasNextPage
        ? page.data.apiTokens.pageInfo.endCursor
        : null;
    } while (after !== null);
    expect(seen).toEqual([...made].reverse());
  });

  it.skipIf(skip)(
    'counts the hourly token limit from the rows: one at a time, over a sliding hour',
    async () => {
      const limit = berth.config.rateLimits.tokenCreatePerHour;
      const owner = uniqueName('dora');
      const now = Date.now();
      // Made earlier: five an hour and a minute ago (out of the window), the rest 59 minutes ago.
      const made = (minutesAgo: number, i: number) => {
        const { tokenId, secretHash } = newApiToken(berth.config.secretKey);
        const row = new ApiToken({
          id: tokenId,
          owner,
          name: `earlier ${i}`,
          secretHash,
          scopes: ['read-only'],
          siteIds: null,
          expiresAt: new Date(now + 86_400_000),
        });
        row.createdAt = new Date(now - minutesAgo * 60_000);
        return row;
      };
      const inWindow = limit - 5;
      await forkEm(db.orm).persistAndFlush([
        ...Array.from({ length: 5 }, (_, i) => made(61, i)),
        ...Array.from({ length: inWindow }, (_, i) => made(59, 5 + i)),
      ]);

      // Ten at once: the five the window has room for are made, and no more.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          berth.graphql<CreateData>(
            createMutation,
            { input: { name: `parallel ${i}`, scopes: ['READ_ONLY'] } },
            { userId: owner },
          ),
        ),
      );
      const madeNow = answers.filter(
        (answer) => answer.data?.createApiToken?.__typename === 'CreateApiTokenPayload',
      );
      const refused = answers.filter(
        (answer) => answer.errors?.[0]?.extensions?.code === 'RATE_LIMITED',
      );
      expect({ made: madeNow.length, refused: refused.length }).toEqual({ made: 5, refused: 5 });
      expect(await forkEm(db.orm).count(ApiToken, { owner })).toBe(5 + inWindow + 5);
      // The oldest in the window leaves it about a minute from now.
      for (const answer of refused) {
        const wait = answer.errors![0]!.extensions!.retryAfterSeconds as number;
        expect(wait).toBeGreaterThan(30);
        expect(wait).toBeLessThanOrEqual(61);
      }
    },
  );

  it.skipIf(skip)("the operators' HTTP endpoints take an OPERATOR token only", async () => {
    const { secret: op } = await createToken(olivia, { name: 'tools', scopes: ['OPERATOR'] });
    const { secret: ro } = await createToken(olivia, { name: 'tools-ro', scopes: ['READ_ONLY'] });
    const call = (path: string, token: string | null, init: RequestInit = {}) =>
      fetch(`${berth.apiUrl}${path}`, {
        ...init,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      }).then((response) => response.status);
    const decode = { method: 'POST', body: JSON.stringify({ payloads: [] }) };
    expect(await call('/codec/decode', op, decode)).toBe(200);
    expect(await call('/codec/decode', ro, decode)).toBe(403);
    const tampered = `${op.slice(0, -2)}${op.at(-2) === 'A' ? 'B' : 'A'}${op.at(-1)}`;
    expect(await call('/codec/decode', tampered, decode)).toBe(401);
    expect(await call('/inventory/feed', op)).toBe(200);
    expect(await call('/inventory/feed', ro)).toBe(403);
  });

  it.skipIf(skip)(
    'the production profile accepts API tokens and refuses development tokens',
    async () => {
      const deps = {
        config: { ...berth.config, profile: 'production' as const },
        log: createLogger({ level: 'silent', name: 'api-tokens-test' }),
        orm: db.orm,
        memberships: new DirectoryMemberships(new FileDirectory(exampleDirectoryFile), {
          ttlMs: 0,
        }),
      };
      const { secret } = await createToken(alice, { name: 'prod', scopes: ['READ_ONLY'] });
      await expect(
        authenticate(deps, { authorization: `Bearer ${secret}` }),
      ).resolves.toMatchObject({
        userId: 'alice',
        via: 'api-token',
        scopes: ['sites:read'],
      });
      const devToken = berth.token(alice);
      await expect(authenticate(deps, { authorization: `Bearer ${devToken}` })).rejects.toThrow(
        GraphQLError,
      );
      await expect(
        authenticate({ ...deps, config: berth.config }, { authorization: `Bearer ${devToken}` }),
      ).resolves.toMatchObject({ via: 'dev-token' });
    },
  );
});
