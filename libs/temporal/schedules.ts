import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
  type Workflow,
} from '@temporalio/client';

/**
 * Creates a schedule that starts a workflow every `every` (`'10 minutes'`), or brings an existing
 * one in line with the configuration: Berth's schedules are idempotent to set up, so every worker
 * start runs this. A run still going when the next is due is skipped, not queued.
 */
export async function upsertIntervalSchedule(
  client: Client,
  options: {
    scheduleId: string;
    every: string;
    action: ScheduleOptionsStartWorkflowAction<Workflow>;
    /** Runs once at creation, not an interval later. */
    triggerImmediately?: boolean;
  },
): Promise<void> {
  const spec = { intervals: [{ every: options.every }] };
  const { action } = options;
  try {
    await client.schedule.create({
      scheduleId: options.scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      ...(options.triggerImmediately ? { state: { triggerImmediately: true } } : {}),
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(options.scheduleId)
      .update((previous) => ({ ...previous, spec, action }));
  }
}
