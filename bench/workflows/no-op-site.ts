import { executeChild } from '@temporalio/workflow';
import { noOpProvision } from './no-op-provision';
import { runSteps, type Step } from './steps';

export interface NoOpSiteInput {
  siteId: string;
  steps: Step[];
  childSteps: Step[];
}

/**
 * The baseline's stand-in for the `site` workflow's provisioning: the same steps in the same
 * order (status writes, the provisioning child, ...), each doing nothing.
 */
export async function noOpSite(input: NoOpSiteInput): Promise<void> {
  await runSteps(input.steps, input.siteId, () =>
    executeChild(noOpProvision, {
      workflowId: `bench-provision/${input.siteId}`,
      args: [{ siteId: input.siteId, steps: input.childSteps }],
    }),
  );
}
