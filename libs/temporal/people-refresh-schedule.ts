import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { peopleRefreshScheduleId, peopleRefreshWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that refreshes sites' users from the directory (`refreshSitePeople`) every
 * BERTH_PEOPLE_REFRESH_MINUTES; a changed interval updates it in place.
 */
export async function ensurePeopleRefreshSchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: peopleRefreshScheduleId,
    every: `${config.people.refreshMinutes} minutes`,
    action: {
      type: 'startWorkflow',
      workflowType: 'refreshSitePeople',
      workflowId: peopleRefreshWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
    },
  });
}
