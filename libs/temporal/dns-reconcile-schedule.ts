import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { dnsReconcileScheduleId, dnsReconcileWorkflowId } from './names';

/**
 * The schedule that compares DNS with the database (`reconcileDns`) every
 * BERTH_DNS_RECONCILE_MINUTES. Idempotent, like the other schedules: a changed interval or repair
 * setting updates the schedule in place.
 */
export async function ensureDnsReconcileSchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reconcileDns',
    workflowId: dnsReconcileWorkflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ repair: config.dns.repairDrift }],
  };
  const spec = { intervals: [{ every: `${config.dns.reconcileMinutes} minutes` }] };
  try {
    await client.schedule.create({
      scheduleId: dnsReconcileScheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(dnsReconcileScheduleId)
      .update((previous) => ({ ...previous, spec, action }));
  }
}
