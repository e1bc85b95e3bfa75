import { MikroORM, type Options } from '@mikro-orm/core';
import { type SqlEntityManager } from '@mikro-orm/knex';
import { LibSqlDriver } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type BerthConfig } from '../config';
import { type Logger } from '../logger';
import { entities } from './entities';
import { postgresqlMigrations } from './migrations/postgresql';
import { sqliteMigrations } from './migrations/sqlite';

export type Database = BerthConfig['database'];

let ormLog: Logger | undefined;

/** Where MikroORM's messages go; unset, they are dropped. */
export function setOrmLogger(log: Logger): void {
  ormLog = log;
}
export type Orm = MikroORM;
export type Em = SqlEntityManager;

/** MikroORM options for either database; migrations are committed per database. */
export function ormOptions(database: Database, overrides: Partial<Options> = {}): Options {
  const common: Partial<Options> = {
    entities,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    extensions: [Migrator],
    forceUtcTimezone: true,
    // Each unit of work forks its own EntityManager; the global one is never used.
    allowGlobalContext: false,
    debug: false,
    colors: false,
    // MikroORM's own messages (the migrator's) go to the process log, not to the console.
    logger: (message: string) => ormLog?.info({ component: 'mikro-orm' }, message),
  };
  if (database.driver === 'sqlite') {
    mkdirSync(dirname(database.path), { recursive: true });
    return {
      ...common,
      driver: LibSqlDriver,
      dbName: database.path,
      // The api and the worker write to one file: a writer waits up to 10 s for the other
      // (libsql's busy timeout, in milliseconds) instead of failing with "database is locked".
      driverOptions: { connection: { timeout: 10_000 } },
      migrations: { migrationsList: sqliteMigrations, transactional: true, snapshot: false },
      ...overrides,
    };
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: database.url,
    migrations: { migrationsList: postgresqlMigrations, transactional: true, snapshot: false },
    ...overrides,
  };
}

export async function openOrm(database: Database, overrides: Partial<Options> = {}): Promise<Orm> {
  const orm = await MikroORM.init(ormOptions(database, overrides));
  if (database.driver === 'sqlite') {
    // Several processes (api, worker) share one SQLite file: let readers run beside a writer.
    const connection = orm.em.getConnection();
    await connection.execute('pragma journal_mode = wal');
    await connection.execute('pragma foreign_keys = on');
  }
  return orm;
}

/** Applies every committed migration that has not run yet. */
export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
}

export function forkEm(orm: Orm): Em {
  return orm.em.fork() as Em;
}

/**
 * The SQL connection, for plain statements that need no unit of work (no fork of the entity
 * manager, which a busy read would otherwise pay on every request). Statements are logged as the
 * ORM's own are.
 */
export function sqlConnection(orm: Orm): ReturnType<Em['getConnection']> {
  return (orm.em as Em).getConnection();
}
