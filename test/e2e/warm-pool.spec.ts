import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../libs/db/orm';
import { SiteEvent, Vm } from '../../libs/domain';
import { poolRefillWorkflowId, siteWorkflowId } from '../../libs/temporal/names';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { type RefillPoolInput, type RefillPoolResult } from '../../workflows/refill-pool';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const image = 'debian-12';

describe.each(databaseKinds)('the warm pool on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`pool-${kind}`),
      env: { BERTH_POOL_TARGETS: `${image}=2`, BERTH_POOL_REFILL_SETTLE_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const pooled = () => forkEm(db.orm).count(Vm, { siteId: null, status: 'pooled' });

  async function waitForFullPool() {
    await eventually('the pool holding 2 ready VMs', pooled, (n) => n === 2, 60_000);
  }

  async function requestSite(input: Record<string, unknown> = {}) {
    const started = Date.now();
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Pool site'), contactEmail: 'alice@example.org', ...input },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const site = await eventually(
      'the site becoming READY',
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (s) => s?.status === 'READY',
    );
    return { site: site!, ms: Date.now() - started };
  }

  const claimed = async (siteId: string) =>
    (await forkEm(db.orm).count(SiteEvent, { siteId, action: 'vm.claimed' })) === 1;

  it.skipIf(skip)('builds powered-off VMs, hands one to a new site and replaces it', async () => {
    const input: RefillPoolInput = {
      image,
      target: 2,
      size: { cpus: 1, memoryMb: 1024, diskGb: 20 },
      installTimeoutSeconds: 60,
    };
    const result = await berth.temporal.workflow.execute<
      (i: RefillPoolInput) => Promise<RefillPoolResult>
    >('refillPool', {
      workflowId: poolRefillWorkflowId(image),
      taskQueue: berth.config.temporal.taskQueue,
      args: [input],
    });
    expect(result).toEqual({ started: 2, built: 2 });
    expect(await pooled()).toBe(2);
    const off = await forkEm(db.orm).count(SimulatedVm, { powerState: 'poweredOff' });
    expect(off).toBe(2);

    const { site, ms } = await requestSite();
    expect(await claimed(site.id)).toBe(true);
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId: site.id });
    expect(vm.powerState).toBe('poweredOn');
    expect((await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId: vm.id })).powerState).toBe(
      'poweredOn',
    );
    console.log(`site from the warm pool ready in ${ms} ms`);
    if (recordingHistories && kind === 'sqlite') {
      await recordHistory(
        berth,
        temporal.address,
        siteWorkflowId(site.id),
        'site-warm-pool-claim-steps',
      );
    }

    // The claim started a refill that replaces the VM it took, after letting claims settle.
    await waitForFullPool();
    const refill = await berth.temporal.workflow
      .getHandle(poolRefillWorkflowId(image))
      .fetchHistory();
    const timers = (refill.events ?? []).filter((event) => event.timerStartedEventAttributes);
    expect(
      timers.map((t) => Number(t.timerStartedEventAttributes!.startToFireTimeout!.seconds)),
    ).toEqual([1]);
  });

  it.skipIf(skip)('builds a fresh server for a site that asks for its own host name', async () => {
    await waitForFullPool();
    const label = uniqueName('own');
    const { site } = await requestSite({ hostname: label });
    expect(site.hostname).toBe(`${label}.sites.berth.test`);
    expect(await claimed(site.id)).toBe(false);
    expect(await pooled()).toBe(2);
  });

  it.skipIf(skip)(
    'serves more concurrent requests than it holds, each with its own VM',
    async () => {
      await waitForFullPool();
      const sites = await Promise.all([requestSite(), requestSite(), requestSite()]);
      const fromPool = await Promise.all(sites.map(({ site }) => claimed(site.id)));
      expect(fromPool.filter(Boolean)).toHaveLength(2);
      const vms = await Promise.all(
        sites.map(({ site }) => forkEm(db.orm).findOneOrFail(Vm, { siteId: site.id })),
      );
      expect(new Set(vms.map((vm) => vm.id)).size).toBe(3);
      expect(new Set(sites.map(({ site }) => site.ipv4)).size).toBe(3);
    },
  );
});
