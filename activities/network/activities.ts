import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type BerthConfig } from '../../libs/config';
import { type Orm, forkEm } from '../../libs/db/orm';
import { NetworkConfig } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { addressesForSlot, parsePools } from './address-pool';

export interface AllocateNetworkInput {
  vmId: string;
  siteId: string;
  /** The label the requester asked for; otherwise `<prefix><slot>`. */
  hostnameLabel: string | null;
}

export interface NetworkAllocation {
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/** How often a slot race is retried before the allocation gives up (each retry sees new rows). */
const maxSlotRaces = 20;

/**
 * Address management activities. Allocation is idempotent per VM (a retry returns the same
 * addresses) and race-free: unique constraints, not reads, decide who gets a slot.
 */
export function createNetworkActivities(deps: { orm: Orm; network: BerthConfig['network'] }) {
  const pool = parsePools(deps.network.ipv4Pool, deps.network.ipv6Pool);
  const { zone, hostnamePrefix } = deps.network;

  async function allocateNetwork(input: AllocateNetworkInput): Promise<NetworkAllocation> {
    for (let race = 0; race < maxSlotRaces; race++) {
      const em = forkEm(deps.orm);
      const existing = await em.findOne(NetworkConfig, { vmId: input.vmId });
      if (existing) return describe(existing);

      const slot = await firstFreeSlot(deps.orm);
      if (slot === undefined) {
        throw failure(
          'AddressPoolExhausted',
          `no free address is left in ${deps.network.ipv4Pool}`,
        );
      }
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
        await em.persistAndFlush(row);
        return describe(row);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        const check = forkEm(deps.orm);
        const mine = await check.findOne(NetworkConfig, { vmId: input.vmId });
        if (mine) return describe(mine);
        if (await check.findOne(NetworkConfig, { hostname })) {
          if (input.hostnameLabel !== null) {
            throw failure('HostnameTaken', `${hostname} belongs to another server`);
          }
        }
        // Another allocation took this slot between our read and our insert: try the next one.
      }
    }
    throw failure('AddressPoolExhausted', `gave up after ${maxSlotRaces} concurrent slot races`);
  }

  async function firstFreeSlot(orm: Orm): Promise<number | undefined> {
    const rows = await forkEm(orm)
      .getConnection()
      .execute<{ slot: number }[]>('select slot from network_config order by slot');
    let expected = 1;
    for (const { slot } of rows) {
      if (Number(slot) !== expected) break;
      expected++;
    }
    return expected <= pool.capacity ? expected : undefined;
  }

  return { allocateNetwork };
}

function describe(row: NetworkConfig): NetworkAllocation {
  return { hostname: row.hostname, ipv4: row.ipv4, ipv6: row.ipv6 };
}

export type NetworkActivities = ReturnType<typeof createNetworkActivities>;
