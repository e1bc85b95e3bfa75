import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** What a notification reports; each has a template in activities/notify/templates.ts. */
export const notificationKinds = [
  'site-ready',
  'cancellation-warning',
  'upgrade-waiting-for-approval',
  'certificate-expiry',
  'domain-approval-needed',
  'domain-approval-given',
  'domain-rejected',
  'host-failover',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/**
 * Who a notification goes to besides its `recipients`, looked up when it is sent (so a directory
 * that is down delays the message, never the change it reports):
 * - `site`: the site's contact address and the directory addresses of its admins, roles granted
 *   to directory groups counting for each member;
 * - `operators`: the directory addresses of the operator group's members.
 */
export const notificationAudiences = ['site', 'operators'] as const;
export type NotificationAudience = (typeof notificationAudiences)[number];

/** Where a notification is: waiting (or being retried), delivered, or given up on. */
export type NotificationStatus = 'queued' | 'sent' | 'failed';

/**
 * A message for a site's people, queued here (an outbox) by the activity that decided to send it,
 * in the same transaction as the change it reports (`queueNotification` in activities/notify).
 * The `notification-delivery` schedule sends it by e-mail: a send claims the row first
 * (`sendingAt`, a lease), then records the outcome: `sentAt`, or `failedAt` when the mail server
 * refused it for good or the attempts ran out; a temporary failure waits until `nextAttemptAt`.
 */
@Entity({ tableName: 'notification' })
// Queued rows (both timestamps null) are found from the index, however many were sent.
@Index({ properties: ['sentAt', 'failedAt'] })
export class Notification {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** What happened, for templates and filters: one of notificationKinds. */
  @Property({ type: 'string', length: 60 })
  kind: string;

  /** Comma-separated e-mail addresses named when it was queued; the audience comes on top. */
  @Property({ type: 'string', length: 2000 })
  recipients: string;

  /** Whose addresses are looked up when it is sent; null: only `recipients`. */
  @Property({ type: 'string', length: 20, nullable: true })
  audience: NotificationAudience | null = null;

  @Property({ type: 'string', length: 200 })
  subject: string;

  /** Plain text. */
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

  /** When delivery was given up: refused for good, or out of attempts. */
  @Property({ type: 'datetime', nullable: true })
  failedAt: Date | null = null;

  /** Sends started, counting the one under way. */
  @Property({ type: 'integer', default: 0 })
  attempts = 0;

  /**
   * When a send claimed it; another send leaves it alone until the lease runs out, so a send
   * whose outcome was lost with its worker is not repeated at once.
   */
  @Property({ type: 'datetime', nullable: true })
  sendingAt: Date | null = null;

  /** Not sent before this time (after a temporary failure); null: at once. */
  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt: Date | null = null;

  /** Why the last attempt failed, or which recipients the mail server refused. No secrets. */
  @Property({ type: 'string', length: 500, nullable: true })
  lastError: string | null = null;

  /** Comma-separated addresses the mail server accepted it for, once sent. */
  @Property({ type: 'string', length: 2000, nullable: true })
  deliveredTo: string | null = null;

  constructor(fields: {
    id: string;
    siteId: string | null;
    kind: string;
    recipients: string;
    audience?: NotificationAudience | null;
    subject: string;
    body: string;
    dedupeKey: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.kind = fields.kind;
    this.recipients = fields.recipients;
    this.audience = fields.audience ?? null;
    this.subject = fields.subject;
    this.body = fields.body;
    this.dedupeKey = fields.dedupeKey;
  }

  get status(): NotificationStatus {
    if (this.sentAt) return 'sent';
    return this.failedAt ? 'failed' : 'queued';
  }
}
