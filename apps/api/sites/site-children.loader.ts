import { type SiteSnapshotModel } from '../snapshots/snapshot.model';
import DataLoader from 'dataloader';
import { forkEm, type Orm } from '../../../libs/db/orm';
import {
  type OperationKindEnum,
  OperationModel,
  type OperationStatusEnum,
} from '../operations/operation.model';
import {
  DomainName,
  SitePackage,
  SiteRole,
  SiteSnapshot,
  SiteUnixGroup,
  Vhost,
} from '../../../libs/domain';
import { defaultVhostNames, vhostNames } from '../domains/vhost-names';
import { type SiteNoteModel } from '../site-notes/site-note.model';
import {
  type SiteGroupRoleGrantModel,
  type SiteRoleEnum,
  type SiteRoleGrantModel,
  type SiteUnixGroupModel,
  type VhostModel,
} from './site-config.model';

/** A site's roles, by whom they are granted to. */
export interface SiteRoles {
  users: SiteRoleGrantModel[];
  groups: SiteGroupRoleGrantModel[];
}
import { SiteEventModel, type SiteModel } from './site.model';

/** One page of a site's children, as loaded for many sites at once. */
export interface ChildPage<T> {
  rows: T[];
  hasNextPage: boolean;
}

interface EventRow {
  id: number | string;
  site_id: string;
  at: string | number | Date;
  actor: string;
  action: string;
  summary: string;
  workflow_id: string | null;
}

interface NoteRow {
  id: string;
  site_id: string;
  author: string;
  body: string;
  created_at: string | number | Date;
}

interface OperationRow {
  id: string;
  site_id: string;
  kind: string;
  workflow_id: string;
  status: string;
  progress: number;
  step: string;
  error: string | null;
  created_at: string | number | Date;
  updated_at: string | number | Date;
  finished_at: string | number | Date | null;
}

/**
 * The first page of events, of operations and of operators' notes of every site in a list, in one
 * query each: a window function numbers each site's rows, so a list of sites costs one statement
 * per such field, not one per site. Made per request (the GraphQL context), so nothing is cached
 * across requests.
 */
export function createSiteChildLoaders(orm: Orm) {
  const events = new DataLoader<PageKey, ChildPage<SiteEventModel>, string>(
    (keys) =>
      loadPages(
        keys,
        (siteIds, limit) => firstRowsPerSite<EventRow>(orm, 'site_event', 'id asc', siteIds, limit),
        toEvent,
      ),
    loaderOptions,
  );
  const operations = new DataLoader<PageKey, ChildPage<OperationModel>, string>(
    (keys) =>
      loadPages(
        keys,
        (siteIds, limit) =>
          firstRowsPerSite<OperationRow>(
            orm,
            'operation',
            'created_at desc, id desc',
            siteIds,
            limit,
          ),
        toOperation,
      ),
    loaderOptions,
  );
  const vhosts = new DataLoader<Pick<SiteModel, 'id' | 'hostname'>, VhostModel[], string>(
    async (sites) => {
      const siteIds = { siteId: { $in: [...new Set(sites.map((site) => site.id))] } };
      const rows = await forkEm(orm).find(Vhost, siteIds, { orderBy: { name: 'asc' } });
      const names = rows.length
        ? await forkEm(orm).find(DomainName, siteIds, {
            fields: ['vhostId', 'name', 'status', 'reason'],
          })
        : [];
      return sites.map((site) => [
        ...(site.hostname
          ? [
              {
                name: 'default',
                serverName: site.hostname,
                aliases: [],
                names: defaultVhostNames(site.hostname),
                webRoot: '/var/www/default',
                isDefault: true,
              },
            ]
          : []),
        ...rows
          .filter((row) => row.siteId === site.id)
          .map((row) => ({
            name: row.name,
            serverName: row.serverName,
            aliases: row.aliases,
            names: vhostNames(row, names),
            webRoot: `/var/www/${row.name}`,
            isDefault: false,
          })),
      ]);
    },
    { cacheKeyFn: (site) => site.id },
  );
  const roles = new DataLoader<string, SiteRoles>(async (siteIds) => {
    const rows = await forkEm(orm).find(
      SiteRole,
      { siteId: { $in: [...new Set(siteIds)] } },
      { orderBy: { subject: 'asc', role: 'asc' } },
    );
    return siteIds.map((siteId) => {
      const own = rows.filter((row) => row.siteId === siteId);
      const common = (row: SiteRole) => ({
        id: row.id,
        role: row.role as SiteRoleEnum,
        grantedBy: row.grantedBy,
        createdAt: row.createdAt,
      });
      return {
        users: own
          .filter((row) => row.subjectType === 'user')
          .map((row) => ({ ...common(row), user: row.subject })),
        groups: own
          .filter((row) => row.subjectType === 'group')
          .map((row) => ({ ...common(row), group: row.subject })),
      };
    });
  });
  // Operators' notes, newest first (the resolver reads them for operators only).
  const notes = new DataLoader<PageKey, ChildPage<SiteNoteModel>, string>(
    (keys) =>
      loadPages(
        keys,
        (siteIds, limit) =>
          firstRowsPerSite<NoteRow>(orm, 'site_note', 'created_at desc, id desc', siteIds, limit),
        toNote,
      ),
    loaderOptions,
  );
  // A site keeps a handful of snapshots at most: one statement for every site of a page.
  const snapshots = new DataLoader<string, SiteSnapshotModel[]>(async (siteIds) => {
    const rows = await forkEm(orm).find(
      SiteSnapshot,
      { siteId: { $in: [...new Set(siteIds)] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return siteIds.map((siteId) =>
      rows
        .filter((row) => row.siteId === siteId)
        .map(({ id, name, createdBy, createdAt }) => ({ id, name, createdBy, createdAt })),
    );
  });
  // Each site's packages, by name, in one statement for every site of a page.
  const packages = new DataLoader<string, string[]>(async (siteIds) => {
    const rows = await forkEm(orm).find(
      SitePackage,
      { siteId: { $in: [...new Set(siteIds)] } },
      { orderBy: { name: 'asc' }, fields: ['siteId', 'name'] },
    );
    return siteIds.map((siteId) =>
      rows.filter((row) => row.siteId === siteId).map((row) => row.name),
    );
  });
  // Each site's own unix groups, by name.
  const unixGroups = new DataLoader<string, SiteUnixGroupModel[]>(async (siteIds) => {
    const rows = await forkEm(orm).find(
      SiteUnixGroup,
      { siteId: { $in: [...new Set(siteIds)] } },
      { orderBy: { name: 'asc' } },
    );
    return siteIds.map((siteId) =>
      rows
        .filter((row) => row.siteId === siteId)
        .map(({ name, members, createdBy }) => ({ name, members, createdBy })),
    );
  });
  return { events, operations, vhosts, roles, notes, snapshots, packages, unixGroups };
}

export type SiteChildLoaders = ReturnType<typeof createSiteChildLoaders>;

interface PageKey {
  siteId: string;
  first: number;
}

const loaderOptions = {
  cacheKeyFn: (key: PageKey) => `${key.siteId}/${key.first}`,
};

/** One statement per page size asked for in the request (usually one), not one per site. */
async function loadPages<R extends { site_id: string }, T>(
  keys: readonly PageKey[],
  query: (siteIds: string[], limit: number) => Promise<R[]>,
  map: (row: R) => T,
): Promise<ChildPage<T>[]> {
  const sizes = [...new Set(keys.map((key) => key.first))];
  const rowsBySize = new Map<number, R[]>();
  for (const first of sizes) {
    const siteIds = keys.filter((key) => key.first === first).map((key) => key.siteId);
    rowsBySize.set(first, await query([...new Set(siteIds)], first + 1));
  }
  return keys.map(({ siteId, first }) => page(rowsBySize.get(first)!, siteId, first, map));
}

/** Up to `limit` rows per site, in `order`, for every given site, in one statement. */
async function firstRowsPerSite<T extends { site_id: string }>(
  orm: Orm,
  table: 'site_event' | 'operation' | 'site_note',
  order: string,
  siteIds: string[],
  limit: number,
): Promise<T[]> {
  const placeholders = siteIds.map(() => '?').join(', ');
  // Table and order come from the constant call sites above, never from a request.
  const sql = `select * from (
      select t.*, row_number() over (partition by t.site_id order by ${order}) as n
      from ${table} t where t.site_id in (${placeholders})
    ) ranked where n <= ? order by ${order}`;
  return forkEm(orm)
    .getConnection()
    .execute<T[]>(sql, [...siteIds, limit]);
}

function page<R extends { site_id: string }, T>(
  rows: R[],
  siteId: string,
  first: number,
  map: (row: R) => T,
): ChildPage<T> {
  const mine = rows.filter((row) => row.site_id === siteId);
  return { rows: mine.slice(0, first).map(map), hasNextPage: mine.length > first };
}

function toDate(value: string | number | Date): Date {
  return value instanceof Date
    ? value
    : new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
}

function toEvent(row: EventRow): SiteEventModel {
  return Object.assign(new SiteEventModel(), {
    id: String(row.id),
    at: toDate(row.at),
    actor: row.actor,
    action: row.action,
    summary: row.summary,
    workflowId: row.workflow_id,
  });
}

function toNote(row: NoteRow): SiteNoteModel {
  return {
    id: row.id,
    siteId: row.site_id,
    author: row.author,
    body: row.body,
    createdAt: toDate(row.created_at),
  };
}

function toOperation(row: OperationRow): OperationModel {
  return Object.assign(new OperationModel(), {
    id: row.id,
    siteId: row.site_id,
    kind: row.kind as OperationKindEnum,
    status: row.status as OperationStatusEnum,
    progress: Number(row.progress),
    step: row.step,
    error: row.error,
    workflowId: row.workflow_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: row.finished_at === null ? null : toDate(row.finished_at),
  });
}
