import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Em, forkEm } from '../../libs/db/orm';
import {
  NetworkConfig,
  Operation,
  Site,
  SiteEvent,
  SiteRole,
  type SiteStatus,
} from '../../libs/domain';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

interface Page {
  sites: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: {
      node: {
        name: string;
        status: string;
        createdAt: string;
        events: { edges: { node: { action: string } }[]; pageInfo: { hasNextPage: boolean } };
        operations: { edges: { node: { kind: string } }[] };
      };
    }[];
  };
}

const listQuery = /* GraphQL */ `
  query List($first: Int!, $after: String, $filter: SiteFilterInput, $orderBy: SiteOrder) {
    sites(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          name
          status
          createdAt
          events(first: 3) {
            edges {
              node {
                action
              }
            }
            pageInfo {
              hasNextPage
            }
          }
          operations(first: 2) {
            edges {
              node {
                kind
              }
            }
          }
        }
      }
    }
  }
`;

describe.each(databaseKinds)('site lists on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let statements: string[] = [];
  const prefix = uniqueName('list');

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([
      startTemporal(),
      startDatabase(kind, { onQuery: (sql) => statements.push(sql) }),
    ]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName('lists'), worker: false });
    await seed(db, prefix);
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function list(variables: Record<string, unknown>) {
    const response = await berth.graphql<Page>(listQuery, { first: 20, ...variables });
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.sites;
  }

  it.skipIf(skip)(
    'reads a page of sites with their events and operations in four statements',
    async () => {
      statements = [];
      const page = await list({});
      expect(page.edges).toHaveLength(20);
      expect(page.edges.every((e) => e.node.events.edges.length === 3)).toBe(true);
      expect(page.edges.every((e) => e.node.events.pageInfo.hasNextPage)).toBe(true);
      expect(page.edges.every((e) => e.node.operations.edges.length === 2)).toBe(true);
      // Roles, the page (with its total and each site's addresses), the events, the operations:
      // never one per site.
      const sql = sqlIn(statements);
      expect(sql.length, sql.join('\n')).toBeLessThanOrEqual(4);
    },
  );

  it.skipIf(skip)('filters by status and by part of the name, in any case', async () => {
    const disabled = await list({ filter: { status: ['DISABLED'] } });
    expect(disabled.totalCount).toBe(10);
    expect(disabled.edges.every((e) => e.node.status === 'DISABLED')).toBe(true);
    const named = await list({ filter: { search: `${prefix.toUpperCase()}-SITE-0` } });
    expect(named.totalCount).toBe(10);
    // Taken literally on both databases: no site of alice's has a % or an _ in its name.
    for (const search of ['%', '_', '\\']) {
      expect((await list({ filter: { search } })).totalCount, search).toBe(0);
    }
  });

  it.skipIf(skip)('searches without a statement more, and for operators in three', async () => {
    statements = [];
    const mine = await list({ filter: { search: `${prefix}-site-1`, status: ['READY'] } });
    expect(mine.edges.map((e) => e.node.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${prefix}-site-${19 - i}`),
    );
    expect(sqlIn(statements).length, sqlIn(statements).join('\n')).toBeLessThanOrEqual(4);

    statements = [];
    const response = await berth.graphql<Page>(
      listQuery,
      { first: 20, filter: { search: prefix.toUpperCase() } },
      { userId: 'olivia', operator: true },
    );
    expect(response.data?.sites.totalCount, JSON.stringify(response.errors)).toBe(25);
    // The page, the events, the operations: no roles to look up.
    expect(sqlIn(statements).length, sqlIn(statements).join('\n')).toBeLessThanOrEqual(3);
  });

  it.skipIf(skip)('pages through every site by name, each exactly once', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await list({ first: 7, after, orderBy: 'NAME_ASC' });
      names.push(...page.edges.map((e) => e.node.name));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(names).toHaveLength(25);
    expect(names).toEqual([...names].sort());
  });

  it.skipIf(skip)('pages newest first and oldest first, each site exactly once', async () => {
    const read = async (orderBy: string) => {
      const names: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page = await list({ first: 6, after, orderBy });
        expect(page.totalCount).toBe(25);
        // Each site's time as seeded: site i at i minutes past midnight on 2026-01-01 (UTC).
        for (const { node } of page.edges) {
          const minute = Number(node.name.slice(-2));
          expect(node.createdAt, node.name).toBe(
            new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
          );
        }
        names.push(...page.edges.map((e) => e.node.name));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      return names;
    };
    const byAge = Array.from(
      { length: 25 },
      (_, i) => `${prefix}-site-${String(i).padStart(2, '0')}`,
    );
    expect(await read('CREATED_ASC')).toEqual(byAge);
    expect(await read('CREATED_DESC')).toEqual([...byAge].reverse());
  });

  it.skipIf(skip)('still counts the whole list on a page past its end', async () => {
    const all = await list({ first: 25, orderBy: 'NAME_ASC' });
    expect(all.pageInfo.hasNextPage).toBe(false);
    statements = [];
    const past = await list({ first: 5, after: all.pageInfo.endCursor, orderBy: 'NAME_ASC' });
    expect(past).toEqual({
      totalCount: 25,
      pageInfo: { hasNextPage: false, endCursor: null },
      edges: [],
    });
    // Roles, the empty page, then the count on its own.
    expect(sqlIn(statements).length, sqlIn(statements).join('\n')).toBeLessThanOrEqual(3);
  });

  it.skipIf(skip)("filters a site's events and operations, and pages through them", async () => {
    const query = /* GraphQL */ `
      query One($first: Int!, $after: String) {
        sites(first: 1, orderBy: NAME_ASC) {
          edges {
            node {
              picked: events(first: 5, actions: ["seed.1", "seed.3"]) {
                edges {
                  node {
                    action
                  }
                }
              }
              events(first: $first, after: $after) {
                edges {
                  node {
                    action
                  }
                }
                pageInfo {
                  hasNextPage
                  endCursor
                }
              }
              running: operations(status: [RUNNING]) {
                edges {
                  node {
                    status
                  }
                }
              }
              done: operations(status: [SUCCEEDED]) {
                edges {
                  node {
                    status
                  }
                }
              }
            }
          }
        }
      }
    `;
    interface One {
      sites: {
        edges: {
          node: {
            picked: { edges: { node: { action: string } }[] };
            events: {
              edges: { node: { action: string } }[];
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
            running: { edges: unknown[] };
            done: { edges: unknown[] };
          };
        }[];
      };
    }
    const first = await berth.graphql<One>(query, { first: 2 });
    const site = first.data!.sites.edges[0]!.node;
    expect(site.picked.edges.map((e) => e.node.action)).toEqual(['seed.1', 'seed.3']);
    expect(site.running.edges).toHaveLength(3);
    expect(site.done.edges).toHaveLength(0);
    expect(site.events.edges.map((e) => e.node.action)).toEqual(['seed.0', 'seed.1']);
    const rest = await berth.graphql<One>(query, {
      first: 10,
      after: site.events.pageInfo.endCursor,
    });
    const later = rest.data!.sites.edges[0]!.node.events;
    expect(later.edges.map((e) => e.node.action)).toEqual(['seed.2', 'seed.3', 'seed.4']);
    expect(later.pageInfo.hasNextPage).toBe(false);
  });

  it.skipIf(skip)('refuses a cursor made for another order', async () => {
    const first = await list({ first: 1, orderBy: 'NAME_ASC' });
    const response = await berth.graphql(listQuery, {
      first: 1,
      after: first.pageInfo.endCursor,
      orderBy: 'CREATED_ASC',
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.skipIf(skip)('refuses a cursor whose position is not a time', async () => {
    // The second is a valid JavaScript time that PostgreSQL cannot store.
    for (const position of ['yesterday', '+010000-01-01T00:00:00.000Z', '2026-01-01']) {
      const forged = Buffer.from(JSON.stringify(['CREATED_DESC', position, 'x'])).toString(
        'base64url',
      );
      const response = await berth.graphql(listQuery, { first: 1, after: forged });
      expect(response.data, position).toBeNull();
      expect(response.errors?.[0]?.extensions?.code, position).toBe('BAD_USER_INPUT');
    }
  });

  it.skipIf(skip)(
    "shows each site's server in use, breaks ties in time by id, and finds odd names",
    async () => {
      const bob = { userId: 'bob' };
      const ids = await seedBob(db);
      const query = /* GraphQL */ `
        query Bob($first: Int!, $after: String, $orderBy: SiteOrder, $search: String) {
          sites(first: $first, after: $after, orderBy: $orderBy, filter: { search: $search }) {
            totalCount
            pageInfo {
              hasNextPage
              endCursor
            }
            edges {
              node {
                id
                name
                hostname
                ipv4
                ipv6
              }
            }
          }
        }
      `;
      interface Node {
        id: string;
        name: string;
        hostname: string | null;
        ipv4: string | null;
        ipv6: string | null;
      }
      interface Sites {
        sites: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: Node }[];
        };
      }
      const read = async (orderBy: string) => {
        const nodes: Node[] = [];
        let after: string | null = null;
        for (let i = 0; i < 5; i++) {
          const response: GraphQLResponse<Sites> = await berth.graphql<Sites>(
            query,
            { first: 1, after, orderBy },
            bob,
          );
          const page: Sites['sites'] | undefined = response.data?.sites;
          if (!page) throw new Error(JSON.stringify(response.errors));
          nodes.push(...page.edges.map((e) => e.node));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        return nodes;
      };
      // All three were created in the same millisecond: the id decides, one page at a time.
      const byId = [...ids.all].sort();
      expect((await read('CREATED_ASC')).map((n) => n.id)).toEqual(byId);
      expect((await read('CREATED_DESC')).map((n) => n.id)).toEqual([...byId].reverse());
      const byName = await read('NAME_ASC');
      expect(byName.map((n) => n.name)).toEqual([...bobNames].sort());

      // The production server is the earliest row still in use, not an earlier released one;
      // the site itself reads the same.
      const served = byName.find((n) => n.id === ids.withHeldRow)!;
      expect(served).toMatchObject({
        hostname: 'bob-in-use.sites.berth.test',
        ipv4: '198.51.100.2',
        ipv6: '2001:db8:b0b::2',
      });
      const alone = await berth.graphql<{ site: { hostname: string | null } }>(
        'query One($id: ID!) { site(id: $id) { hostname } }',
        { id: ids.withHeldRow },
        bob,
      );
      expect(alone.data?.site.hostname).toBe('bob-in-use.sites.berth.test');
      expect(byName.find((n) => n.id === ids.withoutServer)).toMatchObject({
        hostname: null,
        ipv4: null,
        ipv6: null,
      });

      // Each odd character matches itself and nothing else.
      for (const [search, name] of [
        ['100%', bobNames[0]],
        ['_x', bobNames[1]],
        ["o'?", bobNames[2]],
        ['\\', bobNames[1]],
      ] as const) {
        const response = await berth.graphql<Sites>(query, { first: 5, search }, bob);
        expect(
          response.data?.sites.edges.map((e) => e.node.name),
          `${search}: ${JSON.stringify(response.errors)}`,
        ).toEqual([name]);
      }
    },
  );
});

function sqlIn(statements: string[]): string[] {
  return statements.filter((s) => /\b(select|insert|update|delete)\b/i.test(s));
}

/** A site the user owns and administers, created at the given time (persisted, not flushed). */
function persistSite(em: Em, user: string, name: string, createdAt: Date): Site {
  const site = new Site({
    id: randomUUID(),
    name,
    description: '',
    owner: user,
    contactEmail: `${user}@example.org`,
  });
  site.createdAt = createdAt;
  em.persist(site);
  em.persist(
    new SiteRole({
      id: randomUUID(),
      siteId: site.id,
      subjectType: 'user',
      subject: user,
      role: 'admin',
      grantedBy: user,
    }),
  );
  return site;
}

/** Bob's three sites: names with LIKE's and SQL's special characters. */
const bobNames = ['bob 100% site', 'bob a_x\\ site', "bob o'? site"] as const;

/**
 * Bob's three sites, created in the same millisecond: one with a released (held) server allocated
 * before the one it uses now, one with a server, one with none.
 */
async function seedBob(db: TestDatabase) {
  const em = forkEm(db.orm);
  const createdAt = new Date(Date.UTC(2026, 5, 1));
  const ids = bobNames.map((name) => persistSite(em, 'bob', name, createdAt).id);
  const network = (siteId: string, n: number, name: string, allocatedAt: Date) => {
    const row = new NetworkConfig({
      id: randomUUID(),
      vmId: randomUUID(),
      siteId,
      hostNumber: null,
      hostname: `${name}.sites.berth.test`,
      ipv4PoolId: 'bob-ipv4',
      ipv4Offset: n,
      ipv4: `198.51.100.${n}`,
      ipv6PoolId: 'bob-ipv6',
      ipv6Offset: n,
      ipv6: `2001:db8:b0b::${n}`,
    });
    row.allocatedAt = allocatedAt;
    return row;
  };
  const held = network(ids[0]!, 1, 'bob-released', new Date(Date.UTC(2026, 5, 1)));
  held.state = 'held';
  held.releasedAt = new Date(Date.UTC(2026, 5, 3));
  em.persist(held);
  em.persist(network(ids[0]!, 2, 'bob-in-use', new Date(Date.UTC(2026, 5, 2))));
  em.persist(network(ids[1]!, 3, 'bob-other', new Date(Date.UTC(2026, 5, 2))));
  await em.flush();
  return { all: ids, withHeldRow: ids[0]!, withoutServer: ids[2]! };
}

/** 25 sites administered by alice (10 disabled), each with 5 events and 3 operations. */
async function seed(db: TestDatabase, prefix: string): Promise<void> {
  const em = forkEm(db.orm);
  for (let i = 0; i < 25; i++) {
    const name = `${prefix}-site-${String(i).padStart(2, '0')}`;
    const site = persistSite(em, 'alice', name, new Date(Date.UTC(2026, 0, 1, 0, i)));
    site.status = (i < 10 ? 'disabled' : 'ready') satisfies SiteStatus;
    const id = site.id;
    for (let e = 0; e < 5; e++) {
      em.persist(new SiteEvent({ siteId: id, actor: 'system', action: `seed.${e}`, summary: '' }));
    }
    for (let o = 0; o < 3; o++) {
      em.persist(
        new Operation({
          id: randomUUID(),
          siteId: id,
          kind: 'configure',
          workflowId: `site/${id}`,
        }),
      );
    }
  }
  await em.flush();
}
