import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Why a site's workflow did not take a change sent as its `changeSite` Update, when that is known:
 * its validator refused it (IllegalTransition, InvalidChange), or the workflow has ended (the site
 * was deleted). Undefined for any other error, which says nothing of whether the change arrived.
 */
export function siteChangeRefusal(error: unknown): string | undefined {
  if (
    error instanceof WorkflowUpdateFailedError &&
    error.cause instanceof ApplicationFailure &&
    (error.cause.type === 'IllegalTransition' || error.cause.type === 'InvalidChange')
  ) {
    return error.cause.message;
  }
  if (error instanceof WorkflowNotFoundError) return 'the site has no running workflow';
  return undefined;
}
