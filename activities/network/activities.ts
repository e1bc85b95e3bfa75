import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type BerthConfig } from '../../libs/config';
import { type Orm, forkEm } from '../../libs/db/orm';
import { NetworkConfig } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { addressesForSlot, parsePools } from './address-pool';

export interface AllocateNetworkInput {
  vmId: string;
  /** Null when allocating for a warm-pool VM. */
  siteId: string | null;
  /** The label the requester asked for; otherwise `<prefix><slot>`. */
  hostnameLabel: string | null;
}

export interface NetworkAllocation {
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/**
 * Address management activities. Allocation is idempotent per VM (a retry returns the same
 * addresses) and race-free: unique constraints, not reads, decide who gets a slot.
 */
export function createNetworkActivities(deps: { orm: Orm; network: BerthConfig['network'] }) {
  const pool = parsePools(deps.network.ipv4Pool, deps.network.ipv6Pool);
  const { zone, hostnamePrefix } = deps.network;

  /**
   * Walks the slots upwards from the first free one and claims the first that an insert wins.
   * Every lost insert means another allocation took that slot (or its default host name), so the
   * walk always moves on and ends within the pool's capacity, however many run at once.
   */
  async function allocateNetwork(input: AllocateNetworkInput): Promise<NetworkAllocation> {
    const existing = await forkEm(deps.orm).findOne(NetworkConfig, { vmId: input.vmId });
    if (existing) return describe(existing);

    const used = await usedSlots(deps.orm);
    for (let slot = 1; slot <= pool.capacity; slot++) {
      if (used.has(slot)) continue;
      const hostname = `${input.hostnameLabel ?? `${hostnamePrefix}${slot}`}.${zone}`;
      const row = new NetworkConfig({
        id: randomUUID(),
        vmId: input.vmId,
        siteId: input.siteId,
        slot,
        hostname,
        ...addressesForSlot(pool, slot),
      });
      try {
        await forkEm(deps.orm).persistAndFlush(row);
        return describe(row);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
      }
      const check = forkEm(deps.orm);
      const mine = await check.findOne(NetworkConfig, { vmId: input.vmId });
      if (mine) return describe(mine);
      if (input.hostnameLabel !== null && (await check.findOne(NetworkConfig, { hostname }))) {
        throw failure('HostnameTaken', `${hostname} belongs to another server`);
      }
      // Someone else won this slot, or this slot's default name is someone's chosen label.
    }
    throw failure('AddressPoolExhausted', `no free address is left in ${deps.network.ipv4Pool}`);
  }

  async function usedSlots(orm: Orm): Promise<Set<number>> {
    const rows = await forkEm(orm)
      .getConnection()
      .execute<{ slot: number }[]>('select slot from network_config');
    return new Set(rows.map((row) => Number(row.slot)));
  }

  /**
   * Returns a server's host name and addresses to the pool; releasing what is already released
   * succeeds. TODO(#5): a hold period before the addresses are handed out again.
   */
  async function releaseNetwork(input: { vmId: string }): Promise<void> {
    await forkEm(deps.orm).nativeDelete(NetworkConfig, { vmId: input.vmId });
  }

  return { allocateNetwork, releaseNetwork };
}

function describe(row: NetworkConfig): NetworkAllocation {
  return { hostname: row.hostname, ipv4: row.ipv4, ipv6: row.ipv6 };
}

export type NetworkActivities = ReturnType<typeof createNetworkActivities>;
