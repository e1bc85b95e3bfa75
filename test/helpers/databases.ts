import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, migrate, openOrm, type Orm } from '../../libs/db/orm';
import { ensureDefaultPools } from '../../libs/network/default-pools';
import { postgresUnavailable, startPostgres, type PostgresServer } from './postgres';

export type DatabaseKind = 'sqlite' | 'postgresql';

/** The databases every database-backed test runs against. */
export const databaseKinds: DatabaseKind[] = ['sqlite', 'postgresql'];

/** Why tests on this kind of database cannot run here, or undefined when they can. */
export function databaseUnavailable(kind: DatabaseKind): string | undefined {
  return kind === 'postgresql' ? postgresUnavailable() : undefined;
}

export interface TestDatabase {
  database: Database;
  /** A migrated ORM on it. */
  orm: Orm;
  stop(): Promise<void>;
}

/** The default settings' pools (BERTH_IPV4_POOL, BERTH_IPV6_POOL). */
const defaultNetwork = { ipv4Pool: '192.0.2.0/24', ipv6Pool: '2001:db8:b0::/64' };

/**
 * A fresh database (migrated unless `migrate: false`) of the given kind: a SQLite file in a temporary folder, or a
 * throwaway PostgreSQL server. Everything is removed by stop().
 */
export async function startDatabase(
  kind: DatabaseKind,
  options: { migrate?: boolean; onQuery?: (sql: string) => void } = {},
): Promise<TestDatabase> {
  let database: Database;
  let server: PostgresServer | undefined;
  let folder: string | undefined;
  if (kind === 'sqlite') {
    folder = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
    database = { driver: 'sqlite', path: join(folder, 'berth.sqlite') };
  } else {
    server = await startPostgres();
    database = { driver: 'postgresql', url: server.url };
  }
  // With onQuery, every statement the ORM runs is reported (to count them, for instance).
  const onQuery = options.onQuery;
  const orm = await openOrm(
    database,
    onQuery ? { debug: ['query'], logger: (message: string) => onQuery(message) } : {},
  );
  if (options.migrate !== false) {
    await migrate(orm);
    // What `npm run migrate` does after the migrations: the default address pools.
    await ensureDefaultPools(orm, defaultNetwork);
  }
  return {
    database,
    orm,
    async stop() {
      await orm.close();
      await server?.stop();
      if (folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}
