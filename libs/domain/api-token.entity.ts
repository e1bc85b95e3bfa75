import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { type ApiTokenScope } from '../auth/api-token';

/**
 * An API token of one user, for integrations: what it may do (scopes, and for the per-site scope
 * which sites), until when, and whether its owner revoked it. The secret itself is never stored,
 * only its keyed hash (libs/auth/api-token.ts).
 */
@Entity({ tableName: 'api_token' })
export class ApiToken {
  /** The token id, which the presented token names: `berth_<id>_<secret>`. */
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** Directory uid of the user the token acts as. */
  @Index()
  @Property({ type: 'string', length: 200 })
  owner: string;

  @Property({ type: 'string', length: 100 })
  name: string;

  /** HMAC-SHA256 of the secret, base64url; never leaves the api. */
  @Property({ type: 'string', length: 100, hidden: true })
  secretHash: string;

  @Property({ type: 'json' })
  scopes: ApiTokenScope[];

  /** The sites a per-site token is limited to; null for other tokens. */
  @Property({ type: 'json', nullable: true })
  siteIds: string[] | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt: Date;

  /** When a request last presented it, to the minute (written at most once a minute). */
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  constructor(fields: {
    id: string;
    owner: string;
    name: string;
    secretHash: string;
    scopes: ApiTokenScope[];
    siteIds: string[] | null;
    expiresAt: Date;
  }) {
    this.id = fields.id;
    this.owner = fields.owner;
    this.name = fields.name;
    this.secretHash = fields.secretHash;
    this.scopes = fields.scopes;
    this.siteIds = fields.siteIds;
    this.expiresAt = fields.expiresAt;
  }
}
