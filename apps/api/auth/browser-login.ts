import type * as OidcClient from 'openid-client' with { 'resolution-mode': 'import' };
import { openSecret, SecretBoxError, sealSecret } from '../../../activities/keys/secret-box';
import { derivedKey } from '../../../libs/auth/derived-key';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';

/**
 * Browser login through the organisation's OIDC provider: authorization code flow with PKCE
 * (S256), state and nonce, by openid-client. What the browser must carry from the start of a login
 * to its callback (the PKCE verifier, state, nonce and where to go afterwards) travels in a short
 * cookie sealed with AES-256-GCM under a key derived from the secret key, so the api keeps no
 * state for logins that are never finished and nobody can read or forge it.
 *
 * The user is the ID token's BERTH_OIDC_USER_CLAIM (`sub` when the claim is absent), which must be
 * a directory uid; groups are not read from the provider (the directory is asked per request).
 */

/** The sealed login state's cookie, `__Host-` for the reasons the session cookie is. */
export const loginStateCookieName = '__Host-berth_login';
/** How long the browser has to come back from the provider. */
export const loginStateTtlSeconds = 10 * 60;
/** Where a login without `returnTo` ends: the api's own GraphQL explorer. */
export const defaultReturnTo = '/explorer';

const stateInfo = 'berth/login-state';
const stateContext = 'login-state';

/** The login failed because of what the browser or the provider said: 400, start again. */
export class LoginRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoginRefusedError';
  }
}

/** The provider could not be reached: 503, try again later. */
export class LoginUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoginUnavailableError';
  }
}

interface LoginState {
  /** PKCE code verifier. */
  v: string;
  /** state. */
  s: string;
  /** nonce. */
  n: string;
  /** Where to go after logging in (a path of the api). */
  r: string;
  /** Expiry, ms since the epoch: the cookie's Max-Age is the browser's word, this is ours. */
  e: number;
}

export interface LoginStart {
  /** The provider's authorization endpoint, with this login's parameters. */
  authorizationUrl: URL;
  /** The sealed state, for the login-state cookie. */
  state: string;
}

export interface LoginFinish {
  userId: string;
  returnTo: string;
}

/**
 * A path of this api to send the browser to after logging in: `/` followed by anything but a
 * second `/` or `\` (which browsers read as another host), without control characters. Anything
 * else becomes the default, so that the login can never redirect to another site.
 */
export function safeReturnTo(text: string | undefined): string {
  if (
    text === undefined ||
    text.length > 2000 ||
    !/^\/(?![/\\])/.test(text) ||
    !/^[^\p{Cc}\\]*$/u.test(text)
  ) {
    return defaultReturnTo;
  }
  return text;
}

export class BrowserLogin {
  private discovered: Promise<OidcClient.Configuration> | undefined;

  constructor(
    private readonly config: BerthConfig,
    private readonly login: NonNullable<NonNullable<BerthConfig['oidc']>['login']>,
    private readonly issuer: string,
  ) {}

  /** Where the provider sends the browser back to; registered with the provider as such. */
  get redirectUri(): string {
    return `${this.config.api.publicUrl}/auth/callback`;
  }

  async start(returnTo: string | undefined, now = Date.now()): Promise<LoginStart> {
    const client = await import('openid-client');
    const configuration = await this.configuration();
    const state: LoginState = {
      v: client.randomPKCECodeVerifier(),
      s: client.randomState(),
      n: client.randomNonce(),
      r: safeReturnTo(returnTo),
      e: now + loginStateTtlSeconds * 1000,
    };
    const authorizationUrl = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.login.scope,
      code_challenge: await client.calculatePKCECodeChallenge(state.v),
      code_challenge_method: 'S256',
      state: state.s,
      nonce: state.n,
    });
    const sealed = sealSecret(this.stateKey(), JSON.stringify(state), stateContext);
    return { authorizationUrl, state: sealed };
  }

  /** Checks the provider's answer against the sealed state and returns who logged in. */
  async finish(
    callbackUrl: URL,
    sealedState: string | undefined,
    now = Date.now(),
  ): Promise<LoginFinish> {
    const state = this.openState(sealedState, now);
    const client = await import('openid-client');
    const configuration = await this.configuration();
    let claims: OidcClient.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: state.v,
        expectedState: state.s,
        expectedNonce: state.n,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      if (isNetworkFailure(error)) {
        throw new LoginUnavailableError('the login provider could not be reached', {
          cause: error,
        });
      }
      throw new LoginRefusedError(`the login provider's answer was refused: ${describe(error)}`, {
        cause: error,
      });
    }
    if (!claims) throw new LoginRefusedError('the login provider sent no ID token');
    const claim = this.config.oidc?.userClaim ?? 'sub';
    const named = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
    const userId = named === undefined ? claims.sub : named;
    if (typeof userId !== 'string' || !directoryNamePattern.test(userId)) {
      throw new LoginRefusedError(`the ID token's ${claim} is not a directory uid`);
    }
    return { userId, returnTo: state.r };
  }

  private openState(sealed: string | undefined, now: number): LoginState {
    const restart = 'start again at /auth/login';
    if (!sealed) {
      throw new LoginRefusedError(
        `no login is in progress in this browser (it expired or was started elsewhere); ${restart}`,
      );
    }
    let state: LoginState;
    try {
      state = JSON.parse(openSecret(this.stateKey(), sealed, stateContext)) as LoginState;
    } catch (error) {
      if (error instanceof SecretBoxError || error instanceof SyntaxError) {
        throw new LoginRefusedError(`the login state is not valid; ${restart}`);
      }
      throw error;
    }
    if (typeof state.e !== 'number' || state.e <= now) {
      throw new LoginRefusedError(`the login took too long; ${restart}`);
    }
    return state;
  }

  /** Discovered once; a failed discovery is tried again by the next login. */
  private configuration(): Promise<OidcClient.Configuration> {
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<OidcClient.Configuration> {
    const client = await import('openid-client');
    const issuer = new URL(this.issuer);
    // Plain http is allowed on loopback only (tests and the embedded development provider); the
    // settings refuse it anywhere else.
    const insecure = issuer.protocol === 'http:';
    try {
      return await client.discovery(
        issuer,
        this.login.clientId,
        undefined,
        this.login.clientSecret !== undefined
          ? client.ClientSecretBasic(this.login.clientSecret)
          : client.None(),
        {
          timeout: 5,
          ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
        },
      );
    } catch (error) {
      throw new LoginUnavailableError('the login provider could not be discovered', {
        cause: error,
      });
    }
  }

  private stateKey(): Buffer {
    return derivedKey(this.config.secretKey, stateInfo);
  }
}

/** Whether the error, or one it was caused by, is a failed or timed-out request. */
function isNetworkFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
    if (e instanceof TypeError && /fetch failed/i.test(e.message)) return true;
  }
  return false;
}

/** A short reason for the log and the error page: the error's name and code, never tokens. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code =
    (error as { code?: unknown; error?: unknown }).error ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} (${code.slice(0, 100)})` : error.name;
}
