import { GraphQLError } from 'graphql';

/**
 * How large one GraphQL operation may be. Checked before anything runs, so a client cannot make
 * the api resolve an unbounded tree of sites and events with one small request.
 */
export const queryLimits = {
  /** Nesting of fields, fragments followed; introspection (`__schema`, `__type`) is exempt. */
  maxDepth: 10,
  /** Aliased fields in one operation, fragments counted each time they are spread. */
  maxAliases: 30,
  /** Fields at the top of one operation. */
  maxRootFields: 50,
  /** Each field costs 1; a list field's selection is counted `first` times over. */
  maxCost: 5_000,
  /** How many items a list field is assumed to return when it has no `first` argument. */
  assumedListSize: 20,
} as const;

export type QueryLimits = { readonly [K in keyof typeof queryLimits]: number };

/** Which limit an operation broke, as clients see it in `extensions.limit`. */
export type QueryLimitName = 'depth' | 'aliases' | 'rootFields' | 'cost';

/** An operation over one of the query limits: refused whole, before any resolver runs. */
export function queryTooComplex(
  message: string,
  details: { limit: QueryLimitName; max: number; actual?: number },
  options: { nodes?: GraphQLError['nodes']; httpStatus?: number } = {},
): GraphQLError {
  return new GraphQLError(message, {
    nodes: options.nodes,
    extensions: {
      code: 'QUERY_TOO_COMPLEX',
      ...details,
      ...(options.httpStatus ? { http: { status: options.httpStatus } } : {}),
    },
  });
}
