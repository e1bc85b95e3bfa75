import { executeChild, proxyActivities } from '@temporalio/workflow';
import type { NoOpActivities } from '../no-op-activities';
import { noOpProvision } from './no-op-provision';

export interface NoOpSiteInput {
  siteId: string;
  /** Activities the parent runs: all but the last before the child, the last after it. */
  parentActivities: number;
  childActivities: number;
}

/**
 * The baseline's stand-in for the `site` workflow's provisioning: no-op activities around one
 * child workflow, shaped like Berth's (status write, pool claim, ..., child, status write).
 */
export async function noOpSite(input: NoOpSiteInput): Promise<void> {
  const { noOp } = proxyActivities<NoOpActivities>({ startToCloseTimeout: '30 seconds' });
  for (let step = 0; step < input.parentActivities - 1; step++) {
    await noOp({ siteId: input.siteId, step });
  }
  await executeChild(noOpProvision, {
    workflowId: `bench-provision/${input.siteId}`,
    args: [{ siteId: input.siteId, activities: input.childActivities }],
  });
  if (input.parentActivities > 0) {
    await noOp({ siteId: input.siteId, step: input.parentActivities - 1 });
  }
}
