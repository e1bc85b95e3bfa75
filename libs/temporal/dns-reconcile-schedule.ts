import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { dnsReconcileScheduleId, dnsReconcileWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * The schedule that compares DNS with the database (`reconcileDns`) every
 * BERTH_DNS_RECONCILE_MINUTES; a changed interval or repair setting updates it in place.
 */
export async function ensureDnsReconcileSchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: dnsReconcileScheduleId,
    every: `${config.dns.reconcileMinutes} minutes`,
    action: {
      type: 'startWorkflow',
      workflowType: 'reconcileDns',
      workflowId: dnsReconcileWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{ repair: config.dns.repairDrift }],
    },
  });
}
