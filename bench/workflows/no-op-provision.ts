import { runSteps, type Step } from './steps';

export interface NoOpProvisionInput {
  siteId: string;
  /** The provisioning child's steps, read from a Berth history. */
  steps: Step[];
}

/** The baseline's stand-in for `provisionVm`: the same steps in the same order, doing nothing. */
export async function noOpProvision(input: NoOpProvisionInput): Promise<{ siteId: string }> {
  await runSteps(input.steps, input.siteId, () => Promise.resolve());
  return { siteId: input.siteId };
}
