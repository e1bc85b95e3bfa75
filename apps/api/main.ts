import 'reflect-metadata';
import { Client, Connection } from '@temporalio/client';
import { createDirectory } from '../../activities/directory/create-directory';
import { ConfigError, loadConfig } from '../../libs/config';
import { openOrm } from '../../libs/db/orm';
import { createLogger } from '../../libs/logger';
import { berthDataConverter } from '../../libs/temporal/data-converter';
import { createApi } from './api';

/** API process: GraphQL, install callbacks, health. Stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ level: config.logLevel, name: 'berth-api' });
  const orm = await openOrm(config.database);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: berthDataConverter(config),
  });
  const directory = await createDirectory({ config, log });
  const app = await createApi({ config, orm, temporal, log, directory });
  await app.listen(config.api.port, config.api.host);
  log.info({ url: `${config.api.publicUrl}/graphql` }, 'api listening');

  const stop = async (signal: string) => {
    log.info({ signal }, 'api stopping');
    await app.close();
    await connection.close();
    await directory.close();
    await orm.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`api failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
