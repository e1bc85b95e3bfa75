import { proxyActivities } from '@temporalio/workflow';
import type { NoOpActivities } from '../no-op-activities';

export interface NoOpProvisionInput {
  siteId: string;
  /** How many no-op activities to run one after another. */
  activities: number;
}

/** The baseline's stand-in for `provisionVm`: the same number of sequential activities, doing nothing. */
export async function noOpProvision(input: NoOpProvisionInput): Promise<{ siteId: string }> {
  const { noOp } = proxyActivities<NoOpActivities>({ startToCloseTimeout: '30 seconds' });
  for (let step = 0; step < input.activities; step++) {
    await noOp({ siteId: input.siteId, step });
  }
  return { siteId: input.siteId };
}
