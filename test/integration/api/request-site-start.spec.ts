import { type INestApplication } from '@nestjs/common';
import {
  Client,
  Connection,
  type ConnectionLike,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectory } from '../../../activities/directory/create-directory';
import { createApi } from '../../../apps/api/api';
import { mintDevToken } from '../../../libs/auth/dev-token';
import { type BerthConfig } from '../../../libs/config';
import { forkEm } from '../../../libs/db/orm';
import { Operation, Site, SiteEvent, SiteRole } from '../../../libs/domain';
import { createLogger } from '../../../libs/logger';
import { berthDataConverter } from '../../../libs/temporal/data-converter';
import { siteWorkflowId } from '../../../libs/temporal/names';
import { testConfig } from '../../helpers/config';
import { startDatabase, type TestDatabase } from '../../helpers/databases';
import { freePort } from '../../helpers/free-port';
import { requestSiteMutation, type RequestSiteData } from '../../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../../helpers/temporal';
import { uniqueName } from '../../helpers/test-names';

/**
 * What requestSite leaves when starting the site's workflow fails, against a real Temporal server
 * and database, the failures made by a client interceptor: a start that never reached Temporal
 * leaves nothing; one whose answer was lost is a request like any other; and when Temporal cannot
 * say which happened, the request's rows stay for the site-request repair, and the answer says so.
 */
describe('requestSite when starting its workflow fails', () => {
  const skip = temporalUnavailable();
  const log = createLogger({ level: 'silent', name: 'test' });
  let temporal: TestTemporal;
  let db: TestDatabase;
  /** What the interceptor does to the next start. */
  let failure: 'none' | 'before-temporal' | 'answer-lost' = 'none';
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const interceptor: WorkflowClientInterceptor = {
    async startWithDetails(input, next) {
      if (failure === 'before-temporal') throw new Error('simulated: the start never left');
      const started = await next(input);
      if (failure === 'answer-lost') throw new Error('simulated: the answer was lost');
      return started;
    },
  };

  /** An api on its own port whose Temporal client is `connection`. */
  async function api(connection: ConnectionLike | null) {
    const port = await freePort();
    const config: BerthConfig = testConfig({
      database: db.database,
      temporalAddress: connection ? temporal.address : `127.0.0.1:${await freePort()}`,
      apiPort: port,
      env: { TEMPORAL_TASK_QUEUE: uniqueName('start-failure') },
    });
    const client = new Client({
      connection: connection ?? Connection.lazy({ address: config.temporal.address }),
      namespace: config.temporal.namespace,
      dataConverter: berthDataConverter(config),
      interceptors: { workflow: [interceptor] },
    });
    const app = await createApi({
      config,
      orm: db.orm,
      temporal: client,
      log,
      directory: await createDirectory({ config, log }),
    });
    await app.listen(port, '127.0.0.1');
    apps.push(app);
    const token = mintDevToken(config.secretKey, { userId: 'alice' });
    return async (name: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: requestSiteMutation,
          variables: { input: { name, contactEmail: 'alice@example.org' } },
        }),
      });
      return (await response.json()) as {
        data?: RequestSiteData | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      };
    };
  }

  async function rowsOf(name: string) {
    const em = forkEm(db.orm);
    const site = await em.findOne(Site, { name });
    if (!site) return null;
    return {
      site,
      operations: await em.count(Operation, { siteId: site.id }),
      roles: await em.count(SiteRole, { siteId: site.id }),
      requested: await em.count(SiteEvent, { siteId: site.id, action: 'site.requested' }),
    };
  }

  it.skipIf(skip)('leaves nothing when the start never reached Temporal', async () => {
    const request = await api(temporal.client.connection);
    const name = uniqueName('Never started');
    failure = 'before-temporal';
    const answer = await request(name);
    failure = 'none';
    expect(answer.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(answer.errors?.[0]?.message).toBe('The workflow engine is unavailable; try again');
    expect(await rowsOf(name)).toBeNull();
    // The same request again works: nothing was left to conflict with.
    const again = await request(name);
    expect(again.data?.requestSite).toMatchObject({ __typename: 'RequestSitePayload' });
  });

  it.skipIf(skip)('goes on as started when only the answer was lost', async () => {
    const request = await api(temporal.client.connection);
    const name = uniqueName('Answer lost');
    failure = 'answer-lost';
    const answer = await request(name);
    failure = 'none';
    expect(answer.errors).toBeUndefined();
    const result = answer.data?.requestSite;
    expect(result).toMatchObject({ __typename: 'RequestSitePayload' });
    const rows = await rowsOf(name);
    expect(rows).toMatchObject({ operations: 1, roles: 1, requested: 1 });
    const handle = temporal.client.workflow.getHandle(siteWorkflowId(rows!.site.id));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test over');
  });

  it.skipIf(skip)(
    'keeps the request for the repair when Temporal cannot say whether it started',
    async () => {
      const request = await api(null);
      const name = uniqueName('Unknown');
      const answer = await request(name);
      expect(answer.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(answer.errors?.[0]?.message).toContain('The request is recorded');
      // Unrecorded, so the site-request repair takes it once Temporal answers.
      expect(await rowsOf(name)).toMatchObject({
        site: { status: 'requested' },
        operations: 1,
        roles: 1,
        requested: 0,
      });
    },
    40_000,
  );
});
