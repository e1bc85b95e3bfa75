import { proxyActivities } from '@temporalio/workflow';
import type {
  QueuedUpgradesReport,
  UpgradeQueueActivities,
} from '../activities/upgrade-queue/activities';
import { upgradeQueue } from './activity-options';

/**
 * Starts the queued OS upgrades there is room for under BERTH_MAX_PENDING_UPGRADES, oldest first
 * (libs/upgrades). Run by the `upgrade-queue` schedule; its result, readable in the Temporal UI,
 * lists the operations it started and those it failed, and each has a site event.
 */
export async function startQueuedUpgrades(): Promise<QueuedUpgradesReport> {
  const { startQueuedUpgrades: start } = proxyActivities<UpgradeQueueActivities>(upgradeQueue);
  return start();
}
