import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { derivedSecretKey } from './derived-key';
import { type Credential, scopes } from './principal';

/**
 * Browser sessions made by logging in through the organisation's OIDC provider. The session
 * cookie holds `<sessionId>.<secret>`: the id names the row (one indexed read), the secret is 32
 * random bytes stored only as an HMAC under a key derived from the deployment's secret key, as for
 * API tokens. Mutations from a session also need its CSRF token, derived from the same secret
 * under another key, which the page reads from `GET /auth/session` (same origin only) and sends
 * in the `X-Berth-CSRF` header: a cross-site form or script can make the browser send the cookie,
 * but cannot read the token.
 */

/**
 * `__Host-`: the browser only keeps it if it is Secure, has Path=/ and no Domain, so a sibling
 * host cannot plant or shadow it. Browsers treat http://localhost and 127.0.0.1 as secure, so the
 * embedded profile's plain-http api still gets it.
 */
export const sessionCookieName = '__Host-berth_session';
export const csrfHeaderName = 'x-berth-csrf';
/** `lastSeenAt` is written at most this often per session. */
export const lastSeenResolutionMs = 60 * 1000;

const hashInfo = 'berth/login-session';
const csrfInfo = 'berth/login-session-csrf';
const secretBytes = 32;
const cookiePattern =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export interface SessionSecret {
  sessionId: string;
  secret: string;
}

export interface NewSession extends SessionSecret {
  /** The cookie's value. */
  cookie: string;
  /** What is stored. */
  secretHash: string;
}

export function newSession(secretKey: Buffer): NewSession {
  const sessionId = randomUUID();
  const secret = randomBytes(secretBytes).toString('base64url');
  return {
    sessionId,
    secret,
    cookie: `${sessionId}.${secret}`,
    secretHash: keyedHash(secretKey, hashInfo, sessionId, secret),
  };
}

/** The id and secret of a well-formed cookie value, or undefined. */
export function parseSessionCookie(value: string): SessionSecret | undefined {
  const match = cookiePattern.exec(value);
  if (!match) return undefined;
  const [, sessionId, secret] = match as unknown as [string, string, string];
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return undefined;
  return { sessionId, secret };
}

export type SessionRefusal = 'unknown' | 'secret' | 'ended' | 'expired';

export class SessionRefusedError extends Error {
  constructor(readonly reason: SessionRefusal) {
    super(`the session was refused (${reason})`);
    this.name = 'SessionRefusedError';
  }
}

export interface StoredSession {
  id: string;
  userId: string;
  secretHash: string;
  expiresAt: Date;
  endedAt: Date | null;
}

/**
 * The caller of a presented session, given its row, or SessionRefusedError. A session may do what
 * its user may (every scope); whether the user is an operator is still the directory's to say.
 */
export function verifySession(
  secretKeys: readonly Buffer[],
  presented: SessionSecret,
  stored: StoredSession | undefined,
  now: Date = new Date(),
): Credential {
  const matches = secretKeys.some((key) =>
    sameText(
      keyedHash(key, hashInfo, presented.sessionId, presented.secret),
      stored?.secretHash ?? '',
    ),
  );
  if (!stored) throw new SessionRefusedError('unknown');
  if (!matches) throw new SessionRefusedError('secret');
  if (stored.endedAt !== null) throw new SessionRefusedError('ended');
  if (now.getTime() >= stored.expiresAt.getTime()) throw new SessionRefusedError('expired');
  return { userId: stored.userId, scopes: [...scopes], via: 'session', sessionId: stored.id };
}

/** The CSRF token of a session: the page sends it back in `X-Berth-CSRF`. */
export function csrfToken(secretKey: Buffer, presented: SessionSecret): string {
  return keyedHash(secretKey, csrfInfo, presented.sessionId, presented.secret);
}

/** Whether `token` is the CSRF token of the presented session under one of the keys. */
export function csrfTokenMatches(
  secretKeys: readonly Buffer[],
  presented: SessionSecret,
  token: string | undefined,
): boolean {
  if (token === undefined) return false;
  return secretKeys.some((key) => sameText(csrfToken(key, presented), token));
}

function keyedHash(secretKey: Buffer, info: string, id: string, secret: string): string {
  return createHmac('sha256', derivedSecretKey(secretKey, info))
    .update(`${id}\n${secret}`)
    .digest('base64url');
}

/** Constant-time for equal lengths; the length of an HMAC is public. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The value of one cookie in a `Cookie` header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
