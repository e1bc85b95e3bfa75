import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Em, type Orm, forkEm } from '../../../libs/db/orm';
import { AddressPool, AuditEvent, NetworkConfig } from '../../../libs/domain';
import { type AddressFamily } from '../../../libs/network/addresses';
import { type PoolUsage, poolUsage } from '../../../libs/network/pool-usage';
import {
  type CheckedPool,
  type PoolDefinition,
  checkPoolDefinition,
  overlappingPools,
  poolLayout,
} from '../../../libs/network/pools';
import { badUserInput } from '../graphql/graphql-errors';
import { BERTH_CONFIG, ORM } from '../tokens';
import {
  type CreateAddressPoolInput,
  type DeleteAddressPoolInput,
  type UpdateAddressPoolInput,
} from './address-pool.inputs';
import { type AddressFamilyEnum, type AddressPoolModel } from './address-pool.model';
import {
  AddressInUseError,
  AddressPoolPayload,
  type AddressPoolResult,
  DeleteAddressPoolPayload,
  type DeleteAddressPoolResult,
  PoolInUseError,
  PoolNameTakenError,
  PoolNotFoundError,
  PoolOverlapError,
} from './address-pool.payload';

/**
 * Operators' address pools. Every change runs in a transaction that first locks the pool table
 * against other pool changes (PostgreSQL; SQLite has one writer anyway), so two overlapping pools
 * cannot both pass the overlap check, and a change to a pool waits for allocations from it.
 */
@Injectable()
export class AddressPoolsService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
  ) {}

  async list(family?: AddressFamilyEnum): Promise<AddressPoolModel[]> {
    const em = forkEm(this.orm);
    const pools = await em.find(AddressPool, family ? { family } : {}, {
      orderBy: { family: 'asc', priority: 'asc', name: 'asc' },
    });
    const usage = await poolUsage(em);
    return pools.map((pool) => toModel(pool, usage.get(pool.id)));
  }

  async create(principal: Principal, input: CreateAddressPoolInput): Promise<AddressPoolResult> {
    const checked = checked_({
      name: input.name,
      cidr: input.cidr,
      gateway: input.gateway ?? null,
      reserved: input.reserved ?? [],
    });
    try {
      return await forkEm(this.orm).transactional(async (tx) => {
        await this.lockPools(tx);
        // Read only, so not managed: the commit must not write them back (see `refused`).
        const others = await tx.find(AddressPool, {}, { disableIdentityMap: true });
        if (others.some((other) => other.name === checked.name)) {
          return new PoolNameTakenError(`a pool named ${checked.name} exists`);
        }
        const overlapping = overlappingPools(checked.cidr, others);
        if (overlapping.length > 0) {
          return new PoolOverlapError(
            `${checked.cidr} overlaps ${overlapping.map((p) => `${p.name} (${p.cidr})`).join(', ')}`,
          );
        }
        const pool = new AddressPool({
          id: randomUUID(),
          ...checked,
          priority: input.priority ?? 100,
          enabled: input.enabled ?? true,
        });
        tx.persist(pool);
        audit(tx, principal, 'address-pool.created', pool.name, `pool ${describe(pool)} created`);
        await tx.flush();
        return payload(pool, undefined);
      });
    } catch (error) {
      // A same-named or same-network pool made between the check and the insert (SQLite only
      // has no table lock; the unique constraints still hold).
      if (error instanceof UniqueConstraintViolationException) {
        return new PoolNameTakenError(`a pool named ${checked.name} or on ${checked.cidr} exists`);
      }
      throw error;
    }
  }

  async update(principal: Principal, input: UpdateAddressPoolInput): Promise<AddressPoolResult> {
    return forkEm(this.orm).transactional(async (tx) => {
      await this.lockPools(tx);
      const pool = await tx.findOne(AddressPool, { id: input.id });
      if (!pool) return new PoolNotFoundError(`no pool has id ${input.id}`);
      const next = checked_({
        name: pool.name,
        cidr: pool.cidr,
        gateway: input.gateway === undefined ? pool.gateway : input.gateway || null,
        reserved: input.reserved ?? pool.reserved,
      });
      const conflict = await this.keptInUse(tx, pool, next, input);
      if (conflict) return refused(tx, conflict);
      const before = describe(pool);
      pool.gateway = next.gateway;
      pool.reserved = next.reserved;
      if (input.priority !== undefined) pool.priority = input.priority;
      if (input.enabled !== undefined) pool.enabled = input.enabled;
      audit(tx, principal, 'address-pool.updated', pool.name, `${before} → ${describe(pool)}`);
      await tx.flush();
      return payload(pool, (await poolUsage(tx)).get(pool.id));
    });
  }

  async remove(
    principal: Principal,
    input: DeleteAddressPoolInput,
  ): Promise<DeleteAddressPoolResult> {
    return forkEm(this.orm).transactional(async (tx) => {
      await this.lockPools(tx);
      const pool = await tx.findOne(AddressPool, { id: input.id });
      if (!pool) return new PoolNotFoundError(`no pool has id ${input.id}`);
      const users = await tx.count(NetworkConfig, {
        $or: [{ ipv4PoolId: pool.id }, { ipv6PoolId: pool.id }],
        $and: [{ $or: [{ state: 'allocated' }, { holdUntil: { $gt: new Date() } }] }],
      });
      if (users > 0) {
        return refused(
          tx,
          new PoolInUseError(
            `${users} servers hold addresses from ${pool.name} (some may be in their hold period)`,
          ),
        );
      }
      // Rows whose hold has ended name the pool but hold nothing: they go with it.
      await tx.nativeDelete(NetworkConfig, {
        $or: [{ ipv4PoolId: pool.id }, { ipv6PoolId: pool.id }],
      });
      tx.remove(pool);
      audit(tx, principal, 'address-pool.deleted', pool.name, `pool ${describe(pool)} deleted`);
      await tx.flush();
      const result = new DeleteAddressPoolPayload();
      result.id = pool.id;
      return result;
    });
  }

  /** The first address a server holds (or holds back) that the pool's new layout would keep. */
  private async keptInUse(
    tx: Em,
    pool: AddressPool,
    next: CheckedPool,
    input: UpdateAddressPoolInput,
  ): Promise<AddressInUseError | undefined> {
    const family: AddressFamily = pool.family;
    const layout = poolLayout(next);
    for (const range of layout.kept) {
      const [row] = await tx.find(
        NetworkConfig,
        {
          [`${family}PoolId`]: pool.id,
          [`${family}Offset`]: { $gte: range.first, $lte: range.last },
          $or: [{ state: 'allocated' }, { holdUntil: { $gt: new Date() } }],
        },
        { limit: 1 },
      );
      if (row) {
        const address = family === 'ipv4' ? row.ipv4 : row.ipv6;
        const field = address === next.gateway ? 'gateway' : 'reserved';
        if (field === 'gateway' && input.gateway === undefined) continue;
        return new AddressInUseError(`${address} belongs to ${row.hostname}`, field);
      }
    }
    return undefined;
  }

  /**
   * The transaction's first statement. PostgreSQL: a table lock that pool changes take in turn.
   * SQLite: a write that changes nothing, so the transaction holds the write lock from the start
   * rather than upgrading a read later, which fails at once (SQLITE_BUSY_SNAPSHOT) when an
   * allocation committed in between.
   */
  private async lockPools(tx: Em): Promise<void> {
    const sql =
      this.config.database.driver === 'postgresql'
        ? 'lock table address_pool in share row exclusive mode'
        : 'update address_pool set allocations = allocations';
    await tx.getConnection().execute(sql, [], 'run', tx.getTransactionContext());
  }
}

/**
 * A refusal writes nothing: the transaction forgets what it loaded, so its commit flushes none of
 * it. (On SQLite, MikroORM takes every loaded `type: 'datetime'` property for changed and would
 * write it back, bumping the pool's `updatedAt`.)
 */
function refused<T>(tx: Em, refusal: T): T {
  tx.clear();
  return refusal;
}

/** A checked definition, or the input's problems as BAD_USER_INPUT. */
function checked_(definition: PoolDefinition): CheckedPool {
  const checked = checkPoolDefinition(definition);
  if (Array.isArray(checked)) throw badUserInput(checked);
  return checked;
}

function audit(tx: Em, principal: Principal, action: string, target: string, summary: string) {
  tx.persist(
    new AuditEvent({
      id: randomUUID(),
      actor: principal.userId,
      action,
      target,
      summary: summary.slice(0, 2000),
    }),
  );
}

function describe(pool: AddressPool): string {
  const reserved = pool.reserved.map((r) => `${r.first}-${r.last}`).join(' ');
  return (
    `${pool.name} ${pool.cidr} gateway ${pool.gateway ?? 'none'} priority ${pool.priority}` +
    `${pool.enabled ? '' : ' disabled'}${reserved ? ` reserved ${reserved}` : ''}`
  );
}

function payload(pool: AddressPool, usage: PoolUsage | undefined): AddressPoolPayload {
  const result = new AddressPoolPayload();
  result.pool = toModel(pool, usage);
  return result;
}

function toModel(pool: AddressPool, usage: PoolUsage | undefined): AddressPoolModel {
  const { capacity } = poolLayout(pool);
  const allocated = usage?.allocated ?? 0;
  const held = usage?.held ?? 0;
  return {
    id: pool.id,
    name: pool.name,
    family: pool.family as AddressFamilyEnum,
    cidr: pool.cidr,
    gateway: pool.gateway,
    reserved: pool.reserved,
    reverseZone: pool.reverseZone,
    priority: pool.priority,
    enabled: pool.enabled,
    capacity,
    allocated,
    held,
    free: Math.max(0, capacity - allocated - held),
    utilisation: capacity === 0 ? 1 : (allocated + held) / capacity,
    createdAt: pool.createdAt,
    updatedAt: pool.updatedAt,
  };
}
