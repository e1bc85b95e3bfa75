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
import { type Credential, type Principal, withMemberships } from '../../../libs/auth/principal';
import {
  cookieValue,
  lastSeenResolutionMs,
  parseSessionCookie,
  SessionRefusedError,
  sessionCookieName,
  verifySession,
} from '../../../libs/auth/session';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { ApiToken, LoginSession } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { type DirectoryMemberships, MembershipsUnavailableError } from './memberships';

/**
 * What resolving a caller needs: the configuration, the log, the database (API tokens, sessions)
 * and the directory's answers about groups.
 */
export interface AuthenticateDeps {
  config: BerthConfig;
  log: Logger;
  orm: Orm;
  memberships: DirectoryMemberships;
}

/** What a request presented: its `Authorization` header, and its `Cookie` header where allowed. */
export interface Presented {
  authorization?: string | undefined;
  /** Only HTTP requests to /graphql pass it: other endpoints and WebSockets take bearers only. */
  cookie?: string | undefined;
}

/**
 * Resolves the caller of one request, or refuses it (401, one message whatever the reason; the
 * reason goes to the log). A bearer token wins over a session cookie: API tokens in every profile,
 * OIDC access tokens when a provider is configured, development tokens in the embedded profile
 * only. Then the directory says which groups the user is in (503 when it cannot), except for
 * development tokens, which assert their own.
 */
export async function authenticate(
  deps: AuthenticateDeps,
  presented: Presented,
): Promise<Principal> {
  const session = cookieValue(presented.cookie, sessionCookieName);
  if (presented.authorization === undefined && session !== undefined) {
    return withGroups(deps, await authenticateSession(deps, session));
  }
  const token = /^Bearer ([A-Za-z0-9._-]{1,8192})$/.exec(presented.authorization ?? '')?.[1];
  if (token === undefined) throw unauthenticated('a Bearer token or a login session is required');
  if (looksLikeApiToken(token)) return withGroups(deps, await authenticateApiToken(deps, token));
  // The path is chosen from the token's header, so a refusal's logged reason is unambiguous.
  const oidc = oidcVerifier(deps.config);
  if (oidc && !isDevTokenHeader(token)) {
    return withGroups(deps, await authenticateOidc(deps, oidc, token));
  }
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

/** The credential's user with the groups the directory gives them now. */
async function withGroups(deps: AuthenticateDeps, credential: Credential): Promise<Principal> {
  try {
    const groups = await deps.memberships.groupsOf(credential.userId);
    return withMemberships(credential, groups, deps.config.directory.operatorGroup);
  } catch (error) {
    if (!(error instanceof MembershipsUnavailableError)) throw error;
    deps.log.warn({ err: error.cause }, 'the directory is unavailable');
    throw unavailable('the directory cannot be reached; try again');
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
): Promise<Credential> {
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof OidcTokenRefusedError) refuse(deps.log, 'oidc', error.reason);
    if (error instanceof OidcProviderUnavailableError) {
      deps.log.warn({ err: error }, 'the OIDC provider is unavailable');
      throw unavailable('login is unavailable; try again');
    }
    throw error;
  }
}

/** One read of the token's row by its id, and a write of `lastUsedAt` at most once a minute. */
async function authenticateApiToken(deps: AuthenticateDeps, token: string): Promise<Credential> {
  const presented = parseApiToken(token);
  if (!presented) refuse(deps.log, 'api-token', 'malformed');
  const row = await forkEm(deps.orm).findOne(
    ApiToken,
    { id: presented.tokenId },
    { disableIdentityMap: true },
  );
  const now = new Date();
  let credential: Credential;
  try {
    credential = verifyApiToken(
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
  return credential;
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

/** One read of the session's row, and a write of `lastSeenAt` at most once a minute. */
async function authenticateSession(deps: AuthenticateDeps, cookie: string): Promise<Credential> {
  const presented = parseSessionCookie(cookie);
  if (!presented) refuse(deps.log, 'session', 'malformed');
  const em = forkEm(deps.orm);
  const row = await em.findOne(
    LoginSession,
    { id: presented.sessionId },
    { disableIdentityMap: true },
  );
  const now = new Date();
  let credential: Credential;
  try {
    credential = verifySession(
      [deps.config.secretKey, ...deps.config.previousSecretKeys],
      presented,
      row ?? undefined,
      now,
    );
  } catch (error) {
    if (!(error instanceof SessionRefusedError)) throw error;
    refuse(deps.log, 'session', error.reason, presented.sessionId);
  }
  if (
    row &&
    (!row.lastSeenAt || now.getTime() - row.lastSeenAt.getTime() >= lastSeenResolutionMs)
  ) {
    try {
      await forkEm(deps.orm).nativeUpdate(LoginSession, { id: row.id }, { lastSeenAt: now });
    } catch (error) {
      deps.log.warn({ sessionId: row.id, err: error }, 'recording a session use failed');
    }
  }
  return credential;
}

/** Logs why a credential was refused (never the credential) and refuses it. */
function refuse(log: Logger, kind: string, reason: string, id?: string): never {
  log.info({ kind, reason, ...(id ? { id } : {}) }, 'credential refused');
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

function unavailable(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
  });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}

/**
 * authenticate() for plain HTTP endpoints (codec, inventory): bearer tokens only (a session cookie
 * would let another page on the same site call them), refusals as HTTP exceptions (401, or 503
 * while the login provider or the directory cannot be reached).
 */
export async function authenticateHttp(
  deps: AuthenticateDeps,
  authorization: string | undefined,
): Promise<Principal> {
  try {
    return await authenticate(deps, { authorization });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (error.extensions.code === 'SERVICE_UNAVAILABLE') {
      throw new ServiceUnavailableException(error.message);
    }
    throw new UnauthorizedException(error.message);
  }
}
