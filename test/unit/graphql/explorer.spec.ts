import { buildSchema, type GraphQLSchema, introspectionFromSchema } from 'graphql';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  explorerContentSecurityPolicy,
  explorerPage,
  explorerPaths,
} from '../../../apps/api/explorer/explorer-page';
import { explorerScript } from '../../../apps/api/explorer/explorer-script';
import { schemaText } from '../../../apps/api/graphql/schema-text';

let schema: GraphQLSchema;

beforeAll(async () => {
  schema = buildSchema(await schemaText());
});

/** The little of the DOM the explorer's script touches. */
class StandInElement {
  value = '';
  textContent = '';
  className = '';
  disabled = false;
  open = false;
  children: StandInElement[] = [];
  readonly listeners = new Map<string, (event: unknown) => void>();

  constructor(readonly tag: string) {}

  addEventListener(type: string, listener: (event: unknown) => void) {
    this.listeners.set(type, listener);
  }
  appendChild(child: StandInElement) {
    this.children.push(child);
    return child;
  }
  replaceChildren(...children: StandInElement[]) {
    this.children = children;
  }
  /** All text below this element, as a reader would see it. */
  text(): string {
    return this.textContent + this.children.map((c) => c.text()).join('');
  }
}

interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: { query: string; variables?: unknown; operationName?: string };
}

/**
 * Runs the script on a stand-in page whose fetch answers like the api: GraphQL by `answer`, and
 * `GET /auth/session` with `session` (401 when there is none).
 */
function openExplorer(
  answer: (body: SentRequest['body']) => unknown,
  session?: { userId: string; csrfToken: string },
) {
  const elements = new Map<string, StandInElement>();
  const byId = (id: string) => {
    if (!elements.has(id)) elements.set(id, new StandInElement(id));
    return elements.get(id)!;
  };
  const sent: SentRequest[] = [];
  const fetch = (
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ) => {
    if (url === explorerPaths.session) {
      return Promise.resolve(
        session
          ? new Response(JSON.stringify(session), { status: 200 })
          : new Response('{"message":"not logged in"}', { status: 401 }),
      );
    }
    const body = JSON.parse(init.body) as SentRequest['body'];
    sent.push({ url, method: init.method, headers: init.headers, body });
    return Promise.resolve(new Response(JSON.stringify(answer(body)), { status: 200 }));
  };
  const document = {
    documentElement: { dataset: { graphqlEndpoint: explorerPaths.graphql } },
    getElementById: byId,
    createElement: (tag: string) => new StandInElement(tag),
  };
  runInNewContext(explorerScript, { document, fetch });
  return { byId, sent };
}

const apiAnswer = (body: SentRequest['body']) =>
  body.query.includes('__schema')
    ? { data: introspectionFromSchema(schema) }
    : { data: { sites: { totalCount: 0 } } };

describe('the explorer page', () => {
  it('loads its script and style from the api only, and nothing inline', () => {
    const urls = [...explorerPage.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls.sort()).toEqual(
      [explorerPaths.style, explorerPaths.script, explorerPaths.login].sort(),
    );
    expect(explorerPage).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(explorerPage).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it("allows only 'self' in its content security policy", () => {
    const sources = explorerContentSecurityPolicy
      .split(';')
      .flatMap((directive) => directive.trim().split(/\s+/).slice(1));
    expect(new Set(sources)).toEqual(new Set(["'self'", "'none'"]));
  });

  it('writes text, never markup, and evaluates nothing', () => {
    expect(explorerScript).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect(explorerScript).not.toMatch(/\beval\(|new Function/);
  });
});

describe('the explorer script', () => {
  it('asks for a login or a token before listing the schema (the api answers no one without)', async () => {
    const page = openExplorer(apiAnswer);
    await vi.waitFor(() =>
      expect(page.byId('schema-status').textContent).toMatch(/^Log in, or paste a token/),
    );
    expect(page.sent).toEqual([]);
  });

  it('uses a login session: lists the schema, and sends its CSRF token instead of a bearer', async () => {
    const page = openExplorer(apiAnswer, { userId: 'alice', csrfToken: 'csrf-of-the-session' });
    await vi.waitFor(() => expect(page.byId('schema').children.length).toBeGreaterThan(0));
    expect(page.byId('login').textContent).toBe('Logged in as alice');
    expect(page.sent[0]!.headers).toMatchObject({ 'x-berth-csrf': 'csrf-of-the-session' });
    expect(page.sent[0]!.headers.authorization).toBeUndefined();
  });

  it('lists the schema from introspection once a token is given, the root types first', async () => {
    const page = openExplorer(apiAnswer);
    page.byId('token').value = 'dev.token.value';
    page.byId('token').listeners.get('change')!({});
    const schemaList = page.byId('schema');
    await vi.waitFor(() => expect(schemaList.children.length).toBeGreaterThan(0));
    const names = schemaList.children.map((type) => type.children[0]!.children[1]!.textContent);
    expect(names.slice(0, 2)).toEqual([' Query', ' Mutation']);
    expect(names).toContain(' Site');
    expect(names.some((name) => name.startsWith(' __'))).toBe(false);
    expect(schemaList.children[0]!.text()).toContain(
      'sites(after: String, filter: SiteFilterInput, first: Int! = 20, orderBy: SiteOrder! = CREATED_DESC): SiteConnection!',
    );
    expect(page.sent[0]!.headers.authorization).toBe('Bearer dev.token.value');
  });

  it('runs the query with its variables and the Bearer token from the token field', async () => {
    const page = openExplorer(apiAnswer);
    page.byId('query').value = 'query Count($n: Int!) { sites(first: $n) { totalCount } }';
    page.byId('variables').value = '{ "n": 3 }';
    page.byId('operation-name').value = 'Count';
    page.byId('token').value = '  dev.token.value ';
    page.byId('run').listeners.get('click')!({});

    await vi.waitFor(() => expect(page.byId('result').textContent).not.toBe(''));
    const run = page.sent.find((request) => !request.body.query.includes('__schema'))!;
    expect(run).toMatchObject({
      url: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dev.token.value' },
      body: { query: page.byId('query').value, variables: { n: 3 }, operationName: 'Count' },
    });
    expect(JSON.parse(page.byId('result').textContent)).toEqual({
      data: { sites: { totalCount: 0 } },
    });
    expect(page.byId('status').textContent).toBe('HTTP 200');
    expect(page.byId('run').disabled).toBe(false);
  });

  it('sends no Authorization header without a token', async () => {
    const page = openExplorer(apiAnswer);
    page.byId('query').value = '{ sites { totalCount } }';
    page.byId('run').listeners.get('click')!({});
    await vi.waitFor(() => expect(page.byId('result').textContent).not.toBe(''));
    const run = page.sent.find((request) => !request.body.query.includes('__schema'))!;
    expect(run.headers.authorization).toBeUndefined();
  });

  it('sends nothing when the variables are not a JSON object', () => {
    const page = openExplorer(apiAnswer);
    for (const variables of ['{ n: 3 }', '[1]']) {
      page.byId('variables').value = variables;
      page.byId('run').listeners.get('click')!({});
      expect(page.byId('status').textContent).toMatch(/^Variables must be a JSON object \(.+\)$/);
    }
    expect(page.sent).toEqual([]);
  });
});
