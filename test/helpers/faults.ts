import { ApplicationFailure } from '@temporalio/common';
import { type ActivityInterceptorsFactory } from '@temporalio/worker';

/** Where to fail: the first run of `activityType` in a workflow of `workflowType` from now on. */
export interface FaultTarget {
  workflowType: string;
  activityType: string;
  /** Fail the nth matching run (1 when absent), for a step a workflow takes more than once. */
  occurrence?: number;
}

/**
 * Failure injection for saga tests. Armed with a target, the worker's activity interceptor lets
 * the first matching activity run to the end (its effect is real: the VM is cloned, the address
 * allocated) and then fails it without retries, as if the worker had lost the answer and given
 * up. The workflow must undo that step and every step before it. It fires once per arming.
 */
export class FaultPlan {
  private target: FaultTarget | null = null;
  private seen = 0;
  private hit: string | null = null;

  arm(target: FaultTarget): void {
    this.target = target;
    this.seen = 0;
    this.hit = null;
  }

  /** The activity the fault was injected after, once it was. */
  firedAfter(): string | null {
    return this.hit;
  }

  disarm(): void {
    this.target = null;
  }

  readonly interceptor: ActivityInterceptorsFactory = (context) => ({
    inbound: {
      execute: async (input, next) => {
        const result = await next(input);
        const target = this.target;
        const { activityType, workflowType } = context.info;
        if (
          target &&
          target.activityType === activityType &&
          target.workflowType === workflowType &&
          ++this.seen === (target.occurrence ?? 1)
        ) {
          this.target = null;
          this.hit = `${workflowType}.${activityType}`;
          throw ApplicationFailure.nonRetryable(
            `injected failure after ${workflowType}.${activityType}`,
            'InjectedFailure',
          );
        }
        return result;
      },
    },
  });
}
