import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../../../libs/temporal/dev-server';
import { searchAttributes } from '../../../libs/temporal/names';
import { registerSearchAttributes } from '../../../libs/temporal/search-attributes';
import { freePort } from '../../helpers/free-port';
import { temporalCli, temporalUnavailable } from '../../helpers/temporal';

/** A Temporal server Berth did not start (TEMPORAL_ADDRESS) gets its search attributes too. */
describe.skipIf(temporalUnavailable())(registerSearchAttributes.name, () => {
  let server: DevServer;
  let connection: Connection;

  beforeAll(async () => {
    server = await startDevServer({
      cli: temporalCli!,
      port: await freePort(),
      namespace: 'default',
      searchAttributes: false,
    });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  async function registered(): Promise<string[]> {
    const response = await connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    return Object.keys(response.customAttributes ?? {}).filter((name) => name.startsWith('Berth'));
  }

  it('adds the missing attributes once, and leaves them alone after', async () => {
    expect(await registered()).toEqual([]);
    await registerSearchAttributes(connection, 'default');
    await registerSearchAttributes(connection, 'default');
    expect((await registered()).sort()).toEqual(
      Object.values(searchAttributes)
        .map((key) => key.name)
        .sort(),
    );
  });
});
