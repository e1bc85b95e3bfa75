import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoolActivities, type PooledServer } from '../../../activities/pool/activities';
import { forkEm } from '../../../libs/db/orm';
import { NetworkConfig, Service, Vm } from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';

/** A built, powered-off VM waiting in the pool, with its addresses. */
async function aPooledVm(db: TestDatabase, slot: number, image = 'debian-12'): Promise<string> {
  const vmId = randomUUID();
  const vm = new Vm({ id: vmId, siteId: null, cpus: 1, memoryMb: 1024, diskGb: 20, image });
  vm.status = 'pooled';
  vm.powerState = 'poweredOff';
  const network = new NetworkConfig({
    id: randomUUID(),
    vmId,
    siteId: null,
    hostNumber: slot,
    hostname: `web-${slot}.sites.berth.test`,
    ipv4PoolId: 'default-ipv4',
    ipv4Offset: slot,
    ipv4: `192.0.2.${slot}`,
    ipv6PoolId: 'default-ipv6',
    ipv6Offset: slot,
    ipv6: `2001:db8:b0::${slot.toString(16)}`,
  });
  await forkEm(db.orm).persistAndFlush([vm, network]);
  return vmId;
}

function claim(
  db: TestDatabase,
  siteId: string,
  image = 'debian-12',
): Promise<PooledServer | null> {
  const { claimPooledVm } = createPoolActivities({ orm: db.orm });
  // Each claim is its own activity of its own site workflow, as in production.
  const environment = new MockActivityEnvironment({
    activityId: '1',
    workflowExecution: { workflowId: `site/${siteId}`, runId: randomUUID() },
  });
  return environment.run(claimPooledVm, { siteId, image });
}

describe.each(databaseKinds)('claiming warm-pool VMs on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)('never gives one VM to two of 50 concurrent requests', async () => {
    const pooled = await Promise.all(Array.from({ length: 20 }, (_, i) => aPooledVm(db, i + 1)));
    const sites = Array.from({ length: 50 }, () => randomUUID());
    const claims = await Promise.all(sites.map((siteId) => claim(db, siteId)));

    const won = claims.filter((c): c is PooledServer => c !== null);
    expect(won).toHaveLength(20);
    expect(new Set(won.map((c) => c.vmId))).toEqual(new Set(pooled));
    // Each VM, its addresses and a production service now belong to exactly the site that won it.
    for (const [index, server] of claims.entries()) {
      if (server === null) continue;
      const vm = await forkEm(db.orm).findOneOrFail(Vm, server.vmId);
      expect(vm).toMatchObject({ siteId: sites[index], status: 'ready' });
      const network = await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId: server.vmId });
      expect(network.siteId).toBe(sites[index]);
      expect(await forkEm(db.orm).count(Service, { siteId: sites[index]! })).toBe(1);
    }
    expect(await forkEm(db.orm).count(Vm, { siteId: null, status: 'pooled' })).toBe(0);
  });

  it.skipIf(skip)('returns the VM a site already holds when its claim is retried', async () => {
    await aPooledVm(db, 100);
    await aPooledVm(db, 101);
    const siteId = randomUUID();
    const first = await claim(db, siteId);
    const again = await claim(db, siteId);
    expect(again).toEqual(first);
    expect(await forkEm(db.orm).count(Vm, { siteId })).toBe(1);
  });

  it.skipIf(skip)(
    'only hands out VMs of the requested image, and none from an empty pool',
    async () => {
      await aPooledVm(db, 200, 'debian-13');
      expect(await claim(db, randomUUID(), 'ubuntu-24.04')).toBeNull();
      expect(await claim(db, randomUUID(), 'debian-13')).not.toBeNull();
      expect(await claim(db, randomUUID(), 'debian-13')).toBeNull();
    },
  );
});
