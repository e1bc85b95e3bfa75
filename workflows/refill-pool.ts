import { executeChild, sleep, uuid4 } from '@temporalio/workflow';
import type { PoolActivities } from '../activities/pool/activities';
import { provisionWorkflowId } from '../libs/temporal/names';
import { databaseCalls } from './activity-options';
import { provisionVm } from './provision-vm';

export interface RefillPoolInput {
  image: string;
  /** How many ready VMs the pool should hold. */
  target: number;
  size: { cpus: number; memoryMb: number; diskGb: number };
  installTimeoutSeconds: number;
  /**
   * Seconds to wait before counting, when a claim started the refill: the claims of a burst
   * then find it running (one refill per image), and it replaces them all in one batch once
   * the burst is over instead of building while the burst's sites are being served.
   */
  settleSeconds?: number;
}

export interface RefillPoolResult {
  started: number;
  built: number;
}

/**
 * Tops the warm pool of one image up to its target, building the missing VMs in parallel. Runs
 * as `pool/<image>` (one at a time per image), from a schedule and after every claim; VMs still
 * being built count towards the target, so overlapping triggers never overfill the pool.
 */
export async function refillPool(input: RefillPoolInput): Promise<RefillPoolResult> {
  const pool = databaseCalls<PoolActivities>();
  if (input.settleSeconds) await sleep(input.settleSeconds * 1000);
  const { ready, building } = await pool.poolLevel({ image: input.image });
  const missing = Math.max(0, input.target - ready - building);
  const builds = Array.from({ length: missing }, () => {
    const vmId = uuid4();
    return executeChild(provisionVm, {
      workflowId: provisionWorkflowId(vmId),
      args: [
        {
          siteId: null,
          vmId,
          operationId: null,
          image: input.image,
          hostnameLabel: null,
          size: input.size,
          installTimeoutSeconds: input.installTimeoutSeconds,
        },
      ],
    });
  });
  const results = await Promise.allSettled(builds);
  return { started: missing, built: results.filter((r) => r.status === 'fulfilled').length };
}
