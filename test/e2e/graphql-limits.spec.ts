import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

// The limits do not depend on the database, so SQLite alone is enough here.
describe('GraphQL query limits over HTTP', () => {
  const skip = temporalUnavailable();
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('graphql-limits'),
      worker: false,
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** POSTs any JSON body as alice and returns the HTTP status with the parsed answer. */
  async function post(body: unknown): Promise<{ status: number; answer: GraphQLResponse }> {
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${berth.token()}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, answer: (await response.json()) as GraphQLResponse };
  }

  it.skipIf(skip)('answers a page of sites with their events', async () => {
    const { status, answer } = await post({
      query: `{ sites(first: 50) { totalCount edges { node { id name events(first: 10) { edges { node { action } } } } } } }`,
    });
    expect(answer.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(answer.data).toEqual({ sites: { totalCount: 0, edges: [] } });
  });

  it.skipIf(skip)('answers the introspection query', async () => {
    const { status, answer } = await post({ query: getIntrospectionQuery() });
    expect(answer.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(answer.data).toHaveProperty('__schema.queryType.name', 'Query');
  });

  it.skipIf(skip)('refuses a query over the cost limit before running it', async () => {
    const { status, answer } = await post({
      query: `{ sites(first: 100) { edges { node { events(first: 500) { edges { node { id action } } } } } } }`,
    });
    expect(status).toBe(400);
    expect(answer.data).toBeUndefined();
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]!.message).toMatch(/over the cost limit of 5000/);
    expect(answer.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'cost',
      max: 5000,
    });
  });

  it.skipIf(skip)('refuses a query whose variables take it over the cost limit', async () => {
    const query = `query Pages($sites: Int!, $events: Int!) {
      sites(first: $sites) { edges { node { events(first: $events) { edges { node { id action } } } } } }
    }`;
    const small = await post({ query, variables: { sites: 10, events: 10 } });
    expect(small.answer.errors).toBeUndefined();

    const { status, answer } = await post({ query, variables: { sites: 100, events: 500 } });
    expect(status).toBe(400);
    expect(answer.data).toBeUndefined();
    expect(answer.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'cost',
    });
  });

  it.skipIf(skip)('refuses 31 aliases', async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `s${i}: sites { totalCount }`);
    const { status, answer } = await post({ query: `{ ${fields.join(' ')} }` });
    expect(status).toBe(400);
    expect(answer.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['Operation uses 31 aliases; the alias limit is 30', 'QUERY_TOO_COMPLEX'],
    ]);
  });

  it.skipIf(skip)(
    'accepts 30 aliases, and counts a fragment’s aliases at each spread',
    async () => {
      const fields = Array.from({ length: 30 }, (_, i) => `s${i}: sites { totalCount }`);
      const thirty = await post({ query: `{ ${fields.join(' ')} }` });
      expect(thirty.answer.errors).toBeUndefined();
      expect(thirty.status).toBe(200);

      // 16 aliases in a fragment spread twice: 32, though the text holds only 16.
      const aliased = Array.from({ length: 16 }, (_, i) => `t${i}: totalCount`).join(' ');
      const { status, answer } = await post({
        query: `{ sites { ...Aliased } again: sites { totalCount } more: sites { ...Aliased } }
        fragment Aliased on SiteConnection { ${aliased} }`,
      });
      expect(status).toBe(400);
      expect(answer.errors?.map((e) => e.extensions)).toEqual([
        expect.objectContaining({
          code: 'QUERY_TOO_COMPLEX',
          limit: 'aliases',
          max: 30,
          actual: 34,
        }),
      ]);
    },
  );

  it.skipIf(skip)('refuses 51 root fields', async () => {
    const fields = Array.from({ length: 51 }, () => '__typename');
    const { status, answer } = await post({ query: `{ ${fields.join(' ')} }` });
    expect(status).toBe(400);
    expect(answer.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['Operation selects 51 root fields; the root field limit is 50', 'QUERY_TOO_COMPLEX'],
    ]);
  });

  it.skipIf(skip)(
    'refuses an operation nested past the depth limit before running it',
    async () => {
      // Berth's schema has no type that contains itself, so no field path reaches depth 11; what a
      // client can nest without end is selection sets, through inline fragments and introspection.
      const fragments = `{ ${'... on Query { '.repeat(120)}sites { totalCount }${' }'.repeat(120)} }`;
      const introspection = `{ __type(name: "Site") ${'{ ofType '.repeat(120)}{ name }${' }'.repeat(121)}`;
      for (const query of [fragments, introspection]) {
        const { status, answer } = await post({ query });
        expect(status).toBe(400);
        expect(answer.data).toBeUndefined();
        expect(answer.errors?.map((e) => e.extensions)).toEqual([
          expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 10 }),
        ]);
      }
    },
  );

  it.skipIf(skip)('refuses a batch of operations in one request', async () => {
    const one = { query: '{ sites { totalCount } }' };
    const { status, answer } = await post([one, one]);
    expect(status).toBe(400);
    expect(Array.isArray(answer)).toBe(false);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['Operation batching disabled.', 'BAD_REQUEST'],
    ]);
  });
});
