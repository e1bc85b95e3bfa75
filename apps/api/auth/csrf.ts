import { type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import { type IncomingMessage } from 'node:http';
import { type Principal } from '../../../libs/auth/principal';
import {
  cookieValue,
  csrfHeaderName,
  csrfTokenMatches,
  parseSessionCookie,
  sessionCookieName,
} from '../../../libs/auth/session';
import { type BerthConfig } from '../../../libs/config';
import { type SiteChildLoaders } from '../sites/site-children.loader';

/** What every GraphQL resolver gets in its context. */
export interface ApiContext {
  loaders: SiteChildLoaders;
  principal: Principal;
  /**
   * True unless the caller is a login session whose request lacks the session's CSRF token:
   * bearer tokens are never sent by a browser on its own, so only cookies need the check.
   */
  csrfChecked: boolean;
}

/** Whether this request may change things on behalf of its principal (see ApiContext). */
export function csrfChecked(
  config: BerthConfig,
  principal: Principal,
  request: IncomingMessage,
): boolean {
  if (principal.via !== 'session') return true;
  const presented = parseSessionCookie(
    cookieValue(request.headers.cookie, sessionCookieName) ?? '',
  );
  const header = request.headers[csrfHeaderName];
  return (
    presented !== undefined &&
    csrfTokenMatches(
      [config.secretKey, ...config.previousSecretKeys],
      presented,
      typeof header === 'string' ? header : undefined,
    )
  );
}

/**
 * Refuses mutations whose context failed the CSRF check, before any resolver runs. Queries pass:
 * they change nothing, and the same-origin policy (with the CORS allow-list) keeps another site
 * from reading their answers.
 */
export function csrfPlugin(): ApolloServerPlugin<ApiContext> {
  const listener: GraphQLRequestListener<ApiContext> = {
    didResolveOperation({ operation, contextValue }) {
      if (operation?.operation === OperationTypeNode.MUTATION && !contextValue.csrfChecked) {
        return Promise.reject(
          new GraphQLError(
            `a mutation from a login session needs the session's CSRF token in ${csrfHeaderName}`,
            { extensions: { code: 'FORBIDDEN', reason: 'CSRF', http: { status: 403 } } },
          ),
        );
      }
      return Promise.resolve();
    },
  };
  return { requestDidStart: () => Promise.resolve(listener) };
}
