import './production-env';
import 'reflect-metadata';
import { Client, Connection } from '@temporalio/client';
import { exampleDirectoryFile } from '../activities/directory/create-directory';
import { FileDirectory } from '../activities/directory/file/file-directory';
import { createApi } from '../apps/api/api';
import { mintDevToken } from '../libs/auth/dev-token';
import { type Database, openOrm } from '../libs/db/orm';
import { createLogger } from '../libs/logger';
import { testConfig } from '../test/helpers/config';
import { freePort } from '../test/helpers/free-port';

/**
 * One side of api-ab.ts: the api of the checkout this file is in, on the database named by
 * BERTH_AB_DATABASE (JSON), on a free loopback port, as production runs it. Tells its parent its
 * URL and an operator's token over IPC, and exits when the parent goes.
 */
async function main(): Promise<void> {
  const database = JSON.parse(process.env.BERTH_AB_DATABASE ?? 'null') as Database | null;
  if (!database || !process.send) throw new Error('run by bench/api-ab.ts, not by hand');
  const orm = await openOrm(database);
  const port = await freePort();
  const config = testConfig({
    database,
    // Never dialled: a lazy connection connects on first use, and reading lists does not use it.
    temporalAddress: `127.0.0.1:${await freePort()}`,
    apiPort: port,
  });
  const app = await createApi({
    config,
    orm,
    temporal: new Client({
      connection: Connection.lazy({ address: config.temporal.address }),
      namespace: config.temporal.namespace,
    }),
    log: createLogger({ level: 'silent', name: 'api-ab' }),
    directory: new FileDirectory(exampleDirectoryFile),
  });
  await app.listen(port, '127.0.0.1');
  const token = mintDevToken(config.secretKey, {
    userId: 'olivia',
    operator: true,
    ttlSeconds: 3600,
  });
  process.send({ url: `http://127.0.0.1:${port}`, token });
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
