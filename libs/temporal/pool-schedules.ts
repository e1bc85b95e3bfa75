import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { type RefillPoolInput } from '../../workflows/refill-pool';
import { poolRefillWorkflowId, poolScheduleId } from './names';
import { upsertIntervalSchedule } from './schedules';

/**
 * One schedule per OS image keeps the warm pool topped up (MWS3's nightly
 * check_num_preallocated_sites, every few minutes here). Creating them is idempotent: a schedule
 * that exists is updated to the configured target and interval.
 */
export async function ensurePoolSchedules(client: Client, config: BerthConfig): Promise<void> {
  for (const { image, size } of config.pool.targets) {
    const input: RefillPoolInput = {
      image,
      target: size,
      size: {
        cpus: config.provisioning.cpus,
        memoryMb: config.provisioning.memoryMb,
        diskGb: config.provisioning.diskGb,
      },
      installTimeoutSeconds: config.provisioning.installTimeoutSeconds,
    };
    await upsertIntervalSchedule(client, {
      scheduleId: poolScheduleId(image),
      every: `${config.pool.refillMinutes} minutes`,
      action: {
        type: 'startWorkflow',
        workflowType: 'refillPool',
        workflowId: poolRefillWorkflowId(image),
        taskQueue: config.temporal.taskQueue,
        args: [input],
      },
    });
  }
}
