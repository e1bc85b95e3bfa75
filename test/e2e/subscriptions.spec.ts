import { createClient, type Client as WsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { type RequestSiteData, requestSiteMutation } from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

interface Progress {
  status: string;
  progress: number;
  step: string;
}

const progressSubscription = /* GraphQL */ `
  subscription Progress($id: ID!) {
    operationProgress(id: $id) {
      status
      progress
      step
    }
  }
`;

/** Progress a client can follow live, over graphql-ws on the api's own /graphql. */
describe.skipIf(temporalUnavailable())('operation progress subscriptions', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('subscriptions'),
      env: { BERTH_SIMULATED_INSTALL_MS: '500' },
    });
  });
  afterAll(async () => {
    for (const client of clients) void client.dispose();
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  function connect(authorization?: string): WsClient {
    const client = createClient({
      url: `${berth.apiUrl.replace('http', 'ws')}/graphql`,
      connectionParams: authorization ? { authorization } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  }

  function follow(client: WsClient, id: string): Promise<Progress[]> {
    return new Promise((resolve, reject) => {
      const seen: Progress[] = [];
      client.subscribe<{ operationProgress: Progress }>(
        { query: progressSubscription, variables: { id } },
        {
          next: (message) => {
            if (message.data) seen.push(message.data.operationProgress);
            if (message.errors) reject(new Error(JSON.stringify(message.errors)));
          },
          // A refused connection arrives as a WebSocket CloseEvent; keep its code.
          error: (error) =>
            reject(
              Object.assign(new Error('subscription failed'), {
                code: (error as { code?: number }).code,
              }),
            ),
          complete: () => resolve(seen),
        },
      );
    });
  }

  async function requestSite(): Promise<string> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Followed'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('operation' in result)) throw new Error(JSON.stringify(response));
    return result.operation.id;
  }

  it('streams provisioning progress until the operation ends', async () => {
    const operationId = await requestSite();
    const seen = await follow(connect(`Bearer ${berth.token()}`), operationId);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 100 });
    const progress = seen.map((p) => p.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("follows a site's status from request to READY", async () => {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Watched'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const client = connect(`Bearer ${berth.token()}`);
    const statuses = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      const stop = client.subscribe<{ siteStatus: { status: string } }>(
        {
          query: 'subscription S($id: ID!) { siteStatus(id: $id) { status } }',
          variables: { id: result.site.id },
        },
        {
          next: (message) => {
            const status = message.data?.siteStatus.status;
            if (status) seen.push(status);
            if (status === 'READY') {
              stop();
              resolve(seen);
            }
          },
          error: () => reject(new Error('subscription failed')),
          complete: () => resolve(seen),
        },
      );
    });
    expect(statuses.at(-1)).toBe('READY');
    expect(new Set(statuses).size).toBe(statuses.length);
  });

  it("shows nothing of someone else's operation", async () => {
    const operationId = await requestSite();
    const seen = await follow(connect(`Bearer ${berth.token({ userId: 'bob' })}`), operationId);
    expect(seen).toEqual([]);
  });

  it('refuses a connection without a valid token', async () => {
    const operationId = await requestSite();
    await expect(follow(connect('Bearer not.a.token'), operationId)).rejects.toMatchObject({
      code: 4403,
    });
  });
});
