import { proxyActivities } from '@temporalio/workflow';
import type {
  SiteRequestActivities,
  StrandedSitesReport,
} from '../activities/site-requests/activities';
import { siteRequestRepair } from './activity-options';

export interface RepairSiteRequestsInput {
  /**
   * How long a site may stay `requested` before its request counts as stranded: well beyond the
   * api's own start of the workflow, which removes the site's rows when it fails.
   */
  olderThanSeconds?: number;
}

/** Ten minutes: the api takes milliseconds, and gives up on a start within a minute. */
export const defaultStrandedAfterSeconds = 600;

/**
 * Starts the workflows of site requests whose api stopped before it did (see
 * activities/site-requests). Run by the `site-request-repair` schedule; the sites it started are
 * the workflow's result, readable in the Temporal UI, and each has a `site.requested` event.
 */
export async function repairSiteRequests(
  input: RepairSiteRequestsInput = {},
): Promise<StrandedSitesReport> {
  const { startStrandedSites } = proxyActivities<SiteRequestActivities>(siteRequestRepair);
  return startStrandedSites({
    olderThanSeconds: input.olderThanSeconds ?? defaultStrandedAfterSeconds,
  });
}
