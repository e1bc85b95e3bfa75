import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleDirectoryFile } from '../../activities/directory/create-directory';
import { FileDirectory } from '../../activities/directory/file/file-directory';
import {
  type DevLoginProvider,
  startDevLoginProvider,
} from '../../apps/dev-login/dev-login-provider';
import { loadConfig } from '../../libs/config';
import { forkEm } from '../../libs/db/orm';
import { AuditEvent, LoginSession, Site } from '../../libs/domain';
import { type BerthStack, startBerth } from '../helpers/berth';
import { browserLogIn, sessionGraphql, sessionInfo } from '../helpers/browser-login';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { freePort } from '../helpers/free-port';
import { requestSiteMutation } from '../helpers/graphql-documents';
import { CookieJar, type OidcProviderServer, startOidcProvider } from '../helpers/oidc-provider';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const sitesQuery = '{ sites(first: 5) { edges { node { name owner } } } }';

/**
 * Browser login (issue #7) against a real OIDC provider (`oidc-provider` on loopback): the
 * authorization code flow with PKCE ends in a session cookie that GraphQL accepts, mutations from
 * it need its CSRF token, logging out ends it, and a broken or replayed callback makes nothing.
 * Groups come from the directory (the example file: alice is in webmasters), not the provider.
 */
describe.skipIf(temporalUnavailable())('browser login', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let provider: OidcProviderServer;
  let berth: BerthStack;
  let apiPort: number;

  beforeAll(async () => {
    apiPort = await freePort();
    [temporal, db, provider] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      startOidcProvider({
        users: [
          // The provider says alice is an operator; only the directory may say so.
          { sub: 'u-1', preferredUsername: 'alice', groups: ['berth-operators'] },
          { sub: 'u-2', preferredUsername: 'olivia' },
          { sub: 'u-3', preferredUsername: 'Not A Uid' },
        ],
        redirectUris: [`http://127.0.0.1:${apiPort}/auth/callback`],
      }),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('login'),
      apiPort,
      env: {
        BERTH_OIDC_ISSUER: provider.issuer,
        BERTH_OIDC_AUDIENCE: provider.audience,
        BERTH_OIDC_CLIENT_ID: provider.clientId,
        BERTH_OIDC_CLIENT_SECRET: provider.clientSecret,
      },
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), provider?.stop()]);
  });

  async function logIn(login: string, returnTo?: string) {
    return browserLogIn(berth.apiUrl, provider.issuer, login, returnTo);
  }

  async function count(entity: typeof Site | typeof LoginSession): Promise<number> {
    return forkEm(db.orm).count(entity, {});
  }

  it('logs in with code + PKCE and sets a Secure, HttpOnly, SameSite session cookie', async () => {
    const { jar, callback } = await logIn('u-1', '/explorer?tab=1');

    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/explorer?tab=1');
    const cookie = callback.headers
      .getSetCookie()
      .find((line) => line.startsWith('__Host-berth_session='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    // The login's state cookie is spent.
    expect(jar.get('__Host-berth_login')).toBeUndefined();

    const info = await sessionInfo(berth.apiUrl, jar);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ userId: 'alice', groups: ['webmasters'], operator: false });
    expect(info.body.csrfToken).toEqual(expect.any(String));
  });

  it('answers GraphQL for the session, and needs the CSRF token for mutations', async () => {
    const { jar } = await logIn('u-1');
    const csrf = (await sessionInfo(berth.apiUrl, jar)).body.csrfToken as string;
    const sitesBefore = await count(Site);

    const listed = await sessionGraphql(berth.apiUrl, jar, sitesQuery);
    expect(listed.body.errors).toBeUndefined();

    const input = { input: { name: uniqueName('Session site'), contactEmail: 'a@example.org' } };
    const refused = await sessionGraphql(berth.apiUrl, jar, requestSiteMutation, input);
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'CSRF',
    });
    const wrongToken = await sessionGraphql(
      berth.apiUrl,
      jar,
      requestSiteMutation,
      input,
      `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`,
    );
    expect(wrongToken.body.errors?.[0]?.extensions?.reason).toBe('CSRF');
    expect(await count(Site)).toBe(sitesBefore);

    const accepted = await sessionGraphql(berth.apiUrl, jar, requestSiteMutation, input, csrf);
    expect(accepted.body.errors).toBeUndefined();
    expect(await count(Site)).toBe(sitesBefore + 1);
    const mine = await sessionGraphql(berth.apiUrl, jar, sitesQuery);
    expect(JSON.stringify(mine.body.data)).toContain(input.input.name);
  });

  it('takes operator powers from the directory, not from what the provider claims', async () => {
    const alice = await logIn('u-1');
    const olivia = await logIn('u-2');
    const hosts = '{ hosts { name } }';
    const refused = await sessionGraphql(berth.apiUrl, alice.jar, hosts);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const allowed = await sessionGraphql(berth.apiUrl, olivia.jar, hosts);
    expect(allowed.body.errors).toBeUndefined();
  });

  it('ends the session at logout (with its CSRF token), audited', async () => {
    const { jar } = await logIn('u-1');
    const csrf = (await sessionInfo(berth.apiUrl, jar)).body.csrfToken as string;
    const cookieBefore = jar.header();

    const withoutToken = await fetch(`${berth.apiUrl}/auth/logout`, {
      method: 'POST',
      headers: { cookie: cookieBefore },
    });
    expect(withoutToken.status).toBe(403);
    expect((await sessionInfo(berth.apiUrl, jar)).status).toBe(200);

    const loggedOut = await fetch(`${berth.apiUrl}/auth/logout`, {
      method: 'POST',
      headers: { cookie: cookieBefore, 'x-berth-csrf': csrf },
    });
    expect(loggedOut.status).toBe(204);
    jar.take(loggedOut);
    expect(jar.get('__Host-berth_session')).toBeUndefined();

    // The old cookie, kept by someone, no longer works anywhere.
    const replayed = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookieBefore },
      body: JSON.stringify({ query: sitesQuery }),
    });
    expect(replayed.status).toBe(401);
    const sessionId = /__Host-berth_session=([^.]+)\./.exec(cookieBefore)![1]!;
    const actions = (await forkEm(db.orm).find(AuditEvent, { target: sessionId })).map(
      (event) => event.action,
    );
    expect(actions.sort()).toEqual(['session.created', 'session.ended']);
  });

  it('refuses an expired session', async () => {
    const { jar } = await logIn('u-1');
    const sessionId = /__Host-berth_session=([^.]+)\./.exec(jar.header())![1]!;
    await forkEm(db.orm).nativeUpdate(
      LoginSession,
      { id: sessionId },
      { expiresAt: new Date(Date.now() - 1000) },
    );
    expect((await sessionGraphql(berth.apiUrl, jar, sitesQuery)).status).toBe(401);
    expect((await sessionInfo(berth.apiUrl, jar)).status).toBe(401);
  });

  it('makes no session from a callback without its login, a replayed one, or a bad user', async () => {
    const sessions = await count(LoginSession);

    // The provider's answer reaching another browser (no login-state cookie).
    const started = await fetch(`${berth.apiUrl}/auth/login`, { redirect: 'manual' });
    const callbackUrl = await provider.logIn(started.headers.get('location')!, 'u-1');
    const stranger = await fetch(callbackUrl, { redirect: 'manual' });
    expect(stranger.status).toBe(400);

    // A callback replayed with a state cookie from another login.
    const other = new CookieJar();
    other.take(await fetch(`${berth.apiUrl}/auth/login`, { redirect: 'manual' }));
    const mixed = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { cookie: other.header() },
    });
    expect(mixed.status).toBe(400);

    // A tampered state cookie.
    const tampered = await fetch(callbackUrl, {
      redirect: 'manual',
      headers: { cookie: '__Host-berth_login=v1.AAAA.AAAA.AAAA' },
    });
    expect(tampered.status).toBe(400);

    // A user name that is not a directory uid.
    const bad = await logIn('u-3');
    expect(bad.callback.status).toBe(400);

    expect(await count(LoginSession)).toBe(sessions);
  });

  it('never redirects to another site after logging in', async () => {
    for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const { callback } = await logIn('u-1', returnTo);
      expect(callback.headers.get('location')).toBe('/explorer');
    }
  });

  it('takes bearer tokens as well, and a session on /graphql only (not on operator endpoints)', async () => {
    const token = await provider.userToken('u-1');
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: sitesQuery }),
    });
    expect(response.status).toBe(200);
    const { jar } = await logIn('u-2');
    const inventory = await fetch(`${berth.apiUrl}/inventory`, {
      headers: { cookie: jar.header() },
    });
    expect(inventory.status).toBe(401);
  });
});

describe.skipIf(temporalUnavailable())('the development login provider', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let devLogin: DevLoginProvider;
  let berth: BerthStack;
  const directory = new FileDirectory(exampleDirectoryFile);

  beforeAll(async () => {
    const apiPort = await freePort();
    const clientSecret = 'development-secret-of-this-test';
    [temporal, db, devLogin] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      startDevLoginProvider({
        port: await freePort(),
        directory,
        clientId: 'berth-dev',
        clientSecret,
        redirectUri: `http://127.0.0.1:${apiPort}/auth/callback`,
        audience: `http://127.0.0.1:${apiPort}/graphql`,
      }),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('dev-login'),
      apiPort,
      env: {
        BERTH_OIDC_ISSUER: devLogin.issuer,
        BERTH_OIDC_AUDIENCE: `http://127.0.0.1:${apiPort}/graphql`,
        BERTH_OIDC_CLIENT_ID: 'berth-dev',
        BERTH_OIDC_CLIENT_SECRET: clientSecret,
      },
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), devLogin?.stop(), directory.close()]);
  });

  it('logs in the people of the directory, with their groups', async () => {
    const { jar, callback } = await browserLogIn(berth.apiUrl, devLogin.issuer, 'olivia');
    expect(callback.status).toBe(303);
    expect((await sessionInfo(berth.apiUrl, jar)).body).toMatchObject({
      userId: 'olivia',
      groups: ['berth-operators'],
      operator: true,
    });
  });

  it('lets nobody in whom the directory does not know', async () => {
    const sessions = await forkEm(db.orm).count(LoginSession, {});
    await expect(browserLogIn(berth.apiUrl, devLogin.issuer, 'mallory')).rejects.toThrow();
    expect(await forkEm(db.orm).count(LoginSession, {})).toBe(sessions);
  });

  it('is refused by the production profile', () => {
    expect(() => loadConfig({ BERTH_PROFILE: 'production', BERTH_DEV_LOGIN: 'true' })).toThrow(
      /BERTH_DEV_LOGIN=true is refused by the production profile/,
    );
  });
});

describe.skipIf(temporalUnavailable())('the login routes’ rate limit', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('login-limit'),
      worker: false,
      env: {
        // A provider that is never reached: the limit answers before the login starts.
        BERTH_OIDC_ISSUER: 'http://127.0.0.1:9/',
        BERTH_OIDC_AUDIENCE: 'https://berth.test/api',
        BERTH_OIDC_CLIENT_ID: 'berth-test',
        BERTH_RATE_LIMIT_LOGIN_PER_MINUTE: '3',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it('answers 429 with Retry-After once a client has used its logins and callbacks', async () => {
    const statuses: number[] = [];
    for (const path of ['/auth/login', '/auth/callback', '/auth/login', '/auth/callback']) {
      const response = await fetch(`${berth.apiUrl}${path}`, { redirect: 'manual' });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    // The provider is down (503) and the callback has no login (400) until the limit answers.
    expect(statuses).toEqual([503, 400, 503, 429]);
    // Other routes are not limited by it.
    expect((await fetch(`${berth.apiUrl}/healthz`)).status).toBe(200);
  });
});
