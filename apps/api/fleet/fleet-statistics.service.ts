import { raw } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { forkEm, type Orm } from '../../../libs/db/orm';
import {
  AddressPool,
  Operation,
  type OperationKind,
  type OperationStatus,
  Site,
  type SiteStatus,
  siteStatuses,
  Vm,
  type VmStatus,
} from '../../../libs/domain';
import { poolUsage } from '../../../libs/network/pool-usage';
import { poolLayout } from '../../../libs/network/pools';
import { type AddressFamilyEnum } from '../network/address-pool.model';
import { type OperationKindEnum } from '../operations/operation.model';
import { type SiteStatusEnum } from '../sites/site-status.enum';
import { ORM } from '../tokens';
import {
  type AddressFamilyUsageModel,
  type FleetStatisticsModel,
  type OperationKindCountModel,
  type VmCountModel,
} from './fleet-statistics.model';

const dayMs = 24 * 60 * 60 * 1000;

/** Databases answer count(*) as a number (SQLite) or a bigint's string (PostgreSQL). */
type Counted<T> = T & { n: number | string };

/**
 * The fleet in numbers, for operators. Each figure is one grouped statement, whatever the size of
 * the fleet (the address figures three: the pools and their usage per family); nothing is read
 * row by row.
 */
@Injectable()
export class FleetStatisticsService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  async statistics(now = new Date()): Promise<FleetStatisticsModel> {
    const since = new Date(now.getTime() - dayMs);
    const [sites, vms, operations, addresses] = await Promise.all([
      this.sitesByStatus(),
      this.vmsByHostAndStatus(),
      this.operationsSince(since),
      this.addressUsage(now),
    ]);
    return {
      at: now,
      siteCount: sites.reduce((sum, row) => sum + row.count, 0),
      sites,
      vms,
      addresses,
      since,
      runningOperations: operations.reduce((sum, row) => sum + row.running, 0),
      failedOperations: operations.reduce((sum, row) => sum + row.failed, 0),
      operations,
    };
  }

  /** Every status, in lifecycle order, with zero for those no site has. */
  private async sitesByStatus() {
    const rows = await forkEm(this.orm)
      .createQueryBuilder(Site)
      .select(['status', raw('count(*) as n')])
      .groupBy('status')
      .execute<Counted<{ status: SiteStatus }>[]>('all');
    const counts = new Map(rows.map((row) => [row.status, Number(row.n)]));
    return siteStatuses.map((status) => ({
      status: status as SiteStatusEnum,
      count: counts.get(status) ?? 0,
    }));
  }

  private async vmsByHostAndStatus(): Promise<VmCountModel[]> {
    const rows = await forkEm(this.orm)
      .createQueryBuilder(Vm)
      .select(['host', 'status', raw('count(*) as n')])
      .groupBy(['host', 'status'])
      .execute<Counted<{ host: string | null; status: VmStatus }>[]>('all');
    // Sorted here: the databases disagree on where nulls go. Unplaced VMs first.
    return rows
      .map((row) => ({ host: row.host, status: row.status, count: Number(row.n) }))
      .sort((a, b) => byText(a.host ?? '', b.host ?? '') || byText(a.status, b.status));
  }

  /** Queued or running now, or finished since `since`: per kind, by kind name. */
  private async operationsSince(since: Date): Promise<OperationKindCountModel[]> {
    const rows = await forkEm(this.orm)
      .createQueryBuilder(Operation)
      .select(['kind', 'status', raw('count(*) as n')])
      .where({ $or: [{ status: { $in: ['queued', 'running'] } }, { finishedAt: { $gte: since } }] })
      .groupBy(['kind', 'status'])
      .execute<Counted<{ kind: OperationKind; status: OperationStatus }>[]>('all');
    const byKind = new Map<OperationKind, OperationKindCountModel>();
    for (const row of rows) {
      const counts = byKind.get(row.kind) ?? {
        kind: row.kind as OperationKindEnum,
        queued: 0,
        running: 0,
        succeeded: 0,
        failed: 0,
      };
      counts[row.status] += Number(row.n);
      byKind.set(row.kind, counts);
    }
    return [...byKind.values()].sort((a, b) => byText(a.kind, b.kind));
  }

  /** As `freeAddresses` counts them: free addresses are those of enabled pools. */
  private async addressUsage(now: Date): Promise<AddressFamilyUsageModel[]> {
    const em = forkEm(this.orm);
    const [pools, usage] = await Promise.all([
      em.find(AddressPool, {}, { disableIdentityMap: true }),
      poolUsage(forkEm(this.orm), now),
    ]);
    return (['ipv4', 'ipv6'] as const).map((family) => {
      const total = {
        family: family as AddressFamilyEnum,
        pools: 0,
        capacity: 0,
        allocated: 0,
        held: 0,
        free: 0,
      };
      for (const pool of pools.filter((p) => p.family === family)) {
        const used = usage.get(pool.id) ?? { allocated: 0, held: 0 };
        total.pools++;
        total.allocated += used.allocated;
        total.held += used.held;
        if (!pool.enabled) continue;
        const { capacity } = poolLayout(pool);
        total.capacity += capacity;
        total.free += Math.max(0, capacity - used.allocated - used.held);
      }
      return total;
    });
  }
}

/** Code-point order, the same in every locale. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
