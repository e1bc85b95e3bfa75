import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { supportExpiryScheduleId, supportExpiryWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that ends operators' site supports whose time is up (`endExpiredSupport`) every
 * five minutes, so that an hour's support ends within five minutes of the hour (MWS3 removed a
 * supporter with a task delayed by exactly one hour).
 */
export async function ensureSupportExpirySchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: supportExpiryScheduleId,
    every: '5 minutes',
    action: {
      type: 'startWorkflow',
      workflowType: 'endExpiredSupport',
      workflowId: supportExpiryWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [],
    },
  });
}
