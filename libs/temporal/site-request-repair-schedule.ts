import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { siteRequestRepairScheduleId, siteRequestRepairWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that starts the workflows of stranded site requests (`repairSiteRequests`) every
 * ten minutes, for requests older than its default wait.
 */
export async function ensureSiteRequestRepairSchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: siteRequestRepairScheduleId,
    every: '10 minutes',
    action: {
      type: 'startWorkflow',
      workflowType: 'repairSiteRequests',
      workflowId: siteRequestRepairWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
    },
  });
}
