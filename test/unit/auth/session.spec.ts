import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cookieValue,
  csrfToken,
  csrfTokenMatches,
  newSession,
  parseSessionCookie,
  SessionRefusedError,
  type StoredSession,
  verifySession,
} from '../../../libs/auth/session';

const secretKey = randomBytes(32);
const now = new Date('2026-12-04T12:00:00Z');

function aSession() {
  const session = newSession(secretKey);
  const stored: StoredSession = {
    id: session.sessionId,
    userId: 'alice',
    secretHash: session.secretHash,
    expiresAt: new Date(now.getTime() + 3600_000),
    endedAt: null,
  };
  return { session, stored, presented: parseSessionCookie(session.cookie)! };
}

function refusal(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    if (error instanceof SessionRefusedError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('login sessions', () => {
  it('accepts its own cookie, as its user with every scope, and stores no secret', () => {
    const { session, stored, presented } = aSession();
    expect(stored.secretHash).not.toContain(session.secret);
    expect(verifySession([secretKey], presented, stored, now)).toEqual({
      userId: 'alice',
      scopes: ['sites:read', 'sites:write', 'operator'],
      via: 'session',
      sessionId: stored.id,
    });
  });

  it('refuses an unknown, forged, ended or expired session', () => {
    const { stored, presented } = aSession();
    const other = parseSessionCookie(newSession(secretKey).cookie)!;
    expect(refusal(() => verifySession([secretKey], presented, undefined, now))).toBe('unknown');
    expect(
      refusal(() =>
        verifySession([secretKey], { ...presented, secret: other.secret }, stored, now),
      ),
    ).toBe('secret');
    expect(
      refusal(() => verifySession([secretKey], presented, { ...stored, endedAt: now }, now)),
    ).toBe('ended');
    expect(
      refusal(() => verifySession([secretKey], presented, { ...stored, expiresAt: now }, now)),
    ).toBe('expired');
    expect(refusal(() => verifySession([randomBytes(32)], presented, stored, now))).toBe('secret');
  });

  it('parses only well-formed cookies', () => {
    const { session } = aSession();
    expect(parseSessionCookie(session.cookie)).toEqual({
      sessionId: session.sessionId,
      secret: session.secret,
    });
    for (const bad of [
      '',
      'x',
      `${session.sessionId}.`,
      `${session.cookie}x`,
      `../${session.cookie}`,
    ]) {
      expect(parseSessionCookie(bad)).toBeUndefined();
    }
  });

  it("binds the CSRF token to the session and the deployment's key", () => {
    const { presented } = aSession();
    const other = parseSessionCookie(newSession(secretKey).cookie)!;
    const token = csrfToken(secretKey, presented);
    expect(csrfTokenMatches([secretKey], presented, token)).toBe(true);
    expect(csrfTokenMatches([secretKey], other, token)).toBe(false);
    expect(csrfTokenMatches([randomBytes(32)], presented, token)).toBe(false);
    expect(csrfTokenMatches([secretKey], presented, undefined)).toBe(false);
    expect(csrfTokenMatches([secretKey], presented, token.slice(1))).toBe(false);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; __Host-berth_session=x.y; b=2', '__Host-berth_session')).toBe('x.y');
    expect(cookieValue('a=1', '__Host-berth_session')).toBeUndefined();
    expect(cookieValue(undefined, 'a')).toBeUndefined();
  });
});
