import { ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import {
  ApiTokenRefusedError,
  lastUsedResolutionMs,
  looksLikeApiToken,
  parseApiToken,
  verifyApiToken,
} from '../../../libs/auth/api-token';
import { InvalidTokenError, verifyDevToken } from '../../../libs/auth/dev-token';
import {
  createOidcBearerVerifier,
  type OidcBearerVerifier,
  OidcProviderUnavailableError,
  OidcTokenRefusedError,
} from '../../../libs/auth/oidc-bearer';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { ApiToken } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';

/** What resolving a caller needs: the configuration, the log, and the database (API tokens). */
export interface AuthenticateDeps {
  config: BerthConfig;
  log: Logger;
  orm: Orm;
}

/**
 * Resolves the caller of one request from its `Authorization: Bearer` header, or refuses it
 * (401, one message whatever the reason; the reason goes to the log). API tokens are accepted in
 * every profile; development tokens only in the embedded one. Real login arrives with #7.
 */
export async function authenticate(
  deps: AuthenticateDeps,
  authorization: string | undefined,
): Promise<Principal> {
  const token = /^Bearer ([A-Za-z0-9._-]{1,8192})$/.exec(authorization ?? '')?.[1];
  if (token === undefined) throw unauthenticated('a Bearer token is required');
  if (looksLikeApiToken(token)) return authenticateApiToken(deps, token);
  // The path is chosen from the token's header, so a refusal's logged reason is unambiguous.
  const oidc = oidcVerifier(deps.config);
  if (oidc && !isDevTokenHeader(token)) return authenticateOidc(deps, oidc, token);
  if (deps.config.profile !== 'embedded') {
    refuse(deps.log, 'dev-token', 'profile');
  }
  try {
    return verifyDevToken(deps.config.secretKey, token);
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    refuse(deps.log, 'dev-token', error.reason);
  }
}

/**
 * One verifier per configuration (in practice per process): it caches the provider's discovery
 * document and keys. Made at the first request, so the api starts while the provider is down.
 */
const verifiers = new WeakMap<BerthConfig, OidcBearerVerifier>();

function oidcVerifier(config: BerthConfig): OidcBearerVerifier | undefined {
  if (!config.oidc) return undefined;
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = createOidcBearerVerifier({
      issuer: config.oidc.issuer,
      audience: config.oidc.audience,
      userIdClaim: config.oidc.userClaim,
      operatorGroup: config.directory.operatorGroup,
      clockToleranceSeconds: config.oidc.clockToleranceSeconds,
    });
    verifiers.set(config, verifier);
  }
  return verifier;
}

/** Development tokens name their key `dev` in the header; anything else is not one. */
function isDevTokenHeader(token: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      kid?: unknown;
    };
    return header.kid === 'dev';
  } catch {
    return false;
  }
}

async function authenticateOidc(
  deps: AuthenticateDeps,
  verifier: OidcBearerVerifier,
  token: string,
): Promise<Principal> {
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof OidcTokenRefusedError) refuse(deps.log, 'oidc', error.reason);
    if (error instanceof OidcProviderUnavailableError) {
      deps.log.warn({ err: error }, 'the OIDC provider is unavailable');
      throw new GraphQLError('login is unavailable; try again', {
        extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
      });
    }
    throw error;
  }
}

/** One read of the token's row by its id, and a write of `lastUsedAt` at most once a minute. */
async function authenticateApiToken(deps: AuthenticateDeps, token: string): Promise<Principal> {
  const presented = parseApiToken(token);
  if (!presented) refuse(deps.log, 'api-token', 'malformed');
  const row = await forkEm(deps.orm).findOne(
    ApiToken,
    { id: presented.tokenId },
    { disableIdentityMap: true },
  );
  const now = new Date();
  let principal: Principal;
  try {
    principal = verifyApiToken(
      [deps.config.secretKey, ...deps.config.previousSecretKeys],
      presented,
      row ?? undefined,
      now,
    );
  } catch (error) {
    if (!(error instanceof ApiTokenRefusedError)) throw error;
    refuse(deps.log, 'api-token', error.reason, presented.tokenId);
  }
  if (
    row &&
    (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= lastUsedResolutionMs)
  ) {
    await recordUse(deps, row.id, now);
  }
  return principal;
}

/**
 * Conditional, so that replicas serving the same token in the same minute write it once. A
 * failed write costs the caller nothing: the time is a hint for its owner, not a control.
 */
async function recordUse(deps: AuthenticateDeps, tokenId: string, now: Date): Promise<void> {
  try {
    await forkEm(deps.orm).nativeUpdate(
      ApiToken,
      {
        id: tokenId,
        $or: [
          { lastUsedAt: null },
          { lastUsedAt: { $lte: new Date(now.getTime() - lastUsedResolutionMs) } },
        ],
      },
      { lastUsedAt: now },
    );
  } catch (error) {
    deps.log.warn({ tokenId, err: error }, 'recording an API token use failed');
  }
}

/** Logs why a credential was refused (never the credential) and refuses it. */
function refuse(log: Logger, kind: string, reason: string, tokenId?: string): never {
  log.info({ kind, reason, ...(tokenId ? { tokenId } : {}) }, 'token refused');
  throw unauthenticated('the token is not valid');
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

/**
 * authenticate() for plain HTTP endpoints (codec, inventory): the same credentials, its refusals
 * as HTTP exceptions (401, or 503 while the login provider cannot be reached).
 */
export async function authenticateHttp(
  deps: AuthenticateDeps,
  authorization: string | undefined,
): Promise<Principal> {
  try {
    return await authenticate(deps, authorization);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (error.extensions.code === 'SERVICE_UNAVAILABLE') {
      throw new ServiceUnavailableException(error.message);
    }
    throw new UnauthorizedException(error.message);
  }
}
