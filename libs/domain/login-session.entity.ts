import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A browser session made by logging in through OIDC: whose, until when, and whether it was ended
 * by logging out. The cookie's secret is never stored, only its keyed hash (libs/auth/session.ts).
 */
@Entity({ tableName: 'login_session' })
export class LoginSession {
  /** The session id the cookie names, `<id>.<secret>`. */
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** Directory uid of the user who logged in. */
  @Index()
  @Property({ type: 'string', length: 200 })
  userId: string;

  /** HMAC-SHA256 of the cookie's secret, base64url; never leaves the api. */
  @Property({ type: 'string', length: 100, hidden: true })
  secretHash: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt: Date;

  /** When a request last presented it, to the minute (written at most once a minute). */
  @Property({ type: 'datetime', nullable: true })
  lastSeenAt: Date | null = null;

  /** When its user logged out; the session is refused from then on. */
  @Property({ type: 'datetime', nullable: true })
  endedAt: Date | null = null;

  constructor(fields: { id: string; userId: string; secretHash: string; expiresAt: Date }) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.secretHash = fields.secretHash;
    this.expiresAt = fields.expiresAt;
  }
}
