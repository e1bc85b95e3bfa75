import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../libs/db/orm';
import { randomUUID } from 'node:crypto';
import { AddressPool, HostKey, NetworkConfig, Operation, Site, Vm } from '../../libs/domain';
import { type ReservedRange } from '../../libs/domain/address-pool.entity';
import { checkPoolDefinition } from '../../libs/network/pools';
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
    // The only IPv4 pool is a /30 without a gateway: it holds two servers.
    await forkEm(db.orm).nativeUpdate(AddressPool, { family: 'ipv4' }, { enabled: false });
    await addPool('tiny', '198.51.100.0/30');
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`failure-${kind}`) });
  });

  async function addPool(name: string, cidr: string, reserved: ReservedRange[] = []) {
    const checked = checkPoolDefinition({ name, cidr, gateway: null, reserved });
    if (Array.isArray(checked)) throw new Error(JSON.stringify(checked));
    await forkEm(db.orm).persistAndFlush(
      new AddressPool({ id: randomUUID(), ...checked, priority: 1, enabled: true }),
    );
  }

  async function send(name: string) {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name, contactEmail: 'owner@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result) throw new Error(JSON.stringify(response));
    return result;
  }
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function provision(name: string) {
    return settle(await send(name));
  }

  async function settle(result: RequestSiteData['requestSite']) {
    if (!('site' in result)) throw new Error(JSON.stringify(result));
    const site = await eventually(
      `site ${result.site.id} settling`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (s) => s?.status === 'READY' || s?.status === 'FAILED',
    );
    const operation = await berth.graphql<OperationData>(operationQuery, {
      id: result.operation.id,
    });
    return { site: site!, operation: operation.data!.operation! };
  }

  it.skipIf(skip)(
    'refuses a site at once, writing nothing, when no address is left for it',
    async () => {
      expect((await provision(uniqueName('one'))).site.status).toBe('READY');
      expect((await provision(uniqueName('two'))).site.status).toBe('READY');
      const sitesBefore = await forkEm(db.orm).count(Site, {});

      const third = await send(uniqueName('three'));

      expect(third).toMatchObject({
        __typename: 'AddressPoolExhaustedError',
        code: 'ADDRESS_POOL_EXHAUSTED',
        message: 'no ipv4 address is free for a new server',
      });
      expect(await forkEm(db.orm).count(Site, {})).toBe(sitesBefore);
      expect(await forkEm(db.orm).count(Operation, {})).toBe(sitesBefore);
    },
  );

  it.skipIf(skip)(
    'fails the site with a typed reason when the address pool is exhausted',
    async () => {
      // Room for one more server, and two requests that both see it before either is built.
      await addPool('one-more', '198.51.100.4/30', [
        { first: '198.51.100.6', last: '198.51.100.6' },
      ]);
      await berth.stopWorker();
      const requests = [await send(uniqueName('three')), await send(uniqueName('four'))];
      await berth.startWorker();
      const settled = await Promise.all(requests.map((request) => settle(request)));

      expect(settled.map((s) => s.site.status).sort()).toEqual(['FAILED', 'READY']);
      const third = settled.find((s) => s.site.status === 'FAILED')!;
      expect(third.site.status).toBe('FAILED');
      expect(third.site.hostname).toBeNull();
      expect(third.site.events.edges.map((e) => e.node.action)).toEqual([
        'site.requested',
        'site.installing',
        'site.failed',
      ]);
      expect(third.operation).toMatchObject({ status: 'FAILED', step: 'failed' });
      expect(third.operation.error).toMatch(/^AddressPoolExhausted: no free ipv4 address/);
      // The failure's message sits in history encrypted (read raw, without Berth's codec).
      const rawHistory = await temporal.client.workflow
        .getHandle(siteWorkflowId(third.site.id))
        .fetchHistory();
      expect(JSON.stringify(rawHistory)).toContain('Encoded failure');
      expect(findInHistory(rawHistory, 'no free ipv4 address')).toEqual([]);
      expect(third.operation.finishedAt).not.toBeNull();
      // Nothing was half made for it.
      const em = forkEm(db.orm);
      expect(await em.count(NetworkConfig, {})).toBe(3);
      expect(await em.count(SimulatedVm, {})).toBe(3);
      expect(await em.count(Vm, {})).toBe(3);
      expect(await em.count(HostKey, {})).toBe(9);
    },
  );
});
