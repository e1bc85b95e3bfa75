import { type FilterQuery } from '@mikro-orm/core';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Operation, type OperationStatus } from '../../../libs/domain';
import { toOperationModel } from '../sites/site.mapper';
import { type OperationModel } from './operation.model';

/**
 * One page of operations, newest first, keyset-paginated after an operation id: a site's
 * (`siteId`) or the fleet's (`siteId: null`). Two statements at most, whatever the page size.
 */
export async function operationPage(
  orm: Orm,
  scope: { siteId: string | null },
  first: number,
  afterId: string | null,
  statuses?: OperationStatus[],
): Promise<{ rows: OperationModel[]; hasNextPage: boolean }> {
  const em = forkEm(orm);
  const conditions: FilterQuery<Operation>[] = [{ siteId: scope.siteId }];
  if (statuses?.length) conditions.push({ status: { $in: statuses } });
  if (afterId !== null) {
    const last = await em.findOne(Operation, { id: afterId, siteId: scope.siteId });
    if (!last) return { rows: [], hasNextPage: false };
    conditions.push({
      $or: [
        { createdAt: { $lt: last.createdAt } },
        { createdAt: last.createdAt, id: { $lt: last.id } },
      ],
    });
  }
  const rows = await em.find(
    Operation,
    { $and: conditions },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: first + 1 },
  );
  return { rows: rows.slice(0, first).map(toOperationModel), hasNextPage: rows.length > first };
}
