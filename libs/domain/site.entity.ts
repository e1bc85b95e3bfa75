import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { type SiteStatus, siteStatuses, transitionSite } from './site-status';

/** What a user asks for: a web site, served by its own server. */
@Entity({ tableName: 'site' })
// The default order of site lists (newest first, id breaking ties): pages read from the index.
@Index({ properties: ['createdAt', 'id'] })
export class Site {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Unique()
  @Property({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'string', length: 250 })
  description: string;

  @Index()
  @Property({ type: 'string', length: 200 })
  owner: string;

  @Property({ type: 'string', length: 254 })
  contactEmail: string;

  @Enum({ items: () => siteStatuses, type: 'string', length: 20 })
  status: SiteStatus = 'requested';

  /** The DNS label the requester asked for, if any; unique among sites. */
  @Unique()
  @Property({ type: 'string', length: 63, nullable: true })
  hostnameLabel: string | null = null;

  /** Set by the client; a repeated request with the same key returns this site. */
  @Unique({ properties: ['owner', 'idempotencyKey'] })
  @Property({ type: 'string', length: 100, nullable: true })
  idempotencyKey: string | null = null;

  /** SHA-256 of the request, to refuse a reused idempotency key with different input. */
  @Property({ type: 'string', length: 64, nullable: true })
  requestFingerprint: string | null = null;

  /** The purchase order or cost centre the site is billed to, as the requester gave it. */
  @Property({ type: 'string', length: 100, nullable: true })
  billingReference: string | null = null;

  /** Renew at the end of the subscription year (MWS3's "do not renew" clears it). */
  @Property({ type: 'boolean', default: true })
  renews = true;

  /** Why operators suspended the site, while it is suspended. */
  @Property({ type: 'string', length: 500, nullable: true })
  suspensionReason: string | null = null;

  /** When a cancelled site will be deleted, unless an operator reverts the cancellation. */
  @Property({ type: 'datetime', nullable: true })
  deleteAfter: Date | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(fields: {
    id: string;
    name: string;
    description: string;
    owner: string;
    contactEmail: string;
    hostnameLabel?: string | null;
    idempotencyKey?: string | null;
    requestFingerprint?: string | null;
    billingReference?: string | null;
  }) {
    this.id = fields.id;
    this.name = fields.name;
    this.description = fields.description;
    this.owner = fields.owner;
    this.contactEmail = fields.contactEmail;
    this.hostnameLabel = fields.hostnameLabel ?? null;
    this.idempotencyKey = fields.idempotencyKey ?? null;
    this.requestFingerprint = fields.requestFingerprint ?? null;
    this.billingReference = fields.billingReference ?? null;
  }

  moveTo(status: SiteStatus): void {
    this.status = transitionSite(this.status, status);
  }
}
