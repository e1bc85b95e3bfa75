import {
  buildSchema,
  execute,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  parse,
} from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { CompiledExecutor } from '../../../apps/api/graphql/compiled-executor';

// Counts compilations (vi.mock is hoisted above the imports).
const compiles = vi.hoisted(() => ({ count: 0 }));
vi.mock('graphql-jit', async (importOriginal) => {
  const jit = await importOriginal<typeof import('graphql-jit')>();
  return {
    ...jit,
    compileQuery: (...args: Parameters<typeof jit.compileQuery>) => {
      compiles.count++;
      return jit.compileQuery(...args);
    },
  };
});

interface Site {
  id: string;
  name: string;
  tags: string[];
}

/** A schema whose resolvers do what Berth's do: return objects, promises, and typed errors. */
function testSchema(): GraphQLSchema {
  const schema = buildSchema(`
    enum Order { NAME_ASC, NAME_DESC }
    input Filter { name: String!, limit: Int = 10 }
    interface Node { id: ID! }
    type Site implements Node { id: ID!, name: String!, tags: [String!]!, owner: String! }
    type Query {
      sites(filter: Filter, order: Order = NAME_ASC): [Site!]!
      node(id: ID!): Node
      refused: String
      broken: String!
      viewer: String
    }
    type Mutation { rename(id: ID!, name: String!): Site }
  `);
  const sites: Site[] = [
    { id: '1', name: 'alpha', tags: ['a'] },
    { id: '2', name: 'beta', tags: [] },
  ];
  const query = schema.getQueryType()!.getFields();
  query.sites!.resolve = (_: unknown, args: { filter?: { name: string }; order: string }) => {
    const found = sites.filter((site) => !args.filter || site.name.includes(args.filter.name));
    return Promise.resolve(args.order === 'NAME_DESC' ? [...found].reverse() : found);
  };
  query.node!.resolve = (_: unknown, args: { id: string }) => sites.find((s) => s.id === args.id);
  query.refused!.resolve = () => {
    throw new GraphQLError('not yours', { extensions: { code: 'FORBIDDEN', reason: 'test' } });
  };
  query.broken!.resolve = () => null;
  query.viewer!.resolve = (_: unknown, __: unknown, context: { user: string }) => context.user;
  schema.getMutationType()!.getFields().rename!.resolve = (
    _: unknown,
    args: { id: string; name: string },
  ) => {
    const site = sites.find((s) => s.id === args.id);
    if (site) site.name = args.name;
    return site;
  };
  (
    schema.getType('Site') as { getFields(): Record<string, { resolve?: unknown }> }
  ).getFields().owner!.resolve = (site: Site) => Promise.resolve(`owner of ${site.name}`);
  (schema.getType('Node') as unknown as { resolveType: () => string }).resolveType = () => 'Site';
  return schema;
}

/** What a client sees of a result (data and errors as JSON), and what Apollo reads of its errors. */
function seen(result: ExecutionResult) {
  return JSON.parse(
    JSON.stringify({
      data: result.data,
      errors: result.errors?.map((e) => ({
        ...e.toJSON(),
        // Apollo formats graphql-js's own errors, extensions and all (graphql-jit's may lack them).
        graphqlJsError: e.constructor === GraphQLError,
        extensions: e.extensions,
      })),
    }),
  ) as unknown;
}

const operations: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  {
    name: 'a list with a filter and an enum',
    query: '{ sites(filter: { name: "a" }, order: NAME_DESC) { id name tags } }',
  },
  {
    name: 'variables, fragments, aliases and __typename',
    query: `query Q($f: Filter, $o: Order) { first: sites(filter: $f, order: $o) { ...S } all: sites { id } }
            fragment S on Site { __typename id name owner }`,
    variables: { f: { name: 'e' }, o: 'NAME_ASC' },
  },
  { name: 'an interface', query: '{ node(id: "2") { __typename id ... on Site { name } } }' },
  { name: 'a typed error from a resolver', query: '{ refused sites { id } }' },
  { name: 'a null in a non-null field', query: '{ broken }' },
  { name: 'the context', query: '{ viewer }' },
  {
    name: '@skip and @include',
    query: 'query($s: Boolean!) { sites { id name @skip(if: $s) tags @include(if: $s) } }',
    variables: { s: true },
  },
];

describe('the compiled executor', () => {
  it.each(operations)(
    'answers $name as graphql-js does, each time',
    async ({ query, variables }) => {
      const schema = testSchema();
      const executor = new CompiledExecutor(schema);
      const document = parse(query);
      const expected = seen(
        await execute({
          schema,
          document,
          variableValues: variables,
          contextValue: { user: 'olivia' },
        }),
      );
      compiles.count = 0;
      for (let run = 0; run < 3; run++) {
        const result = await executor.run({
          document,
          operationName: undefined,
          contextValue: { user: 'olivia' },
          variableValues: variables,
        });
        expect(seen(result), `run ${run + 1}`).toEqual(expected);
      }
      // The first run is interpreted; the second compiles; the third reuses it.
      expect(compiles.count).toBe(1);
    },
  );

  it('keeps the typed error a resolver threw, its code and extensions, once compiled', async () => {
    const executor = new CompiledExecutor(testSchema());
    const document = parse('{ refused }');
    for (let run = 0; run < 3; run++) {
      const result = await executor.run({
        document,
        operationName: undefined,
        contextValue: {},
        variableValues: {},
      });
      const [error] = result.errors ?? [];
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error?.extensions).toEqual({ code: 'FORBIDDEN', reason: 'test' });
      expect(error?.path).toEqual(['refused']);
      expect(error?.originalError?.message).toBe('not yours');
    }
  });

  it("refuses bad variables with graphql-js's own errors, compiled or not", async () => {
    const executor = new CompiledExecutor(testSchema());
    const document = parse('query Q($f: Filter!) { sites(filter: $f) { id } }');
    const good = {
      document,
      operationName: 'Q',
      contextValue: {},
      variableValues: { f: { name: 'a' } },
    };
    await executor.run(good);
    await executor.run(good);
    for (const variableValues of [{}, { f: { name: 'a', extra: 1 } }, { f: { name: 7 } }]) {
      const result = await executor.run({ ...good, variableValues });
      expect(result.data).toBeUndefined();
      // What Apollo recognises as a variable's coercion error, to answer BAD_USER_INPUT with a 400.
      expect(result.errors?.[0]?.nodes?.[0]?.kind).toBe(Kind.VARIABLE_DEFINITION);
      expect(result.errors?.[0]?.message).toMatch(
        /^Variable "\$f" (got invalid value|of required type)/,
      );
    }
  });

  it('compiles nothing for documents that are each sent once, and runs mutations in order', async () => {
    const executor = new CompiledExecutor(testSchema());
    compiles.count = 0;
    for (let i = 0; i < 5; i++) {
      const result = await executor.run({
        document: parse(`{ node(id: "${(i % 2) + 1}") { id } }`),
        operationName: undefined,
        contextValue: {},
        variableValues: undefined,
      });
      expect(result.errors).toBeUndefined();
    }
    expect(compiles.count).toBe(0);

    const rename = parse(
      'mutation { a: rename(id: "1", name: "x") { name } b: rename(id: "1", name: "y") { name } }',
    );
    for (let run = 0; run < 2; run++) {
      const result = await executor.run({
        document: rename,
        operationName: undefined,
        contextValue: {},
        variableValues: {},
      });
      expect(result).toEqual({ data: { a: { name: 'x' }, b: { name: 'y' } } });
    }
  });

  it('answers an unknown operation name as graphql-js does', async () => {
    const schema = testSchema();
    const executor = new CompiledExecutor(schema);
    const document = parse('query A { viewer } query B { viewer }');
    const expected = seen(await execute({ schema, document, operationName: 'C' }));
    for (let run = 0; run < 2; run++) {
      expect(
        seen(
          await executor.run({
            document,
            operationName: 'C',
            contextValue: {},
            variableValues: {},
          }),
        ),
      ).toEqual(expected);
    }
  });
});
