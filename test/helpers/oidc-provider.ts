import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import type * as OidcClient from 'openid-client' with { 'resolution-mode': 'import' };
import type Provider from 'oidc-provider' with { 'resolution-mode': 'import' };
import { freePort } from './free-port';

/** A user the provider knows: `sub` is the account id, the rest become token claims. */
export interface OidcTestUser {
  sub: string;
  /** Absent means the claim is left out of tokens. */
  preferredUsername?: string;
  groups?: string[];
}

export interface OidcProviderOptions {
  users: OidcTestUser[];
  /** Where the test client may be sent back to, besides the helper's own callback. */
  redirectUris?: string[];
}

export interface UserTokenOptions {
  /** Default `openid berth:read berth:write`. */
  scope?: string;
  /** Default the Berth audience; {@link OidcProviderServer.otherAudience} gives a foreign token. */
  resource?: string;
}

/**
 * A real OIDC provider (the `oidc-provider` package) on 127.0.0.1: one confidential client, a
 * resource server for Berth whose access tokens are JWTs, dev interactions that log in any listed
 * user, and key rotation. Stop it when done.
 */
export interface OidcProviderServer {
  readonly issuer: string;
  /** The resource indicator (and access-token `aud`) of the Berth api. */
  readonly audience: string;
  /** A second resource server, for tokens meant for something else. */
  readonly otherAudience: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** An access token for the user, by authorization code + PKCE through the login form. */
  userToken(sub: string, options?: UserTokenOptions): Promise<string>;
  /** Follows the provider's login and consent forms as `sub` from an authorization URL to the
   *  client's redirect URI, carrying the cookies of `jar`; returns that callback URL. */
  logIn(authorizationUrl: string, sub: string, jar?: CookieJar): Promise<URL>;
  /** A JWT with these claims signed by the provider's current access-token key. */
  sign(claims: Jose.JWTPayload, header?: Partial<Jose.JWTHeaderParameters>): Promise<string>;
  /** The key id that signs access tokens now. */
  currentKeyId(): string;
  /** New signing keys first; the old ones stay published so that issued tokens still verify. */
  rotateKeys(): Promise<void>;
  stop(): Promise<void>;
}

const accessTokenAlg = 'ES256';
const berthResourceScope = 'berth:read berth:write berth:operator';

export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProviderServer> {
  const jose = await import('jose');
  const { default: ProviderClass, errors } = await import('oidc-provider');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const audience = 'https://berth.test/api';
  const otherAudience = 'https://other.test/api';
  const clientId = 'berth-test';
  const clientSecret = randomBytes(32).toString('base64url');
  const redirectUri = `${issuer}/test-callback`;
  const redirectUris = [redirectUri, ...(options.redirectUris ?? [])];
  const users = new Map(options.users.map((user) => [user.sub, user]));
  const cookieKeys = [randomBytes(32).toString('base64url')];

  let keys: { jwks: Jose.JWK[]; signing: { kid: string; key: Jose.CryptoKey } };
  const makeKeys = async () => {
    const ec = await jose.generateKeyPair(accessTokenAlg, { extractable: true });
    const rsa = await jose.generateKeyPair('RS256', { extractable: true });
    const ecKid = `ec-${randomBytes(6).toString('hex')}`;
    const jwks = [
      { ...(await jose.exportJWK(ec.privateKey)), kid: ecKid, alg: accessTokenAlg, use: 'sig' },
      {
        ...(await jose.exportJWK(rsa.privateKey)),
        kid: `rsa-${randomBytes(6).toString('hex')}`,
        alg: 'RS256',
        use: 'sig',
      },
    ];
    return { jwks, signing: { kid: ecKid, key: ec.privateKey } };
  };

  const newProvider = (jwks: Jose.JWK[]): Provider => {
    const provider = new ProviderClass(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          post_logout_redirect_uris: options.redirectUris ?? [],
          grant_types: ['authorization_code', 'client_credentials'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: jwks },
      cookies: { keys: cookieKeys },
      // Claims asked for by scope go into the ID token too, where Berth's browser login reads them.
      conformIdTokenClaims: false,
      // Explicit lifetimes (seconds), which also keeps the provider from noting its defaults.
      ttl: {
        AccessToken: 300,
        ClientCredentials: 300,
        IdToken: 300,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'groups'],
      findAccount: (_ctx, sub) => {
        const user = users.get(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: () => ({ sub, ...userClaims(user) }),
        };
      },
      // Access tokens are for the api, which reads the user's name and groups from them.
      extraTokenClaims: (_ctx, token) => {
        const user = 'accountId' in token ? users.get(token.accountId) : undefined;
        return user ? userClaims(user) : undefined;
      },
      features: {
        devInteractions: { enabled: true },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resourceIndicator) => {
            if (resourceIndicator !== audience && resourceIndicator !== otherAudience) {
              throw new errors.InvalidTarget();
            }
            return {
              scope: berthResourceScope,
              audience: resourceIndicator,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: accessTokenAlg } },
            };
          },
        },
      },
    });
    return provider;
  };

  keys = await makeKeys();
  let handler = newProvider(keys.jwks).callback();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  const clientConfig = async (): Promise<OidcClient.Configuration> => {
    const client = await import('openid-client');
    return client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    });
  };

  const logIn = (authorizationUrl: string, sub: string, jar = new CookieJar()) =>
    followLogin({ issuer, redirectUris }, authorizationUrl, sub, jar);

  return {
    issuer,
    audience,
    otherAudience,
    clientId,
    clientSecret,
    logIn,
    async userToken(sub, tokenOptions = {}) {
      const client = await import('openid-client');
      const config = await clientConfig();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const resource = tokenOptions.resource ?? audience;
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: tokenOptions.scope ?? 'openid berth:read berth:write',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        resource,
      });
      const callback = await logIn(url.href, sub);
      const tokens = await client.authorizationCodeGrant(
        config,
        callback,
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource },
      );
      return tokens.access_token;
    },
    sign(claims, header = {}) {
      return new jose.SignJWT(claims)
        .setProtectedHeader({
          alg: accessTokenAlg,
          typ: 'at+jwt',
          kid: keys.signing.kid,
          ...header,
        })
        .sign(keys.signing.key);
    },
    currentKeyId: () => keys.signing.kid,
    async rotateKeys() {
      const previous = keys.jwks;
      keys = await makeKeys();
      keys.jwks = [...keys.jwks, ...previous];
      handler = newProvider(keys.jwks).callback();
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * Follows an `oidc-provider` login (its development login and consent forms) as `login`, from an
 * authorization URL to the first of `redirectUris` it is sent to, carrying the cookies of `jar`;
 * returns that URL. Any password passes those forms.
 */
export async function followLogin(
  provider: { issuer: string; redirectUris: string[] },
  authorizationUrl: string,
  login: string,
  jar = new CookieJar(),
): Promise<URL> {
  let next = new URL(authorizationUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: URLSearchParams | undefined;
  // Authorization, login form, resume, consent form, resume: a handful of hops at most.
  for (let hop = 0; hop < 12; hop += 1) {
    if (provider.redirectUris.includes(`${next.origin}${next.pathname}`)) return next;
    if (next.origin !== new URL(provider.issuer).origin) {
      throw new Error(`the login left for ${next.href}`);
    }
    const response = await fetch(next, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header() },
      ...(body ? { body } : {}),
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (location !== null) {
      next = new URL(location, next);
      method = 'GET';
      body = undefined;
      continue;
    }
    const page = await response.text();
    if (response.status !== 200 || !next.pathname.startsWith('/interaction/')) {
      throw new Error(`the provider answered ${response.status} at ${next.pathname}: ${page}`);
    }
    const prompt = /name="prompt" value="(login|consent)"/.exec(page)?.[1];
    if (prompt === undefined) throw new Error(`no known prompt at ${next.pathname}: ${page}`);
    method = 'POST';
    body = new URLSearchParams(
      prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
    );
  }
  throw new Error('the login did not reach the redirect URI within 12 hops');
}

function userClaims(user: OidcTestUser): Record<string, unknown> {
  return {
    ...(user.preferredUsername !== undefined ? { preferred_username: user.preferredUsername } : {}),
    ...(user.groups ? { groups: user.groups } : {}),
  };
}

/**
 * Cookies by name for one browser-like session, whatever their path (the provider's names do not
 * collide); enough to walk a login, not a general cookie store.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) =>
        /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(attribute),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
