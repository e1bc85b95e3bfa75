import 'reflect-metadata';
import { ConfigError, loadConfig } from '../../libs/config';
import { migrate, openOrm, setOrmLogger } from '../../libs/db/orm';
import { createLogger } from '../../libs/logger';
import { ensureDefaultPools } from '../../libs/network/default-pools';

/**
 * `npm run migrate`: applies the committed migrations and exits. Production runs it once per
 * release, before api and worker replicas start (they never migrate on their own, so replicas do
 * not race each other).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, name: 'berth-migrate' });
  setOrmLogger(log);
  const orm = await openOrm(config.database);
  try {
    await migrate(orm);
    const pools = await ensureDefaultPools(orm, config.network);
    log.info({ database: config.database.driver, poolsMade: pools }, 'database migrated');
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `migration failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(error instanceof ConfigError ? 2 : 1);
});
