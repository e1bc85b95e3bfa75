import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { NoOpActivities } from '../no-op-activities';

/**
 * What a workflow did, in order, as read from a Berth history: `R` a scheduled activity, `L` a
 * local activity, `C` a child workflow (the provisioning child).
 */
export type Step = 'R' | 'L' | 'C';

/** Runs a sequence of steps with no-op activities, the way Berth's workflow ran it. */
export async function runSteps(steps: Step[], siteId: string, child: () => Promise<unknown>) {
  const scheduled = proxyActivities<NoOpActivities>({ startToCloseTimeout: '30 seconds' });
  const local = proxyLocalActivities<NoOpActivities>({ startToCloseTimeout: '30 seconds' });
  for (const [step, kind] of steps.entries()) {
    if (kind === 'R') await scheduled.noOp({ siteId, step });
    else if (kind === 'L') await local.noOp({ siteId, step });
    else await child();
  }
}
