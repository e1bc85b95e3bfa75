import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsAllowedHeaders } from '../../apps/api/edge/graphql-cors';
import { securityHeaders, strictTransportSecurity } from '../../apps/api/graphql/security-headers';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { ApiToken } from '../../libs/domain';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * The api's edge over HTTP (issue #7, item 7): rate limits on API token creation and on refused
 * credentials, CORS for /graphql, and the security headers on every kind of answer. All test
 * traffic comes from 127.0.0.1, so limits per address are checked here on the whole path once;
 * how addresses and keys are told apart is in test/unit/edge.
 */

const panel = 'https://panel.berth.test';
const tokenLimit = 3;
const failureLimit = 4;

const createMutation = /* GraphQL */ `
  mutation Create($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on CreateApiTokenPayload {
        token {
          id
        }
      }
    }
  }
`;

const revokeMutation = /* GraphQL */ `
  mutation Revoke($input: RevokeApiTokenInput!) {
    revokeApiToken(input: $input) {
      __typename
    }
  }
`;

interface Answer {
  status: number;
  headers: Headers;
  body: GraphQLResponse & { error?: string; retryAfterSeconds?: number };
}

// SQLite alone: nothing here depends on the database kind.
describe('the api edge over HTTP', () => {
  const skip = temporalUnavailable();
  let temporal: TestTemporal;
  let db: TestDatabase;
  /** Public URL https, one CORS origin, a small token limit, no limit on refused credentials. */
  let berth: BerthStack;
  /** Defaults but for small limits on refused credentials and tokens; on berth's database. */
  let guarded: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    [berth, guarded] = await Promise.all([
      startBerth({
        db,
        temporal,
        taskQueue: uniqueName('edge'),
        worker: false,
        env: {
          BERTH_PUBLIC_URL: 'https://berth.test',
          BERTH_CORS_ORIGINS: `${panel},https://other-panel.berth.test:8443`,
          BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR: String(tokenLimit),
        },
      }),
      startBerth({
        db,
        temporal,
        taskQueue: uniqueName('edge-guarded'),
        worker: false,
        env: {
          BERTH_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: String(failureLimit),
          BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR: String(tokenLimit),
        },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([berth?.stop(), guarded?.stop()]);
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** One HTTP request to a stack; the body parsed when it is JSON. */
  async function call(
    stack: BerthStack,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Answer> {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('json');
    return {
      status: response.status,
      headers: response.headers,
      body: (json && text ? JSON.parse(text) : {}) as Answer['body'],
    };
  }

  function graphql(
    stack: BerthStack,
    query: string,
    options: { variables?: unknown; as?: DevTokenOptions; bearer?: string; origin?: string } = {},
  ): Promise<Answer> {
    const bearer = options.bearer ?? stack.token(options.as ?? { userId: 'alice' });
    return call(stack, '/graphql', {
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(options.origin ? { origin: options.origin } : {}),
      },
      body: { query, variables: options.variables ?? {} },
    });
  }

  const createToken = (as: DevTokenOptions, name: string, stack = berth) =>
    graphql(stack, createMutation, {
      as,
      variables: { input: { name, scopes: ['READ_ONLY'] } },
    });

  it.skipIf(skip)(
    'refuses API tokens past the hourly limit with RATE_LIMITED, and makes no row for them',
    async () => {
      const count = (owner: string) => forkEm(db.orm).count(ApiToken, { owner });
      for (let i = 1; i <= tokenLimit; i += 1) {
        const made = await createToken({ userId: 'alice' }, `edge ${i}`);
        expect(made.body.errors).toBeUndefined();
        expect(made.body.data).toMatchObject({
          createApiToken: { __typename: 'CreateApiTokenPayload' },
        });
      }

      const refused = await createToken({ userId: 'alice' }, 'one too many');
      // An execution result: 200, as GraphQL clients expect when there is `data`, null or not.
      expect(refused.status).toBe(200);
      expect(refused.body.data).toBeNull();
      expect(refused.body.errors).toHaveLength(1);
      const extensions = refused.body.errors![0]!.extensions!;
      expect(extensions.code).toBe('RATE_LIMITED');
      // At most three in any hour: the first of them was made seconds ago.
      expect(extensions.retryAfterSeconds).toBeGreaterThan(3_500);
      expect(extensions.retryAfterSeconds).toBeLessThanOrEqual(3_600);
      expect(refused.headers.get('retry-after')).toBe(String(extensions.retryAfterSeconds));
      expect(Object.keys(extensions).sort()).toEqual(['code', 'retryAfterSeconds']);
      expect(await count('alice')).toBe(tokenLimit);

      // The limit is per user: bob has his own.
      const bobs = await createToken({ userId: 'bob' }, 'bob 1');
      expect(bobs.body.data).toMatchObject({
        createApiToken: { __typename: 'CreateApiTokenPayload' },
      });
      expect(await count('bob')).toBe(1);
    },
  );

  it.skipIf(skip)(
    'counts API tokens made through every api process on the database, not per process',
    async () => {
      const count = (owner: string) => forkEm(db.orm).count(ApiToken, { owner });
      // Two processes, one database: carol's allowance is spent between them.
      for (const [i, stack] of [berth, guarded, berth].entries()) {
        const made = await createToken({ userId: 'carol' }, `carol ${i}`, stack);
        expect(made.body.data, String(i)).toMatchObject({
          createApiToken: { __typename: 'CreateApiTokenPayload' },
        });
      }
      for (const stack of [guarded, berth]) {
        const refused = await createToken({ userId: 'carol' }, 'one too many', stack);
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      }
      expect(await count('carol')).toBe(tokenLimit);

      // A revoked token still counts: revoking and making again is no way round the limit.
      const [first] = await forkEm(db.orm).find(
        ApiToken,
        { owner: 'carol' },
        { orderBy: { createdAt: 'asc' }, limit: 1 },
      );
      const revoked = await graphql(guarded, revokeMutation, {
        as: { userId: 'carol' },
        variables: { input: { id: first!.id } },
      });
      expect(revoked.body.data).toMatchObject({
        revokeApiToken: { __typename: 'RevokeApiTokenPayload' },
      });
      const again = await createToken({ userId: 'carol' }, 'after revoking', guarded);
      expect(again.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(await count('carol')).toBe(tokenLimit);
    },
  );

  it.skipIf(skip)(
    'answers 429 on every route to an address whose credentials were refused too often',
    async () => {
      const bad = 'not-a-token';
      for (let i = 0; i < failureLimit / 2; i += 1) {
        const graphqlAnswer = await graphql(guarded, '{ __typename }', { bearer: bad });
        expect(graphqlAnswer.status).toBe(401);
        expect(graphqlAnswer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        const inventory = await call(guarded, '/inventory', {
          headers: { authorization: `Bearer ${bad}` },
        });
        expect(inventory.status).toBe(401);
      }

      // A valid credential too: whether it is valid is what a guesser must not learn.
      const refused = await graphql(guarded, '{ __typename }');
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        errors: [
          {
            message: expect.stringMatching(/^too many refused credentials/) as string,
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) as number },
          },
        ],
      });
      const retryAfter = refused.body.errors![0]!.extensions!.retryAfterSeconds as number;
      // One failure's worth comes back every 60 / 4 = 15 s.
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(15);
      expect(refused.headers.get('retry-after')).toBe(String(retryAfter));
      for (const [name, value] of Object.entries(securityHeaders)) {
        expect(refused.headers.get(name), name).toBe(value);
      }

      const inventory = await call(guarded, '/inventory', {
        headers: { authorization: `Bearer ${guarded.token({ userId: 'olivia', operator: true })}` },
      });
      expect(inventory.status).toBe(429);
      expect(inventory.body).toEqual({
        error: 'rate_limited',
        retryAfterSeconds: expect.any(Number) as number,
      });

      // Health probes never authenticate, and a load balancer must reach them.
      expect((await call(guarded, '/healthz')).status).toBe(200);

      // With the limit off (the other stack), refused credentials stay plain 401s.
      for (let i = 0; i < failureLimit + 2; i += 1) {
        expect((await graphql(berth, '{ __typename }', { bearer: bad })).status).toBe(401);
      }
    },
  );

  it.skipIf(skip)('lets a listed origin call /graphql with credentials', async () => {
    const answer = await graphql(berth, '{ __typename }', { origin: panel });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ __typename: 'Query' });
    expect(answer.headers.get('access-control-allow-origin')).toBe(panel);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    expect(answer.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(answer.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it.skipIf(skip)('gives an unlisted origin no CORS headers', async () => {
    for (const origin of ['https://evil.test', `${panel}:444`, 'http://panel.berth.test', 'null']) {
      const answer = await graphql(berth, '{ __typename }', { origin });
      expect(answer.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(answer.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(answer.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it.skipIf(skip)('answers a preflight from a listed origin with what it may send', async () => {
    const preflight = await call(berth, '/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: panel,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-berth-csrf',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(panel);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')?.split(', ')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-berth-csrf']),
    );
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      corsAllowedHeaders.join(', '),
    );
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
  });

  it.skipIf(skip)('refuses a preflight from an unlisted origin, with no CORS headers', async () => {
    const preflight = await call(berth, '/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it.skipIf(skip)('still answers the explorer, which calls from its own origin', async () => {
    const page = await fetch(`${berth.apiUrl}/explorer`);
    expect(page.status).toBe(200);
    const answer = await graphql(berth, '{ sites(first: 1) { totalCount } }', {
      origin: berth.apiUrl,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { sites: { totalCount: 0 } } });
  });

  it.skipIf(skip)(
    'puts the security headers, and HSTS for an https public URL, on every kind of answer',
    async () => {
      const answers = {
        graphql: await graphql(berth, '{ __typename }'),
        graphqlInvalid: await graphql(berth, '{ nope }'),
        graphqlUnauthenticated: await graphql(berth, '{ __typename }', { bearer: 'bad' }),
        notFound: await call(berth, '/no-such-page'),
        preflight: await call(berth, '/graphql', {
          method: 'OPTIONS',
          headers: { origin: panel, 'access-control-request-method': 'POST' },
        }),
        refusedPreflight: await call(berth, '/graphql', {
          method: 'OPTIONS',
          headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
        }),
      };
      expect(
        Object.fromEntries(Object.entries(answers).map(([what, a]) => [what, a.status])),
      ).toEqual({
        graphql: 200,
        graphqlInvalid: 400,
        graphqlUnauthenticated: 401,
        notFound: 404,
        preflight: 204,
        refusedPreflight: 403,
      });
      for (const [what, answer] of Object.entries(answers)) {
        for (const [name, value] of Object.entries(securityHeaders)) {
          expect(answer.headers.get(name), `${name} on ${what}`).toBe(value);
        }
        expect(answer.headers.get('strict-transport-security'), what).toBe(strictTransportSecurity);
        expect(answer.headers.get('x-powered-by'), what).toBeNull();
      }
      // Over a plain-http public URL there is no HSTS to send.
      const plain = await call(guarded, '/healthz');
      expect(plain.headers.get('strict-transport-security')).toBeNull();
      expect(plain.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );
});
