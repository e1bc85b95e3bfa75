import {
  buildSchema,
  getIntrospectionQuery,
  type GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { explorerPage } from '../../../apps/api/explorer/explorer-page';
import { maxNesting, operationCost } from '../../../apps/api/graphql/operation-size';
import { queryLimits } from '../../../apps/api/graphql/query-limits';
import { depthLimitRule, queryLimitRules } from '../../../apps/api/graphql/query-limits.rules';
import { schemaText } from '../../../apps/api/graphql/schema-text';
import { operationQuery, requestSiteMutation, siteQuery } from '../../helpers/graphql-documents';

let schema: GraphQLSchema;

beforeAll(async () => {
  schema = buildSchema(await schemaText());
});

/** Every error validation reports for the document, with graphql-js's rules first, as Apollo runs them. */
function check(document: string, rules = queryLimitRules(), on = schema): readonly GraphQLError[] {
  return validate(on, parse(document), [...specifiedRules, ...rules]);
}

function tooComplex(errors: readonly GraphQLError[]) {
  return errors.filter((e) => e.extensions.code === 'QUERY_TOO_COMPLEX');
}

/** `{ a1: ..., a2: ... }`: n root fields, each `selection`, aliased when `aliased`. */
function repeated(n: number, selection: string, aliased = true): string {
  const fields = Array.from({ length: n }, (_, i) => `${aliased ? `a${i}: ` : ''}${selection}`);
  return `{ ${fields.join('\n')} }`;
}

describe('query limit rules', () => {
  it('keep their numbers in one place', () => {
    expect(queryLimits).toEqual({
      maxDepth: 10,
      maxAliases: 30,
      maxRootFields: 50,
      maxCost: 5_000,
      assumedListSize: 20,
    });
  });

  it.each([
    ['the site query', siteQuery],
    ['the operation query', operationQuery],
    ['the request-site mutation', requestSiteMutation],
    ["the explorer's sample query", sampleQueryOfExplorer()],
    [
      'a page of sites with their latest events',
      `{ sites(first: 50) { totalCount pageInfo { endCursor hasNextPage }
           edges { cursor node { id name status hostname events(first: 10) { edges { node { at action } } } } } } }`,
    ],
  ])('accept %s', (_what, document) => {
    expect(check(document)).toEqual([]);
  });

  it('accept the introspection query that explorers and the schema test send', () => {
    expect(
      check(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true })),
    ).toEqual([]);
  });

  it('refuse 31 aliases and accept 30', () => {
    const refused = tooComplex(check(repeated(31, 'sites { totalCount }')));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toBe('Operation uses 31 aliases; the alias limit is 30');
    expect(refused[0]!.extensions).toMatchObject({ limit: 'aliases', max: 30, actual: 31 });
    expect(check(repeated(30, 'sites { totalCount }'))).toEqual([]);
  });

  it('count the aliases of a fragment each time it is spread', () => {
    const document = `{ sites { ...Aliased } again: sites { ...Aliased } }
      fragment Aliased on SiteConnection { ${Array.from({ length: 15 }, (_, i) => `t${i}: totalCount`).join(' ')} }`;
    expect(tooComplex(check(document))[0]?.extensions).toMatchObject({
      limit: 'aliases',
      actual: 31,
    });
  });

  it('refuse 51 root fields and accept 50', () => {
    const refused = tooComplex(check(repeated(51, 'operation(id: "1") { id }', false)));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toBe(
      'Operation selects 51 root fields; the root field limit is 50',
    );
    expect(check(repeated(50, 'operation(id: "1") { id }', false))).toEqual([]);
  });

  it("refuse a hundred sites' five hundred events each by cost", () => {
    const document = `{ sites(first: 100) { edges { node {
      events(first: 500) { edges { node { id action at } } } } } } }`;
    const refused = tooComplex(check(document));
    expect(refused).toHaveLength(1);
    // sites 1 + edges (1 + 100 × (node 1 + events (1 + edges (1 + 500 × (node 1 + 3 fields)))))
    expect(refused[0]!.extensions).toMatchObject({ limit: 'cost', max: 5000, actual: 200_302 });
    expect(refused[0]!.message).toMatch(/^Query cost 200302 is over the cost limit of 5000/);
  });

  it('size a list by its variable, its default, or the schema default', () => {
    const operation = onlyOperation(`query Sites($n: Int = 100, $e: Int!) {
      sites(first: $n) { edges { node { events(first: $e) { edges { node { id } } } } } }
      site(id: "1") { events { edges { node { id } } } }
    }`);
    const cost = (variables?: Record<string, unknown>) =>
      operationCost(schema, operation, () => undefined, { assumedListSize: 20, variables });
    // One site's events, e of them: events 1 + edges (1 + e × (node 1 + id 1)).
    const events = (e: number) => 1 + 1 + e * 2;
    // site: 1 + its events at the schema default of 50
    const site = 1 + events(50);
    // sites: 1 + edges (1 + n × (node 1 + events))
    expect(cost({ n: 10, e: 5 })).toBe(1 + 1 + 10 * (1 + events(5)) + site);
    expect(cost({ e: 5 })).toBe(1 + 1 + 100 * (1 + events(5)) + site);
    // $e unknown (as during validation): events falls back to its schema default of 50
    expect(cost()).toBe(1 + 1 + 100 * (1 + events(50)) + site);
  });

  it('assume 20 items for a list without a `first` argument', () => {
    const listSchema = buildSchema('type Query { tags: [Tag!]! } type Tag { name: String! }');
    const operation = onlyOperation('{ tags { name } }');
    expect(operationCost(listSchema, operation, () => undefined, { assumedListSize: 20 })).toBe(
      1 + 20 * 1,
    );
  });

  it('refuse nesting through fragments deeper than the limit', () => {
    const document = `{ ...Root }
      fragment Root on Query { sites { ...Connection } }
      fragment Connection on SiteConnection { edges { node { ...SiteEvents } } }
      fragment SiteEvents on Site { events(first: 1) { edges { node { id } } } }`;
    // sites > edges > node > events > edges > node > id: 7 levels, most through fragments.
    expect(check(document, [depthLimitRule(7)])).toEqual([]);
    const refused = check(document, [depthLimitRule(6)]);
    expect(refused.map((e) => e.message)).toEqual(['Query is 7 levels deep; the depth limit is 6']);
  });

  it('refuse a recursive type nested eleven levels through fragments', () => {
    // Berth's schema has no cycle yet, so depth 11 needs a type that refers to itself.
    const tree = buildSchema('type Query { node: Node } type Node { id: ID child: Node }');
    const nested = (levels: number) =>
      `{ node { ...Level1 } } ` +
      Array.from({ length: levels - 1 }, (_, i) =>
        i === levels - 2
          ? `fragment Level${i + 1} on Node { id }`
          : `fragment Level${i + 1} on Node { child { ...Level${i + 2} } }`,
      ).join(' ');
    expect(check(nested(10), queryLimitRules(), tree)).toEqual([]);
    const refused = tooComplex(check(nested(11), queryLimitRules(), tree));
    expect(refused.map((e) => e.message)).toEqual([
      'Query is 11 levels deep; the depth limit is 10',
    ]);
  });

  it('refuse a document nested a thousand levels deep instead of overflowing the stack', () => {
    const tree = buildSchema('type Query { node: Node } type Node { id: ID child: Node }');
    const fields = '{ node ' + '{ child '.repeat(1_500) + '{ id }' + ' }'.repeat(1_500) + ' }';
    const chain = Array.from({ length: 3_000 }, (_, i) =>
      i === 2_999 ? `fragment F${i} on Node { id }` : `fragment F${i} on Node { ...F${i + 1} }`,
    );
    const introspection = `{ __type(name: "Node") ${'{ ofType '.repeat(150)}{ name }${' }'.repeat(151)}`;
    for (const document of [fields, `{ node { ...F0 } } ${chain.join(' ')}`, introspection]) {
      const refused = tooComplex(check(document, queryLimitRules(), tree));
      expect(refused.map((e) => e.message)).toEqual([
        `Query nests selections more than ${maxNesting} levels deep; the depth limit is 10`,
      ]);
    }
  });

  it('measure fragments spread twice at every level in linear time', () => {
    // 2^40 paths if each spread were walked again; once per fragment, it is 40 fragments.
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1
        ? `fragment F${i} on SiteConnection { x: totalCount }`
        : `fragment F${i} on SiteConnection { ...F${i + 1} ...F${i + 1} }`,
    );
    const document = `{ sites { ...F0 } } ${fragments.join(' ')}`;
    const started = performance.now();
    const refused = tooComplex(check(document, queryLimitRules()));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(refused[0]?.extensions).toMatchObject({ limit: 'aliases', actual: 2 ** (levels - 1) });
  });

  it('stop at a fragment that spreads itself (graphql-js reports the cycle)', () => {
    const errors = check('{ ...Loop } fragment Loop on Query { sites { totalCount } ...Loop }');
    expect(errors.map((e) => e.message)).toEqual(['Cannot spread fragment "Loop" within itself.']);
  });
});

function onlyOperation(document: string): OperationDefinitionNode {
  const [operation] = parse(document).definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('not an operation');
  return operation;
}

/** The query the explorer page opens with, taken from its textarea. */
function sampleQueryOfExplorer(): string {
  const match = /<textarea id="query"[^>]*>([\s\S]*?)<\/textarea>/.exec(explorerPage);
  if (!match) throw new Error('the explorer page has no query textarea');
  return match[1]!;
}
