import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { type Credential, directoryNamePattern, type Scope } from './principal';

/**
 * Bearer JWT access tokens issued by the organisation's OIDC provider for the Berth api (the
 * `aud` Berth is configured with), verified against the provider's published keys. The provider
 * is discovered once and its JWKS cached by `jose`, refetched when a token names a key not yet
 * seen (key rotation), at most once per cooldown.
 *
 * Scope mapping, the provider's `scope` claim onto Berth's:
 *   `berth:read`     -> `sites:read`
 *   `berth:write`    -> `sites:read`, `sites:write` (writing needs reading what one writes)
 *   `berth:operator` -> `operator` (an operator still needs the operator group as well)
 * Other scopes (`openid`, `profile`, ...) are ignored; a token granting none of these is refused,
 * so that a token minted for Berth without a Berth scope is a visible misconfiguration, not a
 * credential that authenticates and can do nothing.
 */

/** What the verifier needs to know about the provider and how to read its tokens. */
export interface OidcBearerOptions {
  /** The provider's issuer identifier, exactly as its discovery document and tokens spell it. */
  issuer: string;
  /** The audience Berth's access tokens carry (the resource indicator of the api). */
  audience: string;
  /** Claim holding the directory uid; absent from a token, `sub` is used. */
  userIdClaim?: string;
  /** Default {@link defaultClockToleranceSeconds}. */
  clockToleranceSeconds?: number;
  /** Least time between two JWKS fetches caused by unknown key ids; default 30 s (jose's). */
  jwksCooldownMs?: number;
  /** Cached keys are refetched after this long whatever tokens name; default 10 min (jose's). */
  jwksCacheMaxAgeMs?: number;
}

/**
 * What a verified token says about its caller. A `groups` claim is not read: groups come from the
 * directory (libs/auth/principal.ts, Credential), so that leaving a group does not wait for the
 * user's tokens to expire.
 */
export type OidcCredential = Omit<Credential, 'via' | 'tokenId' | 'siteIds' | 'sessionId'> & {
  via: 'oidc';
};

export type OidcTokenRefusal =
  | 'malformed'
  | 'algorithm'
  | 'unknown-key'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'user-id'
  | 'no-user'
  | 'scope';

/**
 * A presented token is not acceptable. `reason` is for the log; the message never contains the
 * token or a value taken from it.
 */
export class OidcTokenRefusedError extends Error {
  constructor(
    readonly reason: OidcTokenRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'OidcTokenRefusedError';
  }
}

/**
 * The provider could not be asked (discovery or JWKS fetch failed, or answered nonsense): Berth's
 * problem or the provider's, not the caller's, so callers may answer 503 rather than 401.
 */
export class OidcProviderUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OidcProviderUnavailableError';
  }
}

/** Asymmetric algorithms only: `none` and HS* (a public key used as an HMAC secret) never pass. */
export const oidcBearerAlgorithms = ['RS256', 'ES256', 'EdDSA'] as const;
export const defaultClockToleranceSeconds = 30;
export const defaultUserIdClaim = 'preferred_username';
/** Access tokens live minutes; one issued more than a day ago is refused whatever its `exp`. */
const maxTokenAgeSeconds = 24 * 60 * 60;
/** Bounds the work an unauthenticated caller can cause (authenticate's header limit agrees). */
const maxTokenLength = 8 * 1024;
const discoveryTimeoutMs = 5_000;

const berthScopes: Readonly<Record<string, readonly Scope[]>> = {
  'berth:read': ['sites:read'],
  'berth:write': ['sites:read', 'sites:write'],
  'berth:operator': ['operator'],
};

export interface OidcBearerVerifier {
  /** The caller a token names, or OidcTokenRefusedError / OidcProviderUnavailableError. */
  verify(token: string, now?: Date): Promise<OidcCredential>;
}

/**
 * A verifier for one provider. Nothing is fetched until the first token arrives, so the api
 * starts while the provider is down; a failed discovery is retried by the next request.
 */
export function createOidcBearerVerifier(options: OidcBearerOptions): OidcBearerVerifier {
  requireSafeUrl(options.issuer, 'issuer');
  let ready: Promise<Jose.JWTVerifyGetKey> | undefined;
  const keys = (): Promise<Jose.JWTVerifyGetKey> => {
    ready ??= discoverKeys(options).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return {
    async verify(token, now) {
      const jose = await import('jose');
      if (token.length > maxTokenLength) {
        throw new OidcTokenRefusedError('malformed', `the token is longer than ${maxTokenLength}`);
      }
      checkHeader(jose, token);
      const getKey = await keys();
      let payload: Jose.JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...oidcBearerAlgorithms],
          clockTolerance: options.clockToleranceSeconds ?? defaultClockToleranceSeconds,
          maxTokenAge: maxTokenAgeSeconds,
          requiredClaims: ['exp', 'iat', 'sub'],
          ...(now ? { currentDate: now } : {}),
        }));
      } catch (error) {
        throw translate(jose, error);
      }
      return credentialFromClaims(options, payload);
    },
  };
}

/**
 * Refuses `none`, HS* and anything else not asymmetric by name before any key is fetched, so a
 * forged header costs no JWKS request and reads as `algorithm` in the log.
 */
function checkHeader(jose: typeof Jose, token: string): void {
  let header: Jose.ProtectedHeaderParameters;
  try {
    header = jose.decodeProtectedHeader(token);
  } catch {
    throw new OidcTokenRefusedError('malformed', 'the token header is not a JWS header');
  }
  if (!(oidcBearerAlgorithms as readonly unknown[]).includes(header.alg)) {
    throw new OidcTokenRefusedError(
      'algorithm',
      'the token is not signed with an allowed algorithm',
    );
  }
}

/**
 * OIDC Discovery 1.0 §4.3: the document must name the issuer it was fetched for, or a provider
 * could speak for another one.
 */
async function discoverKeys(options: OidcBearerOptions): Promise<Jose.JWTVerifyGetKey> {
  const jose = await import('jose');
  const url = new URL('.well-known/openid-configuration', withTrailingSlash(options.issuer));
  let metadata: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(discoveryTimeoutMs),
    });
    if (!response.ok) throw new Error(`discovery answered HTTP ${response.status}`);
    metadata = await response.json();
  } catch (error) {
    throw new OidcProviderUnavailableError('OIDC discovery failed', { cause: error });
  }
  const issuer = field(metadata, 'issuer');
  const jwksUri = field(metadata, 'jwks_uri');
  if (issuer !== options.issuer) {
    throw new OidcProviderUnavailableError('the discovery document names another issuer');
  }
  let jwksUrl: URL;
  try {
    jwksUrl = requireSafeUrl(typeof jwksUri === 'string' ? jwksUri : '', 'jwks_uri');
  } catch (error) {
    throw new OidcProviderUnavailableError('the discovery document has no usable jwks_uri', {
      cause: error,
    });
  }
  return jose.createRemoteJWKSet(jwksUrl, {
    timeoutDuration: discoveryTimeoutMs,
    ...(options.jwksCooldownMs !== undefined ? { cooldownDuration: options.jwksCooldownMs } : {}),
    ...(options.jwksCacheMaxAgeMs !== undefined ? { cacheMaxAge: options.jwksCacheMaxAgeMs } : {}),
  });
}

function translate(jose: typeof Jose, error: unknown): Error {
  const { errors } = jose;
  if (error instanceof errors.JWTExpired) {
    return new OidcTokenRefusedError('expired', 'the token has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return new OidcTokenRefusedError('issuer', 'the token was issued by another issuer');
      case 'aud':
        return new OidcTokenRefusedError('audience', 'the token is not meant for the Berth api');
      case 'nbf':
      case 'iat':
        if (error.reason === 'check_failed') {
          return new OidcTokenRefusedError('not-yet-valid', 'the token is not valid yet');
        }
        break;
    }
    return new OidcTokenRefusedError('claims', `the token ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new OidcTokenRefusedError(
      'algorithm',
      'the token is not signed with an allowed algorithm',
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new OidcTokenRefusedError('unknown-key', 'the provider publishes no key for the token');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new OidcTokenRefusedError('signature', 'the token signature is not valid');
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return new OidcTokenRefusedError('malformed', 'the token is not a well-formed JWT');
  }
  // JWKS fetch failures: timeouts, HTTP errors, an invalid key set, network errors.
  return new OidcProviderUnavailableError('fetching the provider keys failed', { cause: error });
}

function credentialFromClaims(options: OidcBearerOptions, claims: Jose.JWTPayload): OidcCredential {
  const sub = field(claims, 'sub');
  // RFC 9068 §2.2: a token issued to a client for itself (client credentials) has the client as
  // its subject. It names no user, and must not become the user who shares the client's name.
  if (sub === field(claims, 'client_id')) {
    throw new OidcTokenRefusedError('no-user', 'the token was issued to a client, not a user');
  }
  const userIdClaim = options.userIdClaim ?? defaultUserIdClaim;
  // Only an absent claim falls back to sub; a present but unusable one is refused below.
  const named = field(claims, userIdClaim);
  const userId = named === undefined ? sub : named;
  if (typeof userId !== 'string' || !directoryNamePattern.test(userId)) {
    throw new OidcTokenRefusedError('user-id', `the token ${userIdClaim} is not a directory uid`);
  }
  const scopeClaim = field(claims, 'scope');
  const granted = typeof scopeClaim === 'string' ? scopeClaim.split(' ') : [];
  const scopes = [...new Set(granted.flatMap((scope) => berthScopes[scope] ?? []))];
  if (scopes.length === 0) {
    throw new OidcTokenRefusedError('scope', 'the token grants no Berth scope');
  }
  return { userId, scopes, via: 'oidc' };
}

/** Own properties only: a `__proto__` key must not supply a claim. */
function field(object: unknown, name: string): unknown {
  return typeof object === 'object' && object !== null && Object.hasOwn(object, name)
    ? (object as Record<string, unknown>)[name]
    : undefined;
}

/** https, or http on loopback (tests and the embedded profile's development provider). */
function requireSafeUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`the OIDC ${what} is not a URL`);
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new RangeError(`the OIDC ${what} must be https (http only on loopback)`);
  }
  return url;
}

function withTrailingSlash(issuer: string): string {
  return issuer.endsWith('/') ? issuer : `${issuer}/`;
}
