import { isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { NotifyActivities, SendNotificationResult } from '../activities/notify/activities';
import { mailCall, quickCall } from './activity-options';

export interface DeliverNotificationsInput {
  /** Notifications one run sends at most (BERTH_NOTIFY_BATCH_SIZE); the rest wait for the next. */
  limit: number;
  /** Lead times before a cancelled site's deletion at which its people are warned. */
  cancellationWarningHours: number[];
}

export type DeliverNotificationsResult = Record<SendNotificationResult['outcome'], number> & {
  /** Cancellation warnings this run queued. */
  warningsQueued: number;
  /** Sends that failed as activities (the database, a lost worker); their rows wait. */
  errors: number;
};

/** Notifications read per batch, and sent at once within it. */
const batchSize = 20;
const sendsAtOnce = 5;

/**
 * Delivers the notification outbox, run by the `notification-delivery` schedule: queues the
 * warnings that cancelled sites are due, then sends what is due in batches, each notification by
 * its own activity, until none is left or the run's limit is reached. Each send claims its row and
 * records the outcome there (sent, failed for good, or a later attempt), so runs that overlap or
 * repeat never mail one notification twice; the counts are the workflow's result, readable in the
 * Temporal UI.
 */
export async function deliverNotifications(
  input: DeliverNotificationsInput,
): Promise<DeliverNotificationsResult> {
  const { dueNotifications, queueCancellationWarnings } =
    proxyActivities<NotifyActivities>(quickCall);
  const { sendNotification } = proxyActivities<NotifyActivities>(mailCall);
  const result: DeliverNotificationsResult = {
    sent: 0,
    failed: 0,
    deferred: 0,
    skipped: 0,
    errors: 0,
    warningsQueued: 0,
  };
  result.warningsQueued = (
    await queueCancellationWarnings({ leadHours: input.cancellationWarningHours })
  ).queued;
  let handled = 0;
  while (handled < input.limit) {
    const ids = await dueNotifications({ limit: Math.min(batchSize, input.limit - handled) });
    if (ids.length === 0) break;
    handled += ids.length;
    for (let start = 0; start < ids.length; start += sendsAtOnce) {
      const sends = await Promise.allSettled(
        ids.slice(start, start + sendsAtOnce).map((id) => sendNotification({ id })),
      );
      for (const send of sends) {
        if (send.status === 'fulfilled') {
          result[send.value.outcome] += 1;
        } else {
          if (isCancellation(send.reason)) throw send.reason;
          result.errors += 1;
          log.warn('sending a notification failed', {
            error: send.reason instanceof Error ? send.reason.message : String(send.reason),
          });
        }
      }
    }
  }
  return result;
}
