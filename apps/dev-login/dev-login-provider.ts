import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { type Directory } from '../../activities/directory/port';

/**
 * DEVELOPMENT ONLY. The login provider `npm start` runs in the embedded profile, so that browser
 * login works on a laptop with no organisation behind it: a real OIDC provider (the `oidc-provider`
 * package) on loopback whose users are the people of Berth's directory (the file directory's YAML
 * by default). Its login form takes any password. The production profile refuses to run it
 * (BERTH_DEV_LOGIN), and it only ever listens on 127.0.0.1.
 *
 * It issues ID tokens carrying `preferred_username` (the directory uid), `name` and `email`, and
 * JWT access tokens for Berth's audience with the `berth:*` scopes, so that scripts can try bearer
 * tokens against it too.
 */

export interface DevLoginOptions {
  port: number;
  /** Who may log in: anyone `findUser` knows. */
  directory: Directory;
  /** The one client, Berth's api: its id, secret and callback. */
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** `aud` of the access tokens it issues for Berth. */
  audience: string;
}

export interface DevLoginProvider {
  readonly issuer: string;
  stop(): Promise<void>;
}

const accessTokenAlg = 'ES256';

export async function startDevLoginProvider(options: DevLoginOptions): Promise<DevLoginProvider> {
  const jose = await import('jose');
  const { default: Provider, errors } = await import('oidc-provider');
  const issuer = `http://127.0.0.1:${options.port}`;
  // Keys live as long as the process: a restart logs everyone out of the provider, not of Berth.
  const { privateKey } = await jose.generateKeyPair(accessTokenAlg, { extractable: true });
  const jwk: Jose.JWK = {
    ...(await jose.exportJWK(privateKey)),
    kid: `dev-${randomBytes(6).toString('hex')}`,
    alg: accessTokenAlg,
    use: 'sig',
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: accessTokenAlg,
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    // Claims asked for by scope go into the ID token, where Berth reads the user.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'] },
    scopes: ['openid', 'profile', 'email'],
    pkce: { required: () => true },
    findAccount: async (_ctx, sub) => {
      const user = await options.directory.findUser(sub);
      if (!user) return undefined;
      return {
        accountId: user.uid,
        claims: () => ({
          sub: user.uid,
          preferred_username: user.uid,
          name: user.name,
          ...(user.mail !== undefined ? { email: user.mail } : {}),
        }),
      };
    },
    extraTokenClaims: (_ctx, token) =>
      'accountId' in token ? { preferred_username: token.accountId } : undefined,
    features: {
      // The package's own login and consent pages, which accept any password.
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== options.audience) throw new errors.InvalidTarget();
          return {
            scope: 'berth:read berth:write berth:operator',
            audience: options.audience,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: accessTokenAlg } },
          };
        },
      },
    },
  });
  const handler = provider.callback();
  const server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
