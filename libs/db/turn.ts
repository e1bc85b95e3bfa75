import { type Database, type Em } from './orm';

/**
 * Makes transactions that pass the same key do their check-then-write one at a time (a count
 * before an insert, which parallel requests would otherwise all pass). Call it as the
 * transaction's first statement.
 * - PostgreSQL: an advisory lock on the key, held until the transaction ends.
 * - SQLite: a write that changes nothing, which takes the database's one write lock now (for
 *   every key) rather than upgrading a read later, which fails at once (SQLITE_BUSY_SNAPSHOT)
 *   when another writer committed in between.
 */
export async function takeTurn(tx: Em, driver: Database['driver'], key: string): Promise<void> {
  const [sql, params]: [string, unknown[]] =
    driver === 'postgresql'
      ? ['select pg_advisory_xact_lock(hashtext(?))', [key]]
      : ['update site set id = id where 1 = 0', []];
  await tx.getConnection().execute(sql, params, 'run', tx.getTransactionContext());
}
