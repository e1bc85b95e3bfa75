import { GraphQLError } from 'graphql';
import { InvalidTokenError, verifyDevToken } from '../../../libs/auth/dev-token';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';

/**
 * Resolves the caller of one request from its `Authorization: Bearer` header, or refuses it
 * (401). Only the embedded profile accepts development tokens; real login arrives with #7.
 */
export function authenticate(
  config: BerthConfig,
  log: Logger,
  authorization: string | undefined,
): Principal {
  const token = /^Bearer ([A-Za-z0-9._-]{1,8192})$/.exec(authorization ?? '')?.[1];
  if (token === undefined) throw unauthenticated('a Bearer token is required');
  if (config.profile !== 'embedded') throw unauthenticated('the token is not valid');
  try {
    return verifyDevToken(config.secretKey, token);
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    // The reason goes to the log only; the caller learns nothing about which check failed.
    log.info({ reason: error.reason }, 'token refused');
    throw unauthenticated('the token is not valid');
  }
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) },
    },
  });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}
