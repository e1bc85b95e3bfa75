import { type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Notification, notificationKinds } from '../../../libs/domain';
import { createdAtCursor } from '../graphql/created-at-cursor';
import { ORM } from '../tokens';
import {
  type NotificationAudienceEnum,
  type NotificationConnection,
  type NotificationKindEnum,
  type NotificationModel,
  NotificationStatusEnum,
} from './notification.model';
import { type NotificationFilterInput } from './notifications.args';

/** Cursors of notification lists. */
const cursors = createdAtCursor('notification');

/** The notification outbox as operators read it: newest first, keyset-paginated. */
@Injectable()
export class NotificationsService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  async list(
    first: number,
    after: string | null,
    filter: NotificationFilterInput = {},
  ): Promise<NotificationConnection> {
    const conditions: FilterQuery<Notification>[] = [];
    if (filter.siteId) conditions.push({ siteId: filter.siteId });
    if (filter.kind) conditions.push({ kind: filter.kind });
    if (filter.status === NotificationStatusEnum.SENT) conditions.push({ sentAt: { $ne: null } });
    if (filter.status === NotificationStatusEnum.FAILED) {
      conditions.push({ sentAt: null, failedAt: { $ne: null } });
    }
    if (filter.status === NotificationStatusEnum.QUEUED) {
      conditions.push({ sentAt: null, failedAt: null });
    }
    if (after !== null) conditions.push(cursors.after(after));
    const rows = await forkEm(this.orm).find(
      Notification,
      conditions.length ? { $and: conditions } : {},
      { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: first + 1 },
    );
    const edges = rows
      .slice(0, first)
      .map((row) => ({ cursor: cursors.encode(row), node: toNotificationModel(row) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }
}

export function toNotificationModel(row: Notification): NotificationModel {
  return {
    id: row.id,
    siteId: row.siteId,
    kind: (notificationKinds as readonly string[]).includes(row.kind)
      ? (row.kind as NotificationKindEnum)
      : null,
    status: row.status as NotificationStatusEnum,
    recipients: row.recipients ? row.recipients.split(',') : [],
    audience: row.audience as NotificationAudienceEnum | null,
    deliveredTo: row.deliveredTo === null ? null : row.deliveredTo.split(',').filter(Boolean),
    subject: row.subject,
    body: row.body,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
    failedAt: row.failedAt,
    nextAttemptAt: row.nextAttemptAt,
  };
}
