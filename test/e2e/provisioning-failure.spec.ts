import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../libs/db/orm';
import { NetworkConfig } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { type BerthStack, startBerth } from '../helpers/berth';
import { findInHistory } from '../helpers/history-text';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type OperationData,
  operationQuery,
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

describe.each(databaseKinds)('provisioning that cannot finish on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    // A /30 holds two servers.
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`failure-${kind}`),
      env: { BERTH_IPV4_POOL: '198.51.100.0/30' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function provision(name: string) {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name, contactEmail: 'owner@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const site = await eventually(
      `site ${name} settling`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (s) => s?.status === 'READY' || s?.status === 'FAILED',
    );
    const operation = await berth.graphql<OperationData>(operationQuery, {
      id: result.operation.id,
    });
    return { site: site!, operation: operation.data!.operation! };
  }

  it.skipIf(skip)(
    'fails the site with a typed reason when the address pool is exhausted',
    async () => {
      expect((await provision(uniqueName('one'))).site.status).toBe('READY');
      expect((await provision(uniqueName('two'))).site.status).toBe('READY');

      const third = await provision(uniqueName('three'));
      expect(third.site.status).toBe('FAILED');
      expect(third.site.hostname).toBeNull();
      expect(third.site.events.edges.map((e) => e.node.action)).toEqual([
        'site.requested',
        'site.installing',
        'site.failed',
      ]);
      expect(third.operation).toMatchObject({ status: 'FAILED', step: 'failed' });
      expect(third.operation.error).toMatch(/^AddressPoolExhausted: no free address/);
      // The failure's message sits in history encrypted (read raw, without Berth's codec).
      const rawHistory = await temporal.client.workflow
        .getHandle(siteWorkflowId(third.site.id))
        .fetchHistory();
      expect(JSON.stringify(rawHistory)).toContain('Encoded failure');
      expect(findInHistory(rawHistory, 'no free address')).toEqual([]);
      expect(third.operation.finishedAt).not.toBeNull();
      // Nothing was half made for it.
      const em = forkEm(db.orm);
      expect(await em.count(NetworkConfig, {})).toBe(2);
      expect(await em.count(SimulatedVm, {})).toBe(2);
    },
  );
});
