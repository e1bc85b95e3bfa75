import { type ValidationError } from 'class-validator';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { randomUUID } from 'node:crypto';
import { type Logger } from '../../../libs/logger';

/** Error codes a client may see in `extensions.code`, and nothing else. */
export const errorCodes = [
  // Apollo's code for an HTTP request it cannot take as one operation (a batch, no query).
  'BAD_REQUEST',
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'QUERY_TOO_COMPLEX',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  // Too many requests from one client address or user; `retryAfterSeconds` says when to retry.
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface FieldProblem {
  field: string;
  message: string;
}

/** Input that failed validation: names every field at fault. */
export function badUserInput(problems: FieldProblem[]): GraphQLError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new GraphQLError(`Invalid input: ${summary}`, {
    extensions: { code: 'BAD_USER_INPUT', fields: problems },
  });
}

export function serviceUnavailable(what: string): GraphQLError {
  return new GraphQLError(`${what} is unavailable; try again`, {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
}

/**
 * A request refused by a rate limit; `extensions.retryAfterSeconds` says when the same request
 * may succeed, and so does the `Retry-After` header. Refused before execution, the answer is a
 * 429; thrown by a resolver, it is a 200 like any result with `data` (Nest's Apollo driver
 * resets the status then, so that clients still read the result).
 */
export function rateLimited(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/** class-validator results, flattened to `input.field` paths. */
export function fieldProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/**
 * The one map from any error to what a client sees: known codes pass through; anything else
 * becomes INTERNAL_SERVER_ERROR with a correlation id that is also in the log, so no stack, SQL
 * or internal message reaches a client.
 */
export function formatGraphQLError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (
      typeof code === 'string' &&
      (errorCodes as readonly string[]).includes(code) &&
      code !== 'INTERNAL_SERVER_ERROR'
    ) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const correlationId = randomUUID();
    log.error(
      { err: unwrap(error), correlationId, path: formatted.path },
      'graphql request failed',
    );
    return {
      message: `Internal error (correlation id ${correlationId})`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    };
  };
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
