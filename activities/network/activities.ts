import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type BerthConfig } from '../../libs/config';
import { type Em, type Orm, forkEm } from '../../libs/db/orm';
import { AddressPool, NetworkConfig } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { type AddressFamily, addressAt } from '../../libs/network/addresses';
import { type HostnamePattern, parseHostnamePattern } from '../../libs/network/hostnames';
import { poolLayout, skipKept } from '../../libs/network/pools';

export interface AllocateNetworkInput {
  vmId: string;
  /** Null when allocating for a warm-pool VM. */
  siteId: string | null;
  /** The label the requester asked for; otherwise one made from the host name pattern. */
  hostnameLabel: string | null;
}

export interface NetworkAllocation {
  hostname: string;
  ipv4: string;
  ipv6: string;
  /** The networks' prefix lengths and gateways, for the guest's configuration. */
  ipv4PrefixLength: number;
  ipv4Gateway: string | null;
  ipv6PrefixLength: number;
  ipv6Gateway: string | null;
}

/** A losing insert is retried this often before the allocation gives up (and Temporal retries). */
const insertAttempts = 5;

/**
 * Address management activities. Allocation is idempotent per VM (a retry returns the same
 * addresses) and race-free: each allocation's transaction first bumps the counters of the pools it
 * may take from, which queues allocations from the same pools one after another, and unique
 * constraints settle whatever that does not cover (names across pools).
 */
export function createNetworkActivities(deps: { orm: Orm; network: BerthConfig['network'] }) {
  const { zone, addressHoldSeconds } = deps.network;
  const pattern = parseHostnamePattern(deps.network.hostnamePattern);
  if (typeof pattern === 'string') throw new Error(`BERTH_HOSTNAME_PATTERN ${pattern}`);

  async function allocateNetwork(input: AllocateNetworkInput): Promise<NetworkAllocation> {
    const existing = await forkEm(deps.orm).findOne(NetworkConfig, { vmId: input.vmId });
    if (existing?.state === 'allocated') return describeAllocation(forkEm(deps.orm), existing);
    for (let attempt = 1; ; attempt++) {
      try {
        return await forkEm(deps.orm).transactional((tx) => allocateIn(tx, input));
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        // A concurrent allocation of this VM won, or a name was taken in another pool's queue.
        const em = forkEm(deps.orm);
        const mine = await em.findOne(NetworkConfig, { vmId: input.vmId });
        if (mine?.state === 'allocated') return describeAllocation(em, mine);
        if (attempt >= insertAttempts) throw error;
      }
    }
  }

  async function allocateIn(tx: Em, input: AllocateNetworkInput): Promise<NetworkAllocation> {
    // The queue, and the transaction's first statement: a write, so that SQLite takes its write
    // lock now instead of upgrading a read later (which fails at once, SQLITE_BUSY_SNAPSHOT, when
    // another writer committed in between). On PostgreSQL it locks the enabled pools' rows, in
    // the same scan order for every allocation.
    await tx
      .getConnection()
      .execute(
        'update address_pool set allocations = allocations + 1 where enabled = ?',
        [true],
        'run',
        tx.getTransactionContext(),
      );
    // Read-only here: untracked, so the transaction's flush never writes them back (MikroORM on
    // SQLite takes loaded datetimes for changed ones).
    const pools = await tx.find(
      AddressPool,
      { enabled: true },
      { orderBy: { priority: 'asc', name: 'asc' }, disableIdentityMap: true },
    );
    const now = new Date();
    // Held rows whose hold has ended give their names and addresses back, inside the queue.
    await tx.nativeDelete(NetworkConfig, { state: 'held', holdUntil: { $lte: now } });

    const existing = await tx.findOne(NetworkConfig, { vmId: input.vmId });
    if (existing) {
      if (existing.state === 'held') {
        // Released and allocated again while still held: it keeps what it had.
        existing.state = 'allocated';
        existing.releasedAt = null;
        existing.holdUntil = null;
        existing.siteId = input.siteId;
      }
      return describeAllocation(tx, existing);
    }

    let hostNumber: number | null = null;
    let hostname: string;
    if (input.hostnameLabel !== null) {
      hostname = `${input.hostnameLabel}.${zone}`;
      if ((await tx.count(NetworkConfig, { hostname })) > 0) {
        throw failure('HostnameTaken', `${hostname} belongs to another server`);
      }
    } else {
      hostNumber = await freeHostNumber(tx, pattern as HostnamePattern);
      hostname = `${(pattern as HostnamePattern).render(hostNumber)}.${zone}`;
    }
    const ipv4 = await takeAddress(tx, pools, 'ipv4');
    const ipv6 = await takeAddress(tx, pools, 'ipv6');
    const row = new NetworkConfig({
      id: randomUUID(),
      vmId: input.vmId,
      siteId: input.siteId,
      hostNumber,
      hostname,
      ipv4PoolId: ipv4.pool.id,
      ipv4Offset: ipv4.offset,
      ipv4: ipv4.address,
      ipv6PoolId: ipv6.pool.id,
      ipv6Offset: ipv6.offset,
      ipv6: ipv6.address,
    });
    tx.persist(row);
    await tx.flush();
    return allocation(row, ipv4.pool, ipv6.pool);
  }

  /** The lowest free address of the first pool of the family that has one. */
  async function takeAddress(tx: Em, pools: AddressPool[], family: AddressFamily) {
    const candidates = pools.filter((pool) => pool.family === family);
    for (const pool of candidates) {
      const layout = poolLayout(pool);
      const offset = await lowestFree(tx, {
        column: `${family}_offset`,
        scope: { column: `${family}_pool_id`, value: pool.id },
        from: layout.usable.first,
        last: layout.usable.last,
        skip: (n) => skipKept(layout, n),
      });
      if (offset !== undefined) return { pool, offset, address: addressAt(layout.cidr, offset) };
    }
    const names = candidates.map((pool) => `${pool.name} (${pool.cidr})`).join(', ');
    throw failure(
      'AddressPoolExhausted',
      candidates.length === 0
        ? `no enabled ${family} pool exists`
        : `no free ${family} address is left in ${names}`,
    );
  }

  /** The lowest number whose name is free, also of servers named by hand. */
  async function freeHostNumber(tx: Em, names: HostnamePattern): Promise<number> {
    let from = 1;
    for (;;) {
      const n = await lowestFree(tx, {
        column: 'host_number',
        from,
        last: Number.MAX_SAFE_INTEGER,
      });
      if (n === undefined) throw failure('AddressPoolExhausted', 'no host number is left');
      if ((await tx.count(NetworkConfig, { hostname: `${names.render(n)}.${zone}` })) === 0) {
        return n;
      }
      from = n + 1;
    }
  }

  /**
   * Returns a server's host name and addresses to the pool after the hold period; releasing what
   * is already released succeeds, and leaves the hold where it was.
   */
  async function releaseNetwork(input: { vmId: string }): Promise<void> {
    const now = new Date();
    await forkEm(deps.orm).nativeUpdate(
      NetworkConfig,
      { vmId: input.vmId, state: 'allocated' },
      {
        state: 'held',
        releasedAt: now,
        holdUntil: new Date(now.getTime() + addressHoldSeconds * 1000),
      },
    );
  }

  return { allocateNetwork, releaseNetwork };
}

/**
 * The lowest value of an integer column, at or after `from`, that no row has and `skip` allows.
 * Each round costs two indexed queries and jumps past a whole run of taken values (or a kept
 * range), so a fuller pool does not mean more rounds.
 */
async function lowestFree(
  tx: Em,
  query: {
    column: string;
    scope?: { column: string; value: string };
    from: number;
    last: number;
    skip?: (n: number) => number;
  },
): Promise<number | undefined> {
  const { column, scope } = query;
  const scoped = (alias: string) => (scope ? ` and ${alias}.${scope.column} = ?` : '');
  const scopeParams = scope ? [scope.value] : [];
  const run = async (sql: string, params: unknown[]) => {
    const rows = await tx
      .getConnection()
      .execute<{ v: number | string | null }[]>(sql, params, 'all', tx.getTransactionContext());
    const value = rows[0]?.v;
    return value === null || value === undefined ? undefined : Number(value);
  };
  let candidate = query.from;
  for (;;) {
    if (query.skip) candidate = query.skip(candidate);
    if (candidate > query.last) return undefined;
    const taken = await run(
      `select min(a.${column}) as v from network_config a where a.${column} >= ?${scoped('a')}`,
      [candidate, ...scopeParams],
    );
    if (taken === undefined || taken > candidate) return candidate;
    // The candidate is taken: move past the run of taken values that starts with it.
    const runEnd = await run(
      `select min(a.${column}) as v from network_config a where a.${column} >= ?${scoped('a')}` +
        ` and not exists (select 1 from network_config b where b.${column} = a.${column} + 1${scoped('b')})`,
      [candidate, ...scopeParams, ...scopeParams],
    );
    candidate = runEnd! + 1;
  }
}

/** A server's allocation with its pools' prefix lengths and gateways. */
export async function describeAllocation(em: Em, row: NetworkConfig): Promise<NetworkAllocation> {
  const pools = await em.find(AddressPool, { id: { $in: [row.ipv4PoolId, row.ipv6PoolId] } });
  const byId = new Map(pools.map((pool) => [pool.id, pool]));
  return allocation(row, byId.get(row.ipv4PoolId), byId.get(row.ipv6PoolId));
}

function allocation(
  row: NetworkConfig,
  ipv4Pool: AddressPool | undefined,
  ipv6Pool: AddressPool | undefined,
): NetworkAllocation {
  const prefix = (pool: AddressPool | undefined, fallback: number) =>
    pool ? Number(pool.cidr.split('/')[1]) : fallback;
  return {
    hostname: row.hostname,
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    ipv4PrefixLength: prefix(ipv4Pool, 32),
    ipv4Gateway: ipv4Pool?.gateway ?? null,
    ipv6PrefixLength: prefix(ipv6Pool, 128),
    ipv6Gateway: ipv6Pool?.gateway ?? null,
  };
}

export type NetworkActivities = ReturnType<typeof createNetworkActivities>;
