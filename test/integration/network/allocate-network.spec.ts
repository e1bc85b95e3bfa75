import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type NetworkAllocation,
  createNetworkActivities,
} from '../../../activities/network/activities';
import { type BerthConfig } from '../../../libs/config';
import { forkEm } from '../../../libs/db/orm';
import { NetworkConfig } from '../../../libs/domain';
import {
  type TestDatabase,
  databaseKinds,
  databaseUnavailable,
  startDatabase,
} from '../../helpers/databases';

const zone = 'sites.berth.test';

function aNetwork(overrides: Partial<BerthConfig['network']> = {}): BerthConfig['network'] {
  return {
    zone,
    hostnamePrefix: 'web-',
    ipv4Pool: '192.0.2.0/24',
    ipv6Pool: '2001:db8:b0::/64',
    ...overrides,
  };
}

/** An allocation request of a new VM on a new site, without a requested host name. */
function aRequest(overrides: { vmId?: string; hostnameLabel?: string } = {}) {
  return {
    vmId: overrides.vmId ?? randomUUID(),
    siteId: randomUUID(),
    hostnameLabel: overrides.hostnameLabel ?? null,
  };
}

/** A DNS label no other test uses. */
function aLabel(): string {
  return `shop-${randomUUID().slice(0, 8)}`;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the allocation to fail, but it succeeded');
}

function distinct<T>(allocations: NetworkAllocation[], field: keyof NetworkAllocation): Set<T> {
  return new Set(allocations.map((allocation) => allocation[field] as T));
}

describe.each(databaseKinds)('allocating addresses on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });

  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)('gives 50 concurrent VMs 50 distinct slots, names and addresses', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const requests = Array.from({ length: 50 }, () => aRequest());
    const before = await forkEm(db.orm).count(NetworkConfig);

    const allocations = await Promise.all(requests.map((request) => allocateNetwork(request)));

    expect(distinct(allocations, 'hostname').size).toBe(50);
    expect(distinct(allocations, 'ipv4').size).toBe(50);
    expect(distinct(allocations, 'ipv6').size).toBe(50);
    for (const allocation of allocations) {
      expect(allocation.hostname).toMatch(/^web-\d+\.sites\.berth\.test$/);
      expect(allocation.ipv4).toMatch(/^192\.0\.2\.\d+$/);
      expect(allocation.ipv6).toMatch(/^2001:db8:b0::[0-9a-f]+$/);
    }

    const em = forkEm(db.orm);
    expect(await em.count(NetworkConfig)).toBe(before + 50);
    const rows = await em.find(NetworkConfig, { vmId: { $in: requests.map((r) => r.vmId) } });
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((row) => row.slot)).size).toBe(50);
    // Each VM's row holds what the activity returned to that VM.
    for (const [index, request] of requests.entries()) {
      const row = rows.find((r) => r.vmId === request.vmId);
      expect(row).toMatchObject({ siteId: request.siteId, ...allocations[index] });
      expect(row?.hostname).toBe(`web-${row?.slot}.${zone}`);
    }
  });

  it.skipIf(skip)('returns the same allocation when a VM is allocated again', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const request = aRequest();

    const first = await allocateNetwork(request);
    const second = await allocateNetwork(request);

    expect(second).toEqual(first);
    expect(await forkEm(db.orm).count(NetworkConfig, { vmId: request.vmId })).toBe(1);
  });

  it.skipIf(skip)('settles 10 concurrent allocations of one VM on one row', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const request = aRequest();

    const allocations = await Promise.all(
      Array.from({ length: 10 }, () => allocateNetwork({ ...request })),
    );

    for (const allocation of allocations) expect(allocation).toEqual(allocations[0]);
    const rows = await forkEm(db.orm).find(NetworkConfig, { vmId: request.vmId });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ...allocations[0] });
  });

  it.skipIf(skip)('names the server after the requested label', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const label = aLabel();
    const request = aRequest({ hostnameLabel: label });

    const allocation = await allocateNetwork(request);

    expect(allocation.hostname).toBe(`${label}.${zone}`);
    const row = await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId: request.vmId });
    expect(row.hostname).toBe(`${label}.${zone}`);
  });

  it.skipIf(skip)("skips a slot whose default name is another server's chosen label", async () => {
    // A separate prefix so the slots this test reasons about are its own names.
    const network = createNetworkActivities({
      orm: db.orm,
      network: aNetwork({ hostnamePrefix: 'skip-' }),
    });
    const used = (await forkEm(db.orm).find(NetworkConfig, {})).map((row) => row.slot);
    const nextSlot = Math.max(0, ...used) + 1;
    // The label equals the default name of the slot after the one it gets.
    const squatter = await network.allocateNetwork(
      aRequest({ hostnameLabel: `skip-${nextSlot + 1}` }),
    );
    expect(squatter.hostname).toBe(`skip-${nextSlot + 1}.${zone}`);
    const plain = await network.allocateNetwork(aRequest());
    expect(plain.hostname).toBe(`skip-${nextSlot + 2}.${zone}`);
  });

  it.skipIf(skip)('refuses a label that another server already has', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const label = aLabel();
    await allocateNetwork(aRequest({ hostnameLabel: label }));
    const second = aRequest({ hostnameLabel: label });

    const error = await rejection(allocateNetwork(second));

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'HostnameTaken', nonRetryable: true });
    expect(await forkEm(db.orm).count(NetworkConfig, { vmId: second.vmId })).toBe(0);
    expect(await forkEm(db.orm).count(NetworkConfig, { hostname: `${label}.${zone}` })).toBe(1);
  });
});

// Slots are numbered across the whole table, so a pool can only be filled on a database of its
// own: the other tests' rows would already occupy its slots.
describe.each(databaseKinds)('exhausting a small pool on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });

  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)('fails for good once all six addresses of a /29 are out', async () => {
    const ipv4Pool = '198.51.100.0/29';
    const { allocateNetwork } = createNetworkActivities({
      orm: db.orm,
      network: aNetwork({ ipv4Pool }),
    });
    const requests = Array.from({ length: 6 }, () => aRequest());
    const allocations: NetworkAllocation[] = [];
    for (const request of requests) allocations.push(await allocateNetwork(request));
    expect(allocations.map((a) => a.ipv4)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `198.51.100.${n}`),
    );
    const seventh = aRequest();

    const error = await rejection(allocateNetwork(seventh));

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'AddressPoolExhausted', nonRetryable: true });
    expect((error as Error).message).toContain(ipv4Pool);
    const em = forkEm(db.orm);
    expect(await em.count(NetworkConfig)).toBe(6);
    expect(await em.count(NetworkConfig, { vmId: seventh.vmId })).toBe(0);
    // A retry of a VM that got its addresses still succeeds: the lookup comes before the pool.
    await expect(allocateNetwork(requests[2]!)).resolves.toEqual(allocations[2]);
  });
});
