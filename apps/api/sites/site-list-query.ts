import { type Platform } from '@mikro-orm/core';
import { type Database } from '../../../libs/db/orm';
import { type SiteStatus } from '../../../libs/domain';
import { type SiteCursor, type SiteOrder } from './site-cursor';
import { type SiteFields } from './site.mapper';
import { siteSearchSql } from './site-search';
import { type Sql } from './sql';

/**
 * The `sites` list as one SQL statement written out, the api's busiest read: building it with the
 * ORM's query builder and mapping its rows cost the api more than the database spent answering
 * (sites-list benchmark). Plain SQL that PostgreSQL and SQLite both accept, with a `?` for every
 * value: MikroORM's connection writes each value into the text escaped for the database (as it
 * does for its own queries), so no input is ever read as SQL.
 */

/** What a list is narrowed to: the sites the caller may see, statuses, a search text. */
export interface SiteListFilter {
  /** undefined: every site (operators); otherwise only these. */
  visibleIds: string[] | undefined;
  status?: SiteStatus[] | undefined;
  search?: string | undefined;
}

/** A row of the page statement, as either database returns it. */
export interface SiteListRow {
  id: string;
  name: string;
  description: string;
  owner: string;
  contact_email: string;
  status: string;
  billing_reference: string | null;
  /** PostgreSQL: boolean; SQLite: 0 or 1. */
  renews: boolean | number;
  /**
   * PostgreSQL: text (MikroORM's connections leave timestamps unparsed); SQLite: milliseconds
   * since the epoch, as MikroORM stores them there. The platform's parseDate reads both.
   */
  created_at: string | number;
  updated_at: string | number;
  /** `hostname ipv4 ipv6` of the production server, null when it has none. */
  production_network: string | null;
  /** Sites the filter matches, the same on every row (PostgreSQL: a bigint, as text). */
  total_count: number | string;
}

const columns = [
  'id',
  'name',
  'description',
  'owner',
  'contact_email',
  'status',
  'billing_reference',
  'renews',
  'created_at',
  'updated_at',
];

/**
 * The production server's name and addresses: the site's earliest allocation still in use (as
 * getSite reads it; a released server's held row is not one), in one index lookup per row of the
 * page, joined by spaces (none of them holds one).
 */
const productionNetwork =
  "(select n.hostname || ' ' || n.ipv4 || ' ' || n.ipv6 from network_config n " +
  "where n.site_id = s.id and n.state = 'allocated' order by n.allocated_at asc limit 1)";

const orderBy: Record<SiteOrder, string> = {
  CREATED_DESC: 's.created_at desc, s.id desc',
  CREATED_ASC: 's.created_at asc, s.id asc',
  NAME_ASC: 's.name asc, s.id asc',
};

/**
 * One page (`limit` rows at most, sorted, after the cursor) with, on each row, the number of sites
 * the filter matches: a subquery that does not depend on the row, which both databases run once,
 * so the page and its total take one round trip and come from one snapshot.
 */
export function siteListPage(options: {
  filter: SiteListFilter;
  after: SiteCursor | null;
  order: SiteOrder;
  limit: number;
  driver: Database['driver'];
  platform: Platform;
}): Sql {
  const total = siteCount(options.filter, options.driver, 'c');
  const matching = conditions(options.filter, options.driver, 's');
  if (options.after) matching.push(afterCursor(options.after, options.platform));
  const where = joinConditions(matching);
  return {
    sql:
      `select ${columns.map((column) => `s.${column}`).join(', ')}, ` +
      `${productionNetwork} as production_network, (${total.sql}) as total_count ` +
      `from site s${where.sql} order by ${orderBy[options.order]} limit ?`,
    params: [...total.params, ...where.params, options.limit],
  };
}

/** How many sites the filter matches (alias `c` unless told otherwise). */
export function siteCount(filter: SiteListFilter, driver: Database['driver'], alias = 'c'): Sql {
  const where = joinConditions(conditions(filter, driver, alias));
  return { sql: `select count(*) as total from site ${alias}${where.sql}`, params: where.params };
}

/** A row of the page as the GraphQL view reads sites, and its production server's network. */
export function siteFromListRow(
  row: SiteListRow,
  platform: Platform,
): { site: SiteFields; network: ProductionNetwork | undefined } {
  const site: SiteFields = {
    id: row.id,
    name: row.name,
    description: row.description,
    owner: row.owner,
    contactEmail: row.contact_email,
    status: row.status as SiteStatus,
    billingReference: row.billing_reference,
    renews: Boolean(row.renews),
    createdAt: platform.parseDate(row.created_at),
    updatedAt: platform.parseDate(row.updated_at),
  };
  return { site, network: productionNetworkOf(row.production_network) };
}

export interface ProductionNetwork {
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/** `hostname ipv4 ipv6` as the page statement joins them. */
function productionNetworkOf(joined: string | null): ProductionNetwork | undefined {
  if (joined === null) return undefined;
  const [hostname = '', ipv4 = '', ipv6 = ''] = joined.split(' ');
  return { hostname, ipv4, ipv6 };
}

function conditions(filter: SiteListFilter, driver: Database['driver'], alias: string): Sql[] {
  const result: Sql[] = [];
  if (filter.visibleIds !== undefined) result.push(isIn(`${alias}.id`, filter.visibleIds));
  if (filter.status?.length) result.push(isIn(`${alias}.status`, filter.status));
  if (filter.search) result.push(siteSearchSql(filter.search, driver, alias));
  return result;
}

/** Rows strictly after the cursor in its order (the id breaks ties). */
function afterCursor(cursor: SiteCursor, platform: Platform): Sql {
  switch (cursor.order) {
    case 'CREATED_DESC':
    case 'CREATED_ASC': {
      const comparison = cursor.order === 'CREATED_DESC' ? '<' : '>';
      // The value the ORM stores (a Date for PostgreSQL, milliseconds for SQLite).
      const at = platform.processDateProperty(new Date(cursor.value));
      return {
        sql: `(s.created_at ${comparison} ? or (s.created_at = ? and s.id ${comparison} ?))`,
        params: [at, at, cursor.id],
      };
    }
    case 'NAME_ASC':
      return {
        sql: '(s.name > ? or (s.name = ? and s.id > ?))',
        params: [cursor.value, cursor.value, cursor.id],
      };
  }
}

function isIn(column: string, values: readonly string[]): Sql {
  // `in ()` is not SQL; nothing is in an empty list.
  if (values.length === 0) return { sql: '1 = 0', params: [] };
  return { sql: `${column} in (${values.map(() => '?').join(', ')})`, params: [...values] };
}

function joinConditions(parts: Sql[]): Sql {
  if (parts.length === 0) return { sql: '', params: [] };
  return {
    sql: ` where ${parts.map((part) => part.sql).join(' and ')}`,
    params: parts.flatMap((part) => part.params),
  };
}
