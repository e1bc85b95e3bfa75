import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, migrate, openOrm, type Orm } from '../../libs/db/orm';
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
  if (options.migrate !== false) await migrate(orm);
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
