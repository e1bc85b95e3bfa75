import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { certificateExpiryScheduleId, certificateExpiryWorkflowId } from './names';
import { upsertIntervalSchedule } from './schedules';

/** How often certificates are checked: reminders are counted in days, so once a day is enough. */
export const certificateExpiryEvery = '1 day';

/**
 * The schedule that runs the certificate expiry check (`checkCertificates`) once a day: marks
 * expired certificates and queues the reminders due 30, 14 and 3 days before expiry. The first
 * check runs when the schedule is made, so a new deployment does not wait a day.
 */
export async function ensureCertificateExpirySchedule(
  client: Client,
  config: BerthConfig,
): Promise<void> {
  await upsertIntervalSchedule(client, {
    scheduleId: certificateExpiryScheduleId,
    every: certificateExpiryEvery,
    action: {
      type: 'startWorkflow',
      workflowType: 'checkCertificates',
      workflowId: certificateExpiryWorkflowId,
      taskQueue: config.temporal.taskQueue,
      args: [{}],
    },
    triggerImmediately: true,
  });
}
