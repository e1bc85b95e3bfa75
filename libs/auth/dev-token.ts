import { createHmac, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import { derivedSecretKey } from './derived-key';
import { directoryNamePattern, isScope, type Principal, type Scope } from './principal';

/**
 * Development tokens: HS256 JWTs that stand in for real login (#7) in the embedded profile. They
 * are minted by `scripts/dev-token.ts` and must never be accepted by the production profile.
 *
 * They are signed with a key derived from the deployment's secret key (HKDF-SHA256, its own
 * `info`), never with the secret itself, so a development token can neither be confused with nor
 * help forge any other thing that secret protects (per-VM callback tokens, for one).
 */

export const devTokenIssuer = 'berth-dev';
export const devTokenAudience = 'berth-api';
const keyId = 'dev';
const hkdfInfo = 'berth/dev-token';

export const defaultDevTokenTtlSeconds = 8 * 60 * 60;
/** A forgotten token should stop working within a month even in a long-lived development setup. */
export const maxDevTokenTtlSeconds = 30 * 24 * 60 * 60;
/**
 * Bounds the work an unauthenticated caller can cause before the signature is checked. Minting
 * refuses anything longer, so every token we mint verifies.
 */
export const maxDevTokenLength = 8 * 1024;
export const maxDevTokenGroups = 100;
/** Clocks of the machine that minted a token and of the api may differ a little. */
const clockSkewSeconds = 60;
/** Below this a deployment secret is too weak to derive a signing key from (settings.ts agrees). */

export type InvalidTokenReason =
  | 'malformed'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'audience'
  | 'issuer'
  | 'algorithm'
  | 'claims';

/**
 * A presented token is not acceptable. `reason` is for logs and metrics; the message is safe to
 * log and never contains the token or any value taken from it.
 */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface DevTokenOptions {
  /** Directory uid. */
  userId: string;
  groups?: string[];
  operator?: boolean;
  /** Default: {@link defaultDevTokenScopes}. */
  scopes?: Scope[];
  /** Default 8 hours, at most 30 days. */
  ttlSeconds?: number;
}

/** What a token allows when its minter names no scopes: everything the user may do. */
export function defaultDevTokenScopes(operator: boolean): Scope[] {
  return operator ? ['sites:read', 'sites:write', 'operator'] : ['sites:read', 'sites:write'];
}

/**
 * A signed development token for the user. Throws RangeError for options a verifier would refuse
 * (a bad user id or group, too many groups, a TTL outside 1 s to 30 days), so that a mistake shows
 * when minting rather than as a 401 later.
 */
export function mintDevToken(
  secretKey: Buffer,
  options: DevTokenOptions,
  now: number = Date.now(),
): string {
  const operator = options.operator ?? false;
  const groups = [...new Set(options.groups ?? [])];
  const scopes = [...new Set(options.scopes ?? defaultDevTokenScopes(operator))];
  const ttlSeconds = options.ttlSeconds ?? defaultDevTokenTtlSeconds;
  if (!directoryNamePattern.test(options.userId)) {
    throw new RangeError(`userId must match ${String(directoryNamePattern)}`);
  }
  const badGroup = groups.find((group) => !directoryNamePattern.test(group));
  if (badGroup !== undefined) {
    throw new RangeError(`group "${badGroup}" must match ${String(directoryNamePattern)}`);
  }
  if (groups.length > maxDevTokenGroups) {
    throw new RangeError(`at most ${maxDevTokenGroups} groups fit in a token`);
  }
  const badScope = scopes.find((scope) => !isScope(scope));
  if (badScope !== undefined) throw new RangeError(`unknown scope "${String(badScope)}"`);
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxDevTokenTtlSeconds) {
    throw new RangeError(`ttlSeconds must be a whole number from 1 to ${maxDevTokenTtlSeconds}`);
  }

  const iat = Math.floor(now / 1000);
  const header = { alg: 'HS256', typ: 'JWT', kid: keyId };
  const claims = {
    iss: devTokenIssuer,
    aud: devTokenAudience,
    sub: options.userId,
    groups,
    op: operator,
    scope: scopes.join(' '),
    iat,
    exp: iat + ttlSeconds,
    // Unique per token, so that a later revocation list (or a log line) can name one token.
    jti: randomBytes(16).toString('base64url'),
  };
  const signingInput = `${encodeJson(header)}.${encodeJson(claims)}`;
  const token = `${signingInput}.${signature(signingKey(secretKey), signingInput)}`;
  // Only reachable with many long group names (100 of 64 characters do not fit).
  if (token.length > maxDevTokenLength) {
    throw new RangeError(`the token would be longer than ${maxDevTokenLength} bytes: fewer groups`);
  }
  return token;
}

/**
 * The caller a development token names, or InvalidTokenError. The header is checked before the
 * signature (so `alg: none` and algorithm substitution are refused by name, whatever the
 * signature), and the claims only after it, so nothing unsigned is trusted.
 */
export function verifyDevToken(
  secretKey: Buffer,
  token: string,
  now: number = Date.now(),
): Principal {
  const key = signingKey(secretKey);
  if (token.length > maxDevTokenLength) {
    throw new InvalidTokenError('malformed', `the token is longer than ${maxDevTokenLength} bytes`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new InvalidTokenError('malformed', 'a token has three dot-separated parts');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonPart(headerPart, 'header');
  if (field(header, 'alg') !== 'HS256') {
    throw new InvalidTokenError('algorithm', 'only HS256 development tokens are accepted');
  }
  const typ = field(header, 'typ');
  if (field(header, 'kid') !== keyId || (typ !== undefined && typ !== 'JWT')) {
    throw new InvalidTokenError('malformed', 'the token header is not that of a development token');
  }
  // RFC 7515 §4.1.11: a verifier must refuse critical extensions it does not implement (all).
  if (field(header, 'crit') !== undefined) {
    throw new InvalidTokenError('malformed', 'the token header names critical extensions');
  }
  if (!isCanonicalBase64Url(payloadPart)) {
    throw new InvalidTokenError('malformed', 'the token payload is not base64url');
  }
  const expected = Buffer.from(signature(key, `${headerPart}.${payloadPart}`));
  const presented = Buffer.from(signaturePart);
  // The length of an HMAC-SHA256 is public, so only the comparison of contents must be constant.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new InvalidTokenError('signature', 'the token signature is not valid');
  }

  return principalFromClaims(decodeJsonPart(payloadPart, 'payload'), now / 1000);
}

function principalFromClaims(claims: JsonObject, nowSeconds: number): Principal {
  if (field(claims, 'iss') !== devTokenIssuer) {
    throw new InvalidTokenError('issuer', 'the token was not issued for development use');
  }
  if (field(claims, 'aud') !== devTokenAudience) {
    throw new InvalidTokenError('audience', 'the token is not meant for the Berth api');
  }
  const exp = field(claims, 'exp');
  const iat = field(claims, 'iat');
  if (!isSafeInteger(exp) || !isSafeInteger(iat)) {
    throw new InvalidTokenError('claims', 'the token needs whole-second iat and exp claims');
  }
  if (nowSeconds >= exp) throw new InvalidTokenError('expired', 'the token has expired');
  if (iat > nowSeconds + clockSkewSeconds) {
    throw new InvalidTokenError('not-yet-valid', 'the token was issued in the future');
  }
  // A token that outlives what minting allows was not minted by us, whatever its signature says.
  if (exp <= iat || exp - iat > maxDevTokenTtlSeconds) {
    throw new InvalidTokenError('claims', 'the token lifetime is outside 1 s to 30 days');
  }

  const sub = field(claims, 'sub');
  if (typeof sub !== 'string' || !directoryNamePattern.test(sub)) {
    throw new InvalidTokenError('claims', 'the token sub claim is not a directory uid');
  }
  const groups = field(claims, 'groups');
  if (!isDirectoryNameList(groups) || groups.length > maxDevTokenGroups) {
    throw new InvalidTokenError(
      'claims',
      `the token groups claim must list at most ${maxDevTokenGroups} directory uids`,
    );
  }
  const op = field(claims, 'op');
  if (typeof op !== 'boolean') {
    throw new InvalidTokenError('claims', 'the token op claim must be true or false');
  }
  const scope = field(claims, 'scope');
  const scopes = typeof scope === 'string' ? (scope === '' ? [] : scope.split(' ')) : undefined;
  if (scopes === undefined || !scopes.every(isScope)) {
    throw new InvalidTokenError('claims', 'the token scope claim names an unknown scope');
  }
  const jti = field(claims, 'jti');
  if (typeof jti !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(jti)) {
    throw new InvalidTokenError('claims', 'the token jti claim is missing or malformed');
  }

  return {
    userId: sub,
    groups: [...new Set(groups)],
    operator: op,
    scopes: [...new Set(scopes)],
    via: 'dev-token',
  };
}

type JsonObject = Record<string, unknown>;

/** Own properties only: a `__proto__` key or a polluted prototype must not supply a claim. */
function field(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function isDirectoryNameList(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'string' && directoryNamePattern.test(item))
  );
}

function isSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

function decodeJsonPart(part: string, name: 'header' | 'payload'): JsonObject {
  if (!isCanonicalBase64Url(part)) {
    throw new InvalidTokenError('malformed', `the token ${name} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed', `the token ${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTokenError('malformed', `the token ${name} is not a JSON object`);
  }
  return value as JsonObject;
}

/**
 * Node's base64url decoder skips characters it does not know and ignores spare bits, so several
 * strings decode alike; accepting only the one canonical spelling keeps tokens unmalleable.
 */
function isCanonicalBase64Url(part: string): boolean {
  return (
    /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part
  );
}

function encodeJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function signingKey(secretKey: Buffer): KeyObject {
  return derivedSecretKey(secretKey, hkdfInfo);
}

function signature(key: KeyObject, signingInput: string): string {
  return createHmac('sha256', key).update(signingInput).digest('base64url');
}
