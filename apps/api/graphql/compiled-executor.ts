import { type GatewayInterface } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  execute,
  type ExecutionResult,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  printSchema,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/** One operation to run, as Apollo hands it over once it has parsed and validated it. */
export interface Operation {
  document: DocumentNode;
  operationName: string | undefined;
  contextValue: unknown;
  variableValues: Record<string, unknown> | undefined;
}

/** What is known of one document: how often it ran, and its operations once compiled. */
interface Sighting {
  runs: number;
  compiled: Map<string, CompiledQuery | ExecutionResult>;
}

/**
 * Runs GraphQL operations, an operation seen before as JavaScript compiled for it (graphql-jit)
 * rather than through graphql-js's interpreter, which walks the document for every field of every
 * row: on a page of 50 sites, execution fell from a sixth of the api's CPU to a few percent
 * (sites-list benchmark).
 *
 * - An operation is compiled the second time its document runs, so a client that sends a new
 *   document each time makes the api compile nothing; the first run is graphql-js's own.
 * - Variables are checked by graphql-js first, so a bad one gets graphql-js's error, which Apollo
 *   answers as BAD_USER_INPUT with a 400, exactly as without compilation.
 * - Compiled operations live as long as their document in Apollo's document cache (bounded),
 *   which hands back the same parsed document for the same query text.
 */
export class CompiledExecutor {
  private readonly seen = new WeakMap<DocumentNode, Sighting>();

  constructor(private readonly schema: GraphQLSchema) {}

  async run(operation: Operation): Promise<ExecutionResult> {
    const definition = getOperationAST(operation.document, operation.operationName);
    const variables = operation.variableValues ?? {};
    if (definition?.variableDefinitions?.length) {
      const checked = getVariableValues(this.schema, definition.variableDefinitions, variables);
      if (checked.errors) return { errors: checked.errors };
    }
    let sighting = this.seen.get(operation.document);
    if (!sighting) this.seen.set(operation.document, (sighting = { runs: 0, compiled: new Map() }));
    sighting.runs++;
    if (sighting.runs < 2) {
      return execute({
        schema: this.schema,
        document: operation.document,
        operationName: operation.operationName,
        contextValue: operation.contextValue,
        variableValues: variables,
      });
    }
    const name = operation.operationName ?? '';
    let compiled = sighting.compiled.get(name);
    if (!compiled) {
      compiled = compileQuery(this.schema, operation.document, operation.operationName);
      sighting.compiled.set(name, compiled);
    }
    // Not compiled: the document has no such operation, or it is not executable; the result says
    // why, as graphql-js would have.
    if (!isCompiledQuery(compiled)) return compiled;
    return withGraphQLErrors(await compiled.query(undefined, operation.contextValue, variables));
  }

  /** Apollo's hook for an executor of its own (the gateway interface), on this schema. */
  gateway(): GatewayInterface {
    return {
      load: () =>
        Promise.resolve({
          schema: this.schema,
          executor: (request) =>
            this.run({
              document: request.document,
              operationName: request.operationName ?? undefined,
              contextValue: request.context,
              variableValues: request.request.variables,
            }),
        }),
      onSchemaLoadOrUpdate: (callback) => {
        callback({ apiSchema: this.schema, coreSupergraphSdl: printSchema(this.schema) });
        return () => undefined;
      },
      stop: () => Promise.resolve(),
    };
  }
}

/**
 * graphql-jit reports a field's failure with an error class of its own: it passes for graphql-js's
 * (`instanceof`), but may lack `extensions`, which Apollo's error formatting reads. Each becomes a
 * graphql-js error, with its message, locations, path, cause and extensions.
 */
function withGraphQLErrors(result: ExecutionResult): ExecutionResult {
  // Typed as graphql-js's errors, which is what this makes sure of.
  const errors = result.errors as readonly JitError[] | undefined;
  if (!errors?.some((error) => error.constructor !== GraphQLError)) return result;
  return {
    ...result,
    errors: errors.map((error) => {
      if (error.constructor === GraphQLError) return error;
      const converted = new GraphQLError(error.message, {
        path: error.path,
        originalError: error.originalError,
        extensions: error.extensions,
      });
      // Where the failing field is in the document: graphql-jit gives it without the nodes.
      return Object.assign(converted, { locations: error.locations });
    }),
  };
}

/** What graphql-jit's errors carry, as graphql-js's do. */
type JitError = Pick<
  GraphQLError,
  'message' | 'locations' | 'path' | 'originalError' | 'extensions'
>;
