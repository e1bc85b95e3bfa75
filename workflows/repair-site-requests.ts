import { proxyActivities } from '@temporalio/workflow';
import type {
  SiteRequestActivities,
  StrandedSitesReport,
} from '../activities/site-requests/activities';
import { siteRequestRepair } from './activity-options';

export interface RepairSiteRequestsInput {
  /**
   * How long a site may stay `requested`, unrecorded, before its request counts as stranded; at
   * least minStrandedAfterSeconds.
   */
  olderThanSeconds?: number;
}

/**
 * Ten minutes: the api starts a workflow within milliseconds, and gives up on the start, and on
 * asking whether it happened, after siteStartDeadlineMs (10 s) each.
 */
export const defaultStrandedAfterSeconds = 600;
/** Never sooner: a request the api is still starting must not be started twice over. */
export const minStrandedAfterSeconds = 60;

/**
 * Starts the workflows of site requests whose api stopped before it did (see
 * activities/site-requests). Run by the `site-request-repair` schedule; its result lists the sites
 * it started, recorded or failed, readable in the Temporal UI, and each has a site event.
 */
export async function repairSiteRequests(
  input: RepairSiteRequestsInput = {},
): Promise<StrandedSitesReport> {
  const { startStrandedSites } = proxyActivities<SiteRequestActivities>(siteRequestRepair);
  return startStrandedSites({
    olderThanSeconds: Math.max(
      minStrandedAfterSeconds,
      input.olderThanSeconds ?? defaultStrandedAfterSeconds,
    ),
  });
}
