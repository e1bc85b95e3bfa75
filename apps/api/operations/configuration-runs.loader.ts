import DataLoader from 'dataloader';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { ConfigurationRun } from '../../../libs/domain';
import { chunks } from '../graphql/watch';
import { ConfigurationRunModel, type ConfigurationRunStatusEnum } from './configuration-run.model';
import { requestScoped } from '../graphql/request-scoped';

/**
 * The configuration runs of every operation in a response, in one statement, and their outputs
 * (up to a MiB each) in another, only when a client selects `output`.
 */
export function createConfigurationRunLoaders(orm: Orm) {
  const byOperation = new DataLoader<string, ConfigurationRunModel[]>(async (operationIds) => {
    const found = new Map<string, ConfigurationRunModel[]>();
    for (const some of chunks([...operationIds])) {
      const rows = await forkEm(orm).find(
        ConfigurationRun,
        { operationId: { $in: some } },
        { orderBy: [{ startedAt: 'asc' }, { id: 'asc' }] },
      );
      for (const row of rows) {
        const runs = found.get(row.operationId!) ?? [];
        runs.push(toModel(row));
        found.set(row.operationId!, runs);
      }
    }
    return operationIds.map((id) => found.get(id) ?? []);
  });
  const output = new DataLoader<string, string>(async (runIds) => {
    const found = new Map<string, string>();
    for (const some of chunks([...runIds])) {
      const rows = await forkEm(orm).find(
        ConfigurationRun,
        { id: { $in: some } },
        { fields: ['id', 'output'] },
      );
      for (const row of rows) found.set(row.id, row.output);
    }
    return runIds.map((id) => found.get(id) ?? '');
  });
  return { byOperation, output };
}

export type ConfigurationRunLoaders = ReturnType<typeof createConfigurationRunLoaders>;

/** This request's loaders, made on first use (see requestScoped). */
export const configurationRunLoaders = requestScoped(createConfigurationRunLoaders);

function toModel(row: ConfigurationRun): ConfigurationRunModel {
  return Object.assign(new ConfigurationRunModel(), {
    id: row.id,
    status: row.status as ConfigurationRunStatusEnum,
    adapter: row.adapter,
    ok: row.ok,
    changed: row.changed,
    failed: row.failed,
    unreachable: row.unreachable,
    failedTask: row.failedTask,
    failedHost: row.failedHost,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  });
}
