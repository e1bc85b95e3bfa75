import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { upgradeQueueScheduleId, upgradeQueueWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that starts queued OS upgrades (`startQueuedUpgrades`) every
 * BERTH_UPGRADE_QUEUE_MINUTES (MWS3's dequeue_upgrades ran every 30 minutes).
 */
export async function ensureUpgradeQueueSchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: upgradeQueueScheduleId,
    every: `${config.os.upgradeQueueMinutes} minutes`,
    action: {
      type: 'startWorkflow',
      workflowType: 'startQueuedUpgrades',
      workflowId: upgradeQueueWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [],
    },
  });
}
