import {
  type ApolloServerPlugin,
  type BaseContext,
  type GraphQLRequestListener,
} from '@apollo/server';
import { type FragmentDefinitionNode, GraphQLError, Kind } from 'graphql';
import { operationCost } from './operation-size';
import { queryLimits, type QueryLimits } from './query-limits';
import { costTooHigh } from './query-limits.rules';

/**
 * The half of the query limits that validation rules cannot do alone:
 * - Apollo wraps every validation error in its own ValidationError, whose code is always
 *   GRAPHQL_VALIDATION_FAILED; the rules' QUERY_TOO_COMPLEX code is put back here, so that a
 *   client can tell "too big" from "malformed".
 * - Validation runs once per document (Apollo caches the result) without variables, so the cost
 *   of `sites(first: $n)` is checked again here with the request's own variables (and only that
 *   of an operation that has variables: a sites list spent 2% of its CPU on walking it again).
 */
export function queryLimitsPlugin(limits: QueryLimits = queryLimits): ApolloServerPlugin {
  const listener: GraphQLRequestListener<BaseContext> = {
    didResolveOperation({ schema, document, operation, request }) {
      // Without variables, the cost is the one costLimitRule has already checked in validation.
      if (!operation?.variableDefinitions?.length) return Promise.resolve();
      const fragments = new Map(
        document.definitions
          .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
          .map((d) => [d.name.value, d]),
      );
      const cost = operationCost(schema, operation, (name) => fragments.get(name), {
        assumedListSize: limits.assumedListSize,
        variables: request.variables ?? {},
      });
      return cost > limits.maxCost
        ? Promise.reject(costTooHigh(cost, limits, { nodes: [operation], httpStatus: 400 }))
        : Promise.resolve();
    },
    didEncounterErrors({ errors }) {
      for (const error of errors) {
        const original = error.originalError;
        if (
          error.extensions.code === 'GRAPHQL_VALIDATION_FAILED' &&
          original instanceof GraphQLError &&
          original.extensions.code === 'QUERY_TOO_COMPLEX'
        ) {
          // The wrapper's extensions are its own copy, and errors are formatted after this hook.
          error.extensions.code = 'QUERY_TOO_COMPLEX';
        }
      }
      return Promise.resolve();
    },
  };
  return { requestDidStart: () => Promise.resolve(listener) };
}
