import { proxyActivities } from '@temporalio/workflow';
import type { EndedSupportReport, SupportActivities } from '../activities/support/activities';
import { supportExpiry } from './activity-options';

/**
 * Ends operators' site supports whose time is up, and configures their sites (see
 * activities/support). Run by the `site-support-expiry` schedule; its result lists them.
 */
export async function endExpiredSupport(): Promise<EndedSupportReport> {
  const { endExpiredSupport: end } = proxyActivities<SupportActivities>(supportExpiry);
  return end();
}
