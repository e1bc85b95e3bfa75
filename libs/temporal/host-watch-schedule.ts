import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { hostWatchScheduleId, hostWatchWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that reads every hypervisor host's state into the read model (`watchHosts`), so
 * operators see connection state, maintenance and capacity. Idempotent, like the pool schedules.
 */
export async function ensureHostWatchSchedule(client: Client, config: BerthConfig): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: hostWatchScheduleId,
    every: `${config.fleet.hostWatchSeconds} seconds`,
    action: {
      type: 'startWorkflow',
      workflowType: 'watchHosts',
      workflowId: hostWatchWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [],
    },
    // The hosts query has something to show from the start, not an interval later.
    triggerImmediately: true,
  });
}
