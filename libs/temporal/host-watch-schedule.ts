import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { hostWatchScheduleId, hostWatchWorkflowId } from './names';

/**
 * The schedule that reads every hypervisor host's state into the read model (`watchHosts`), so
 * operators see connection state, maintenance and capacity. Idempotent, like the pool schedules.
 */
export async function ensureHostWatchSchedule(client: Client, config: BerthConfig): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'watchHosts',
    workflowId: hostWatchWorkflowId,
    taskQueue: config.temporal.taskQueue,
    args: [],
  };
  const spec = { intervals: [{ every: `${config.fleet.hostWatchSeconds} seconds` }] };
  try {
    await client.schedule.create({
      scheduleId: hostWatchScheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      // The hosts query has something to show from the start, not an interval later.
      state: { triggerImmediately: true },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(hostWatchScheduleId)
      .update((previous) => ({ ...previous, spec, action }));
  }
}
