import { type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Notification, notificationKinds } from '../../../libs/domain';
import { badUserInput } from '../graphql/graphql-errors';
import { ORM } from '../tokens';
import {
  type NotificationAudienceEnum,
  type NotificationConnection,
  type NotificationKindEnum,
  type NotificationModel,
  NotificationStatusEnum,
} from './notification.model';
import { type NotificationFilterInput } from './notifications.args';

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
    if (after !== null) {
      const cursor = decodeCursor(after);
      conditions.push({
        $or: [
          { createdAt: { $lt: cursor.createdAt } },
          { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
        ],
      });
    }
    const rows = await forkEm(this.orm).find(
      Notification,
      conditions.length ? { $and: conditions } : {},
      { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: first + 1 },
    );
    const edges = rows
      .slice(0, first)
      .map((row) => ({ cursor: encodeCursor(row), node: toNotificationModel(row) }));
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

function encodeCursor(row: Notification): string {
  return Buffer.from(JSON.stringify(['notification', row.createdAt.getTime(), row.id])).toString(
    'base64url',
  );
}

/** Refuses a cursor this API did not make. */
function decodeCursor(text: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === 'notification' &&
      Number.isSafeInteger(value[1]) &&
      typeof value[2] === 'string'
    ) {
      return { createdAt: new Date(value[1] as number), id: value[2] };
    }
  } catch {
    // Reported below.
  }
  throw badUserInput([{ field: 'after', message: 'not a cursor this API returned' }]);
}
