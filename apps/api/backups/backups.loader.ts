import DataLoader from 'dataloader';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { SiteBackup } from '../../../libs/domain';
import { requestScoped } from '../graphql/request-scoped';
import { type SiteBackupModel } from './backup.model';

/**
 * Site.backups of every site in a response, in one statement: a site keeps a few weeks of
 * backups at most.
 */
export function createBackupsLoader(orm: Orm): DataLoader<string, SiteBackupModel[]> {
  return new DataLoader<string, SiteBackupModel[]>(async (siteIds) => {
    const rows = await forkEm(orm).find(
      SiteBackup,
      { siteId: { $in: [...new Set(siteIds)] } },
      { orderBy: [{ takenAt: 'desc' }, { name: 'desc' }, { id: 'asc' }] },
    );
    return siteIds.map((siteId) =>
      rows.filter((row) => row.siteId === siteId).map(({ name, takenAt }) => ({ name, takenAt })),
    );
  });
}

/** This request's loader, made on first use (see requestScoped). */
export const backupsLoader = requestScoped(createBackupsLoader);
