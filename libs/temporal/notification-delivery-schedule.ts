import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { notificationDeliveryScheduleId, notificationDeliveryWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that e-mails queued notifications (`deliverNotifications`) every
 * BERTH_NOTIFY_INTERVAL_SECONDS; changed settings update it in place, like the other schedules.
 */
export async function ensureNotificationDeliverySchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: notificationDeliveryScheduleId,
    every: `${config.notifications.intervalSeconds} seconds`,
    action: {
      type: 'startWorkflow',
      workflowType: 'deliverNotifications',
      workflowId: notificationDeliveryWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          limit: config.notifications.batchSize,
          cancellationWarningHours: [...config.notifications.cancellationWarningHours],
        },
      ],
    },
  });
}
