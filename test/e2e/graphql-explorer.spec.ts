import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explorerContentSecurityPolicy } from '../../apps/api/explorer/explorer-page';
import { apiContentSecurityPolicy, securityHeaders } from '../../apps/api/graphql/security-headers';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

// The explorer and the headers do not depend on the database, so SQLite alone is enough here.
describe('the offline explorer and the security headers', () => {
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
      taskQueue: uniqueName('graphql-explorer'),
      worker: false,
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it.skipIf(skip)(
    "serves the explorer as HTML under a policy that allows only 'self'",
    async () => {
      const page = await fetch(`${berth.apiUrl}/explorer`, { headers: { accept: browserAccept } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html\b/);
      expect(page.headers.get('content-security-policy')).toBe(explorerContentSecurityPolicy);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(await page.text()).toMatch(/<title>Berth GraphQL explorer<\/title>/);
    },
  );

  it.skipIf(skip)('serves every script and style the page references itself', async () => {
    const pageUrl = `${berth.apiUrl}/explorer`;
    const html = await (await fetch(pageUrl)).text();
    const references = [
      ...[...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => ['script', m[1]!]),
      ...[...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/g)].map((m) => ['style', m[1]!]),
    ];
    expect(references.map(([kind]) => kind).sort()).toEqual(['script', 'style']);
    for (const [kind, reference] of references) {
      const url = new URL(reference!, pageUrl);
      expect(url.origin, `${reference} is on another host`).toBe(new URL(pageUrl).origin);
      const asset = await fetch(url);
      expect(asset.status, reference).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(
        kind === 'script' ? /^text\/javascript\b/ : /^text\/css\b/,
      );
      expect((await asset.text()).length).toBeGreaterThan(0);
    }
    // Nothing else on the page loads from anywhere: no absolute or protocol-relative URLs.
    expect(html).not.toMatch(/(?:src|href)="(?:[a-z]+:)?\/\//i);
  });

  it.skipIf(skip)(
    'lets a browser revalidate the explorer, and tags no GraphQL answer',
    async () => {
      for (const path of ['/explorer', '/explorer/explorer.js', '/explorer/explorer.css']) {
        const first = await fetch(`${berth.apiUrl}${path}`);
        const tag = first.headers.get('etag');
        expect(tag, path).toMatch(/^"[\w-]{27}"$/);
        // What a browser sends to revalidate (fetch alone would add `Cache-Control: no-cache`,
        // which asks for a full answer).
        const again = await fetch(`${berth.apiUrl}${path}`, {
          headers: { 'if-none-match': tag!, 'cache-control': 'max-age=0' },
        });
        expect(again.status, path).toBe(304);
      }
      const answer = await fetch(`${berth.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      // Unauthenticated or not, an answer to a POST is never revalidated: no tag to compute.
      expect(answer.headers.get('etag')).toBeNull();
    },
  );

  it.skipIf(skip)('sends a browser that opens /graphql to the explorer', async () => {
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      headers: { accept: browserAccept },
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/explorer');
  });

  it.skipIf(skip)("answers the page's own request shape with the token it sends", async () => {
    // What the page's Run button sends: JSON, with `Authorization: Bearer <token field>`.
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${berth.token({ userId: 'alice' })}`,
      },
      body: JSON.stringify({ query: '{ sites(first: 10) { totalCount } }', variables: {} }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { sites: { totalCount: 0 } } });
  });

  it.skipIf(skip)(
    'answers GraphQL over HTTP as Apollo does: POST, GET, and what it refuses',
    async () => {
      const authorization = `Bearer ${berth.token({ userId: 'alice' })}`;
      const post = await fetch(`${berth.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({
          query: 'query Q($n: Int!) { sites(first: $n) { totalCount } }',
          variables: { n: 3 },
        }),
      });
      const postBody = await post.text();
      expect(post.status).toBe(200);
      expect(post.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(post.headers.get('content-length')).toBe(String(Buffer.byteLength(postBody)));
      expect(JSON.parse(postBody)).toEqual({ data: { sites: { totalCount: 0 } } });

      // A GET carries the operation in its query string (and, against CSRF, a preflight header).
      const query = new URLSearchParams({
        query: 'query Q($n: Int!) { sites(first: $n) { totalCount } }',
        variables: JSON.stringify({ n: 2 }),
      }).toString();
      const get = await fetch(`${berth.apiUrl}/graphql?${query}`, {
        headers: { authorization, 'apollo-require-preflight': 'true' },
      });
      expect(get.status).toBe(200);
      expect(await get.json()).toEqual({ data: { sites: { totalCount: 0 } } });

      // A HEAD gets the headers of the answer a GET would get, its length included.
      const head = await fetch(`${berth.apiUrl}/graphql?${query}`, {
        method: 'HEAD',
        headers: { authorization, 'apollo-require-preflight': 'true' },
      });
      expect(head.headers.get('content-length')).toMatch(/^[1-9]\d*$/);
      expect(await head.text()).toBe('');

      const refused = {
        getWithoutQuery: await fetch(`${berth.apiUrl}/graphql?`, {
          headers: {
            authorization,
            'apollo-require-preflight': 'true',
            accept: 'application/json',
          },
        }),
        getWithoutPreflight: await fetch(`${berth.apiUrl}/graphql?${query}`, {
          headers: { authorization, accept: 'application/json' },
        }),
        mutationByGet: await fetch(
          `${berth.apiUrl}/graphql?${new URLSearchParams({ query: 'mutation { __typename }' }).toString()}`,
          { headers: { authorization, 'apollo-require-preflight': 'true' } },
        ),
        brokenJson: await fetch(`${berth.apiUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: '{"query": ',
        }),
        noBody: await fetch(`${berth.apiUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
        }),
      };
      expect(
        Object.fromEntries(Object.entries(refused).map(([what, r]) => [what, r.status])),
      ).toEqual({
        getWithoutQuery: 400,
        getWithoutPreflight: 400,
        mutationByGet: 405,
        brokenJson: 400,
        noBody: 400,
      });
    },
  );

  it.skipIf(skip)('puts the security headers on every kind of response', async () => {
    const responses = {
      graphql: await fetch(`${berth.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
      graphqlError: await fetch(`${berth.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ nope }' }),
      }),
      health: await fetch(`${berth.apiUrl}/healthz`),
      script: await fetch(`${berth.apiUrl}/explorer/explorer.js`),
      notFound: await fetch(`${berth.apiUrl}/no-such-page`),
      callback: await fetch(`${berth.apiUrl}/callbacks/vm/not-a-uuid`, { method: 'POST' }),
    };
    expect(responses.notFound.status).toBe(404);
    for (const [what, response] of Object.entries(responses)) {
      for (const [name, value] of Object.entries(securityHeaders)) {
        expect(response.headers.get(name), `${name} on ${what}`).toBe(value);
      }
      expect(response.headers.get('content-security-policy')).toBe(apiContentSecurityPolicy);
      expect(response.headers.get('x-powered-by'), `X-Powered-By on ${what}`).toBeNull();
    }
  });
});
