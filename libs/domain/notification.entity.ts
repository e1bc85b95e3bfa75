import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A message for a site's people, queued here (an outbox) by the activity that decided to send it,
 * in the same transaction as the change it reports. Delivery by e-mail comes with issue #8; until
 * then the queue is what "notified" means, and operators can read it.
 */
@Entity({ tableName: 'notification' })
export class Notification {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** What happened, for templates and filters: `host-failover`, ... */
  @Property({ type: 'string', length: 60 })
  kind: string;

  /** Comma-separated e-mail addresses. */
  @Property({ type: 'string', length: 2000 })
  recipients: string;

  @Property({ type: 'string', length: 200 })
  subject: string;

  @Property({ type: 'text' })
  body: string;

  /** Makes queuing idempotent: an activity's retry finds its message already queued. */
  @Property({ type: 'string', length: 200, unique: true })
  dedupeKey: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** When it was delivered; null while queued. */
  @Property({ type: 'datetime', nullable: true })
  sentAt: Date | null = null;

  constructor(fields: {
    id: string;
    siteId: string | null;
    kind: string;
    recipients: string;
    subject: string;
    body: string;
    dedupeKey: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.kind = fields.kind;
    this.recipients = fields.recipients;
    this.subject = fields.subject;
    this.body = fields.body;
    this.dedupeKey = fields.dedupeKey;
  }
}
