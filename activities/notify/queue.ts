import { randomUUID } from 'node:crypto';
import { type Em } from '../../libs/db/orm';
import {
  Notification,
  type NotificationAudience,
  type NotificationKind,
  Site,
} from '../../libs/domain';
import { type NotificationParams, renderNotification } from './templates';

export interface QueueNotificationInput<K extends NotificationKind> {
  kind: K;
  params: NotificationParams[K];
  /** Unique per message: a second call with the same key queues nothing (retries are safe). */
  dedupeKey: string;
  /** The site it is about; null for none. */
  siteId: string | null;
  /** Addresses named now, on top of the audience. */
  recipients?: readonly string[];
  /**
   * Whose addresses are looked up when it is sent: by default `site` when there is a site (its
   * contact address and its admins), otherwise nobody but `recipients`.
   */
  audience?: NotificationAudience | null;
}

/**
 * Queues a notification in the caller's transaction, so that it exists exactly when the change it
 * reports does: its subject and body are rendered now from the kind's template, and the
 * `notification-delivery` schedule e-mails it later. A site's notification also names the site's
 * contact address as it is now. Returns the new row, or null when the dedupe key was queued
 * before (a retried activity).
 */
export async function queueNotification<K extends NotificationKind>(
  em: Em,
  input: QueueNotificationInput<K>,
): Promise<Notification | null> {
  if (await em.findOne(Notification, { dedupeKey: input.dedupeKey }, { fields: ['id'] })) {
    return null;
  }
  const audience = input.audience === undefined ? (input.siteId ? 'site' : null) : input.audience;
  const recipients = [...(input.recipients ?? [])];
  if (audience === 'site' && input.siteId) {
    const site = await em.findOne(Site, input.siteId);
    if (site) recipients.push(site.contactEmail);
  }
  const named = uniqueAddresses(recipients).join(',');
  // The column's size: a longer list is a caller's mistake (an audience is the way to many).
  if (named.length > 2000) throw new Error('a notification names more addresses than it can hold');
  const { subject, text } = renderNotification(input.kind, input.params);
  const row = new Notification({
    id: randomUUID(),
    siteId: input.siteId,
    kind: input.kind,
    recipients: named,
    audience,
    subject,
    body: text,
    dedupeKey: input.dedupeKey,
  });
  em.persist(row);
  return row;
}

/** Trimmed, without blanks, each address once whatever its case, in first-seen order. */
export function uniqueAddresses(addresses: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const address of addresses) {
    const trimmed = address.trim();
    if (trimmed && !seen.has(trimmed.toLowerCase())) seen.set(trimmed.toLowerCase(), trimmed);
  }
  return [...seen.values()];
}
