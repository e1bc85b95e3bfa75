import { type Em } from '../db/orm';
import { Operation, Service, Vm } from '../domain';

/**
 * The fleet's cap on OS upgrades at once (BERTH_MAX_PENDING_UPGRADES, MWS3's MAX_PENDING_UPGRADES):
 * an upgrade holds a test server from its start until it is approved or called off, so a fleet
 * due an upgrade at once would otherwise ask the hypervisors for a second server per site. Past
 * the cap, an upgrade is written as a `queued` operation, and the `upgrade-queue` schedule sends
 * the oldest ones to their sites' workflows as running upgrades end.
 */

/** What a queued upgrade's operation says while it waits. */
export const queuedUpgradeStep = 'waiting for room: as many upgrades as allowed are running';

/** Upgrades running and queued across the fleet, and how many more may start now. */
export interface UpgradeRoom {
  running: number;
  queued: number;
  /** Upgrades that may start now: Infinity when there is no cap. */
  room: number;
}

export async function upgradeRoom(em: Em, maxPendingUpgrades: number): Promise<UpgradeRoom> {
  const [running, queued] = await Promise.all([
    em.count(Operation, { kind: 'upgrade', status: 'running' }),
    em.count(Operation, { kind: 'upgrade', status: 'queued' }),
  ]);
  const room = maxPendingUpgrades === 0 ? Infinity : Math.max(0, maxPendingUpgrades - running);
  return { running, queued, room };
}

/**
 * Whether a new upgrade must wait: the cap is reached, or others already wait (they go first).
 */
export function mustQueue({ room, queued }: UpgradeRoom): boolean {
  return room === 0 || queued > 0;
}

/** The image the site's production server is upgraded to, when its image is due one. */
export async function upgradeTarget(
  em: Em,
  siteId: string,
  upgrades: ReadonlyMap<string, string>,
): Promise<string | undefined> {
  const production = await em.findOne(Service, { siteId, kind: 'production' });
  const vm = production?.vmId ? await em.findOne(Vm, production.vmId) : null;
  return vm ? upgrades.get(vm.image) : undefined;
}
