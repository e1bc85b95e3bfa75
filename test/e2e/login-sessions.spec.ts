import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { csrfToken, newSession, sessionCookieName } from '../../libs/auth/session';
import { forkEm } from '../../libs/db/orm';
import { AuditEvent, LoginSession } from '../../libs/domain';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Login sessions through GraphQL: a user lists their own (`current` marks the one the request came
 * with) and ends any of them, an operator lists and ends anyone's, and someone else's session
 * reads as absent. An ended session is refused from the next request on, and each ending is
 * audited once. Sessions are made as `/auth/callback` makes them (a row holding the keyed hash of
 * a new cookie's secret), so that no OIDC provider is needed.
 */

const olivia: DevTokenOptions = { userId: 'olivia', operator: true };

const listQuery = /* GraphQL */ `
  query Sessions($first: Int, $after: String, $user: String) {
    loginSessions(first: $first, after: $after, user: $user) {
      edges {
        cursor
        node {
          id
          userId
          createdAt
          expiresAt
          lastSeenAt
          endedAt
          current
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const endMutation = /* GraphQL */ `
  mutation End($id: ID!) {
    endLoginSession(input: { id: $id }) {
      __typename
      ... on EndLoginSessionPayload {
        session {
          id
          userId
          endedAt
          current
        }
      }
      ... on UserError {
        code
        field
      }
    }
  }
`;

const sitesQuery = '{ sites(first: 1) { edges { node { id } } } }';

interface SessionFields {
  id: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string | null;
  endedAt: string | null;
  current: boolean;
}

interface ListData {
  loginSessions: {
    edges: { cursor: string; node: SessionFields }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface EndData {
  endLoginSession:
    | { __typename: 'EndLoginSessionPayload'; session: Omit<SessionFields, 'createdAt'> }
    | { __typename: string; code: string; field: string | null };
}

/** A session's cookie and CSRF token, as a browser holds them after logging in. */
interface TestSession {
  id: string;
  userId: string;
  cookie: string;
  csrf: string;
}

describe.each(databaseKinds)('login sessions on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`login-sessions-${kind}`),
      worker: false,
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** A session of `userId`, stored as logging in stores it: only its secret's keyed hash. */
  async function aSession(
    userId: string,
    fields: { createdAt?: Date; expiresAt?: Date; endedAt?: Date } = {},
  ): Promise<TestSession> {
    const secret = newSession(berth.config.secretKey);
    const row = new LoginSession({
      id: secret.sessionId,
      userId,
      secretHash: secret.secretHash,
      expiresAt: fields.expiresAt ?? new Date(Date.now() + 3_600_000),
    });
    row.createdAt = fields.createdAt ?? new Date();
    row.endedAt = fields.endedAt ?? null;
    await forkEm(db.orm).persistAndFlush(row);
    return {
      id: secret.sessionId,
      userId,
      cookie: `${sessionCookieName}=${secret.cookie}`,
      csrf: csrfToken(berth.config.secretKey, secret),
    };
  }

  /** A request from a browser holding the session (with its CSRF token unless told otherwise). */
  async function withSession<T = Record<string, unknown>>(
    session: TestSession,
    query: string,
    variables: Record<string, unknown> = {},
    options: { csrf: boolean } = { csrf: true },
  ): Promise<GraphQLResponse<T> & { status: number }> {
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: session.cookie,
        ...(options.csrf ? { 'x-berth-csrf': session.csrf } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await response.json()) as GraphQLResponse<T>), status: response.status };
  }

  const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
  const idsIn = (response: GraphQLResponse<ListData>) =>
    response.data?.loginSessions.edges.map((edge) => edge.node.id);

  async function endedAudits(sessionId: string): Promise<AuditEvent[]> {
    return forkEm(db.orm).find(AuditEvent, { target: sessionId, action: 'session.ended' });
  }

  async function endedAt(sessionId: string): Promise<Date | null> {
    return (await forkEm(db.orm).findOneOrFail(LoginSession, { id: sessionId })).endedAt;
  }

  /** The row's endedAt as the api answers it, or null. */
  async function endedAtText(sessionId: string): Promise<string | null> {
    return (await endedAt(sessionId))?.toISOString() ?? null;
  }

  it.skipIf(skip)("lists the caller's sessions and marks the one it came with", async () => {
    const user = uniqueName('lister');
    const here = await aSession(user, { createdAt: new Date(Date.now() - 60_000) });
    const elsewhere = await aSession(user);
    const someoneElses = await aSession(uniqueName('other'));

    const listed = await withSession<ListData>(here, listQuery);
    expect(listed.errors).toBeUndefined();
    const nodes = listed.data?.loginSessions.edges.map((edge) => edge.node);
    expect(nodes?.map((node) => [node.id, node.current])).toEqual([
      [elsewhere.id, false],
      [here.id, true],
    ]);
    expect(nodes?.every((node) => node.userId === user)).toBe(true);
    // The request itself presented it.
    expect(nodes?.find((node) => node.id === here.id)?.lastSeenAt).toEqual(expect.any(String));
    expect(idsIn(listed)).not.toContain(someoneElses.id);

    // The schema has no field that could show the secret's hash.
    const asked = await withSession(here, '{ loginSessions { edges { node { secretHash } } } }');
    expect(codeOf(asked)).toBe('GRAPHQL_VALIDATION_FAILED');
    // Another credential of the same user sees the same list, none of it current.
    const byToken = await berth.graphql<ListData>(listQuery, {}, { userId: user });
    expect(byToken.data?.loginSessions.edges.map((edge) => edge.node.current)).toEqual([
      false,
      false,
    ]);
  });

  it.skipIf(skip)(
    'pages through a user’s sessions newest first, ended and expired ones too',
    async () => {
      const user = uniqueName('pager');
      const now = Date.now();
      const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
      const made = [
        await aSession(user, { createdAt: at(0) }),
        // Two made in the same millisecond, which the page boundary falls between.
        await aSession(user, { createdAt: at(1) }),
        await aSession(user, { createdAt: at(1) }),
        await aSession(user, { createdAt: at(2), endedAt: at(1) }),
        await aSession(user, { createdAt: at(3), expiresAt: at(2) }),
      ];
      const [tieHigh, tieLow] = [made[1]!.id, made[2]!.id].sort().reverse();
      const expected = [made[0]!.id, tieHigh, tieLow, made[3]!.id, made[4]!.id];

      const seen: string[] = [];
      const pages: number[] = [];
      let after: string | null = null;
      do {
        const page: GraphQLResponse<ListData> = await berth.graphql<ListData>(
          listQuery,
          { first: 2, after },
          { userId: user },
        );
        expect(page.errors).toBeUndefined();
        seen.push(...(idsIn(page) ?? []));
        pages.push(page.data?.loginSessions.edges.length ?? 0);
        after = page.data?.loginSessions.pageInfo.hasNextPage
          ? page.data.loginSessions.pageInfo.endCursor
          : null;
      } while (after !== null && pages.length < 10);
      expect(seen).toEqual(expected);
      expect(pages).toEqual([2, 2, 1]);
    },
  );

  it.skipIf(skip)('refuses a cursor it did not make, an API token list’s among them', async () => {
    const user = uniqueName('cursor');
    await aSession(user);
    const made = await berth.graphql<{ createApiToken: { __typename: string } }>(
      `mutation { createApiToken(input: { name: "cursor", scopes: [READ_ONLY] }) { __typename } }`,
      {},
      { userId: user },
    );
    expect(made.data?.createApiToken.__typename).toBe('CreateApiTokenPayload');
    const tokens = await berth.graphql<{ apiTokens: { pageInfo: { endCursor: string } } }>(
      '{ apiTokens(first: 1) { pageInfo { endCursor } } }',
      {},
      { userId: user },
    );
    const tokenCursor = tokens.data?.apiTokens.pageInfo.endCursor;
    expect(tokenCursor).toEqual(expect.any(String));

    for (const after of [tokenCursor, 'not-a-cursor', Buffer.from('[]').toString('base64url')]) {
      const refused = await berth.graphql(listQuery, { after }, { userId: user });
      expect(codeOf(refused), after).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.extensions?.fields).toEqual([
        { field: 'after', message: 'not a cursor this API returned' },
      ]);
    }
  });

  it.skipIf(skip)("shows another user's sessions to operators only", async () => {
    const user = uniqueName('watched');
    const theirs = await aSession(user);

    const bob = await withSession(await aSession(uniqueName('bob')), listQuery, { user });
    expect(codeOf(bob)).toBe('FORBIDDEN');
    expect(bob.data ?? null).toBeNull();
    // Operator powers need a credential scoped for them, whoever holds it.
    const readOnly = await berth.graphql(
      listQuery,
      { user },
      { ...olivia, scopes: ['sites:read', 'sites:write'] },
    );
    expect(codeOf(readOnly)).toBe('FORBIDDEN');

    // An operator's own login session (the directory says olivia is one).
    const operator = await withSession<ListData>(await aSession('olivia'), listQuery, { user });
    expect(operator.errors).toBeUndefined();
    expect(operator.data?.loginSessions.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({ id: theirs.id, userId: user, current: false }),
    ]);
  });

  it.skipIf(skip)('ending the session a request came with refuses its cookie next', async () => {
    const user = uniqueName('leaver');
    const here = await aSession(user);
    const other = await aSession(user);

    // A mutation from a session needs its CSRF token, like every other.
    const forged = await withSession(here, endMutation, { id: here.id }, { csrf: false });
    expect(forged.status).toBe(403);
    expect(await endedAt(here.id)).toBeNull();

    const ended = await withSession<EndData>(here, endMutation, { id: here.id });
    expect(ended.data?.endLoginSession).toEqual({
      __typename: 'EndLoginSessionPayload',
      session: { id: here.id, userId: user, endedAt: await endedAtText(here.id), current: true },
    });
    expect(await endedAt(here.id)).toBeInstanceOf(Date);

    const refused = await withSession(here, sitesQuery);
    expect(refused.status).toBe(401);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    // Only that one: the user's other session goes on.
    const still = await withSession(other, sitesQuery);
    expect(still.status).toBe(200);
    expect(still.errors).toBeUndefined();

    const audits = await endedAudits(here.id);
    expect(audits.map((event) => [event.actor, event.summary])).toEqual([
      [user, `session of ${user} ended by ${user}`],
    ]);
  });

  it.skipIf(skip)("lets an operator end someone else's session", async () => {
    const user = uniqueName('compromised');
    const theirs = await aSession(user);
    expect((await withSession(theirs, sitesQuery)).status).toBe(200);

    const ended = await berth.graphql<EndData>(endMutation, { id: theirs.id }, olivia);
    expect(ended.data?.endLoginSession).toEqual({
      __typename: 'EndLoginSessionPayload',
      session: {
        id: theirs.id,
        userId: user,
        endedAt: await endedAtText(theirs.id),
        current: false,
      },
    });
    expect(await endedAt(theirs.id)).toBeInstanceOf(Date);
    expect((await withSession(theirs, sitesQuery)).status).toBe(401);
    const audits = await endedAudits(theirs.id);
    expect(audits.map((event) => [event.actor, event.summary])).toEqual([
      ['olivia', `session of ${user} ended by olivia`],
    ]);
  });

  it.skipIf(skip)("answers someone else's session as absent, and leaves it be", async () => {
    const user = uniqueName('victim');
    const theirs = await aSession(user);
    const stranger = await aSession(uniqueName('stranger'));
    const auditsBefore = await forkEm(db.orm).count(AuditEvent, {});

    const viaSession = await withSession<EndData>(stranger, endMutation, { id: theirs.id });
    const viaToken = await berth.graphql<EndData>(
      endMutation,
      { id: theirs.id },
      { userId: 'bob' },
    );
    const unknown = await berth.graphql<EndData>(
      endMutation,
      { id: '00000000-0000-4000-8000-000000000000' },
      { userId: 'bob' },
    );
    for (const response of [viaSession, viaToken, unknown]) {
      expect(response.data?.endLoginSession).toEqual({
        __typename: 'LoginSessionNotFoundError',
        code: 'LOGIN_SESSION_NOT_FOUND',
        field: 'id',
      });
    }

    expect(await endedAt(theirs.id)).toBeNull();
    expect(await forkEm(db.orm).count(AuditEvent, {})).toBe(auditsBefore);
    expect((await withSession(theirs, sitesQuery)).status).toBe(200);
  });

  it.skipIf(skip)('ends a session once, however many times it is asked', async () => {
    const user = uniqueName('twice');
    const session = await aSession(user);
    const first = await berth.graphql<EndData>(endMutation, { id: session.id }, { userId: user });
    const again = await berth.graphql<EndData>(endMutation, { id: session.id }, { userId: user });
    const endedFirst = (first.data?.endLoginSession as { session?: { endedAt: string } }).session;
    expect(endedFirst?.endedAt).toEqual(expect.any(String));
    expect(again.data?.endLoginSession).toEqual(first.data?.endLoginSession);
    expect(await endedAudits(session.id)).toHaveLength(1);

    // Several at once, by its user and an operator: one of them ends it and audits.
    const raced = await aSession(user);
    const callers = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? olivia : { userId: user }));
    const answers = await Promise.all(
      callers.map((as) => berth.graphql<EndData>(endMutation, { id: raced.id }, as)),
    );
    const times = answers.map(
      (answer) =>
        (answer.data?.endLoginSession as { session?: { endedAt: string } }).session?.endedAt,
    );
    expect(new Set(times)).toEqual(new Set([await endedAtText(raced.id)]));
    expect(await endedAudits(raced.id)).toHaveLength(1);
  });

  it.skipIf(skip)('refuses an id that is not a UUID v4, and writes nothing', async () => {
    const user = uniqueName('typo');
    const session = await aSession(user);
    const em = forkEm(db.orm);
    const before = {
      audits: await em.count(AuditEvent, {}),
      ended: await em.count(LoginSession, { endedAt: { $ne: null } }),
    };

    // Not a UUID at all, a UUID of another version, and a session's id with more after it.
    const v1 = '3b241101-e2bb-11ea-8000-0242ac120002';
    for (const id of ['not-a-uuid', v1, `${session.id}.x`]) {
      const refused = await withSession(session, endMutation, { id });
      expect(codeOf(refused), id).toBe('BAD_USER_INPUT');
      expect(refused.data?.endLoginSession ?? null).toBeNull();
    }

    expect({
      audits: await em.count(AuditEvent, {}),
      ended: await em.count(LoginSession, { endedAt: { $ne: null } }),
    }).toEqual(before);
    expect(await endedAt(session.id)).toBeNull();
  });
});
