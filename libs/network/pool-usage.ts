import { type Em } from '../db/orm';
import { AddressPool } from '../domain/address-pool.entity';
import { type AddressFamily } from './addresses';
import { poolLayout } from './pools';

export interface PoolUsage {
  /** Addresses servers hold. */
  allocated: number;
  /** Released addresses still in their hold period. */
  held: number;
}

/** Allocated and held addresses per pool id, both families, in two grouped reads. */
export async function poolUsage(em: Em, now = new Date()): Promise<Map<string, PoolUsage>> {
  const usage = new Map<string, PoolUsage>();
  for (const family of ['ipv4', 'ipv6'] as const) {
    const rows = await em
      .getConnection()
      .execute<{ pool: string; allocated: number | string; held: number | string }[]>(
        `select ${family}_pool_id as pool,` +
          ` sum(case when state = 'allocated' then 1 else 0 end) as allocated,` +
          ` sum(case when state = 'held' and hold_until > ? then 1 else 0 end) as held` +
          ` from network_config group by ${family}_pool_id`,
        [now],
        'all',
        em.getTransactionContext(),
      );
    for (const row of rows) {
      usage.set(row.pool, { allocated: Number(row.allocated), held: Number(row.held) });
    }
  }
  return usage;
}

/**
 * How many more servers the enabled pools can address, per family: what a new server would find
 * now. A hint for refusing requests early; allocation itself decides.
 */
export async function freeAddresses(em: Em): Promise<Record<AddressFamily, number>> {
  const pools = await em.find(AddressPool, { enabled: true });
  const usage = await poolUsage(em);
  const free = { ipv4: 0, ipv6: 0 };
  for (const pool of pools) {
    const used = usage.get(pool.id);
    free[pool.family] += Math.max(
      0,
      poolLayout(pool).capacity - (used?.allocated ?? 0) - (used?.held ?? 0),
    );
  }
  return free;
}
