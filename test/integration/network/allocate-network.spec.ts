import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type NetworkAllocation,
  createNetworkActivities,
} from '../../../activities/network/activities';
import { type BerthConfig } from '../../../libs/config';
import { forkEm } from '../../../libs/db/orm';
import { AddressPool, NetworkConfig } from '../../../libs/domain';
import { type ReservedRange } from '../../../libs/domain/address-pool.entity';
import { checkPoolDefinition } from '../../../libs/network/pools';
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
    hostnamePattern: 'web-{n}',
    ipv4Pool: '192.0.2.0/24',
    ipv6Pool: '2001:db8:b0::/64',
    addressHoldSeconds: 3600,
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

function distinct(allocations: NetworkAllocation[], field: keyof NetworkAllocation): Set<unknown> {
  return new Set(allocations.map((allocation) => allocation[field]));
}

/** Adds a pool as an operator would (checked definition); returns it. */
async function aPool(
  db: TestDatabase,
  fields: {
    name: string;
    cidr: string;
    gateway?: string;
    reserved?: ReservedRange[];
    priority?: number;
  },
): Promise<AddressPool> {
  const checked = checkPoolDefinition({
    name: fields.name,
    cidr: fields.cidr,
    gateway: fields.gateway ?? null,
    reserved: fields.reserved ?? [],
  });
  if (Array.isArray(checked)) throw new Error(JSON.stringify(checked));
  const pool = new AddressPool({
    id: randomUUID(),
    ...checked,
    priority: fields.priority ?? 10,
    enabled: true,
  });
  await forkEm(db.orm).persistAndFlush(pool);
  return pool;
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

  it.skipIf(skip)('gives 100 concurrent VMs 100 distinct names and addresses', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const requests = Array.from({ length: 100 }, () => aRequest());
    const before = await forkEm(db.orm).count(NetworkConfig);

    const allocations = await Promise.all(requests.map((request) => allocateNetwork(request)));

    expect(distinct(allocations, 'hostname').size).toBe(100);
    expect(distinct(allocations, 'ipv4').size).toBe(100);
    expect(distinct(allocations, 'ipv6').size).toBe(100);
    for (const allocation of allocations) {
      expect(allocation.hostname).toMatch(/^web-\d+\.sites\.berth\.test$/);
      expect(allocation.ipv4).toMatch(/^192\.0\.2\.\d+$/);
      // The default pools' gateways (their first addresses) are never handed out.
      expect(allocation.ipv4).not.toBe('192.0.2.1');
      expect(allocation.ipv6).not.toBe('2001:db8:b0::1');
      expect(allocation).toMatchObject({
        ipv4PrefixLength: 24,
        ipv4Gateway: '192.0.2.1',
        ipv6PrefixLength: 64,
        ipv6Gateway: '2001:db8:b0::1',
      });
    }
    const em = forkEm(db.orm);
    expect(await em.count(NetworkConfig)).toBe(before + 100);
    const rows = await em.find(NetworkConfig, { vmId: { $in: requests.map((r) => r.vmId) } });
    expect(new Set(rows.map((row) => row.hostNumber)).size).toBe(100);
    // Each VM's row holds what the activity returned to that VM.
    for (const [index, request] of requests.entries()) {
      const row = rows.find((r) => r.vmId === request.vmId);
      const { hostname, ipv4, ipv6 } = allocations[index]!;
      expect(row).toMatchObject({
        siteId: request.siteId,
        state: 'allocated',
        hostname,
        ipv4,
        ipv6,
      });
      expect(row?.hostname).toBe(`web-${row?.hostNumber}.${zone}`);
    }
    // Lowest first: the 100 addresses are the first 100 after the gateway.
    expect(rows.map((row) => row.ipv4Offset).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 2),
    );
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
    expect(rows[0]).toMatchObject({ ipv4: allocations[0]!.ipv4, ipv6: allocations[0]!.ipv6 });
  });

  it.skipIf(skip)('names the server after the requested label', async () => {
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const label = aLabel();
    const request = aRequest({ hostnameLabel: label });

    const allocation = await allocateNetwork(request);

    expect(allocation.hostname).toBe(`${label}.${zone}`);
    const row = await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId: request.vmId });
    expect(row).toMatchObject({ hostname: `${label}.${zone}`, hostNumber: null });
  });

  it.skipIf(skip)("skips a number whose name is another server's chosen label", async () => {
    // A pattern of its own so the numbers this test reasons about are its own names.
    const network = createNetworkActivities({
      orm: db.orm,
      network: aNetwork({ hostnamePattern: 'skip-{n}' }),
    });
    const first = await network.allocateNetwork(aRequest());
    const next = Number(/^skip-(\d+)\./.exec(first.hostname)![1]) + 1;
    // Another server was named by hand what the next number would make.
    await network.allocateNetwork(aRequest({ hostnameLabel: `skip-${next}` }));

    const plain = await network.allocateNetwork(aRequest());

    expect(plain.hostname).not.toBe(`skip-${next}.${zone}`);
    expect(plain.hostname).toMatch(/^skip-\d+\.sites\.berth\.test$/);
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

// Pools are shared by every allocation, so pools that are meant to run out get a database of
// their own, with the default pools switched off.
describe.each(databaseKinds)('small pools on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) {
      db = await startDatabase(kind);
      await forkEm(db.orm).nativeUpdate(AddressPool, {}, { enabled: false });
    }
  });

  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)(
    'skips gateway and reserved ranges, fills pools by priority, then fails for good',
    async () => {
      // 198.51.100.0/29 hands out .1-.6; .1 is the gateway and .3-.4 are reserved: .2, .5, .6.
      await aPool(db, {
        name: 'small-v4',
        cidr: '198.51.100.0/29',
        gateway: '198.51.100.1',
        reserved: [{ first: '198.51.100.3', last: '198.51.100.4' }],
        priority: 1,
      });
      // Tried after small-v4: .9-.14 minus its gateway .9.
      await aPool(db, {
        name: 'next-v4',
        cidr: '198.51.100.8/29',
        gateway: '198.51.100.9',
        priority: 2,
      });
      await aPool(db, { name: 'small-v6', cidr: '2001:db8:ff::/120', priority: 1 });
      const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
      const requests = Array.from({ length: 8 }, () => aRequest());
      const allocations: NetworkAllocation[] = [];
      for (const request of requests) allocations.push(await allocateNetwork(request));
      expect(allocations.map((a) => a.ipv4)).toEqual([
        '198.51.100.2',
        '198.51.100.5',
        '198.51.100.6',
        '198.51.100.10',
        '198.51.100.11',
        '198.51.100.12',
        '198.51.100.13',
        '198.51.100.14',
      ]);
      expect(allocations.map((a) => a.ipv6)).toEqual(
        Array.from({ length: 8 }, (_, i) => `2001:db8:ff::${i + 1}`),
      );
      const ninth = aRequest();

      const error = await rejection(allocateNetwork(ninth));

      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({ type: 'AddressPoolExhausted', nonRetryable: true });
      expect((error as Error).message).toContain('small-v4 (198.51.100.0/29)');
      expect((error as Error).message).toContain('next-v4 (198.51.100.8/29)');
      const em = forkEm(db.orm);
      expect(await em.count(NetworkConfig, { vmId: ninth.vmId })).toBe(0);
      // A retry of a VM that got its addresses still succeeds: the lookup comes before the pools.
      await expect(allocateNetwork(requests[2]!)).resolves.toEqual(allocations[2]);

      // Released addresses stay out of allocation while held...
      await createNetworkActivities({ orm: db.orm, network: aNetwork() }).releaseNetwork({
        vmId: requests[0]!.vmId,
      });
      const held = await em.findOneOrFail(NetworkConfig, { vmId: requests[0]!.vmId });
      expect(held.state).toBe('held');
      expect(held.holdUntil!.getTime() - held.releasedAt!.getTime()).toBe(3600_000);
      expect(await rejection(allocateNetwork(aRequest()))).toMatchObject({
        type: 'AddressPoolExhausted',
      });
      // ...releasing again changes nothing...
      await createNetworkActivities({ orm: db.orm, network: aNetwork() }).releaseNetwork({
        vmId: requests[0]!.vmId,
      });
      const again = await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId: requests[0]!.vmId });
      expect(again.holdUntil).toEqual(held.holdUntil);
      // ...and come back once the hold is over, name and addresses alike.
      await forkEm(db.orm).nativeUpdate(
        NetworkConfig,
        { vmId: requests[0]!.vmId },
        { holdUntil: new Date(Date.now() - 1000) },
      );
      const reused = await allocateNetwork(aRequest());
      expect(reused).toMatchObject({
        hostname: allocations[0]!.hostname,
        ipv4: allocations[0]!.ipv4,
        ipv6: allocations[0]!.ipv6,
      });
      expect(await forkEm(db.orm).count(NetworkConfig, { vmId: requests[0]!.vmId })).toBe(0);
    },
  );

  it.skipIf(skip)('fails when no pool of a family is enabled, writing nothing', async () => {
    await aPool(db, { name: 'spare-v4', cidr: '203.0.113.0/24' });
    await forkEm(db.orm).nativeUpdate(AddressPool, { family: 'ipv6' }, { enabled: false });
    const { allocateNetwork } = createNetworkActivities({ orm: db.orm, network: aNetwork() });
    const request = aRequest();

    const error = await rejection(allocateNetwork(request));

    expect(error).toMatchObject({
      type: 'AddressPoolExhausted',
      message: 'no enabled ipv6 pool exists',
    });
    expect(await forkEm(db.orm).count(NetworkConfig, { vmId: request.vmId })).toBe(0);
  });
});
