import { CookieJar, followLogin } from './oidc-provider';

export interface BrowserLogin {
  /** Berth's cookies after the login: the session's, when it worked. */
  jar: CookieJar;
  /** Berth's answer to the provider's redirect back (303 to `returnTo` when it worked). */
  callback: Response;
}

/**
 * Logs in to the api at `apiUrl` as a browser would: `GET /auth/login`, the provider's forms as
 * `login` (any `oidc-provider`, such as the test helper's or the development provider), and the
 * redirect back to `/auth/callback`, each with the cookies of its own site.
 */
export async function browserLogIn(
  apiUrl: string,
  issuer: string,
  login: string,
  returnTo?: string,
): Promise<BrowserLogin> {
  const jar = new CookieJar();
  const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
  const started = await fetch(`${apiUrl}/auth/login${query}`, { redirect: 'manual' });
  if (started.status !== 302) {
    throw new Error(`GET /auth/login answered ${started.status}: ${await started.text()}`);
  }
  jar.take(started);
  const callbackUrl = await followLogin(
    { issuer, redirectUris: [`${apiUrl}/auth/callback`] },
    started.headers.get('location')!,
    login,
  );
  const callback = await fetch(callbackUrl, {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  });
  jar.take(callback);
  return { jar, callback };
}

/** POSTs a GraphQL operation with the session's cookie and, when given, its CSRF token. */
export async function sessionGraphql(
  apiUrl: string,
  jar: CookieJar,
  query: string,
  variables: Record<string, unknown> = {},
  csrf?: string,
): Promise<{ status: number; body: GraphQLBody }> {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: jar.header(),
      ...(csrf !== undefined ? { 'x-berth-csrf': csrf } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

/** `GET /auth/session` with the jar's cookies. */
export async function sessionInfo(
  apiUrl: string,
  jar: CookieJar,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${apiUrl}/auth/session`, { headers: { cookie: jar.header() } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
