import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetworkActivities,
  type NetworkAllocation,
} from '../../activities/network/activities';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { AddressPool, AuditEvent, NetworkConfig } from '../../libs/domain';
import { type BerthStack, type GraphQLResponse, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Operators' address pools through GraphQL, on each database: pools are made, listed with their
 * utilisation, changed and deleted, every change audited; every refusal is typed (a result-union
 * error or BAD_USER_INPUT naming the field) and writes nothing, which the rows before and after
 * prove; and only operators get in.
 */

const operator: DevTokenOptions = { userId: 'olivia', operator: true };
const user: DevTokenOptions = { userId: 'alice' };
/** An operator's token handed to a script without operator powers. */
const operatorWithoutScope: DevTokenOptions = {
  userId: 'olivia',
  operator: true,
  scopes: ['sites:read', 'sites:write'],
};

const poolFields = `id name family cidr gateway reserved { first last } reverseZone priority
  enabled capacity allocated held free utilisation`;

const addressPoolsQuery = `query AddressPools($family: AddressFamily) {
  addressPools(family: $family) { ${poolFields} }
}`;

const poolResult = `__typename
  ... on AddressPoolPayload { pool { ${poolFields} } }
  ... on UserError { code message field }`;

const createPoolMutation = `mutation CreateAddressPool($input: CreateAddressPoolInput!) {
  createAddressPool(input: $input) { ${poolResult} }
}`;

const updatePoolMutation = `mutation UpdateAddressPool($input: UpdateAddressPoolInput!) {
  updateAddressPool(input: $input) { ${poolResult} }
}`;

const deletePoolMutation = `mutation DeleteAddressPool($input: DeleteAddressPoolInput!) {
  deleteAddressPool(input: $input) {
    __typename
    ... on DeleteAddressPoolPayload { id }
    ... on UserError { code message field }
  }
}`;

interface PoolView {
  id: string;
  name: string;
  family: 'IPV4' | 'IPV6';
  cidr: string;
  gateway: string | null;
  reserved: { first: string; last: string }[];
  reverseZone: string;
  priority: number;
  enabled: boolean;
  capacity: number;
  allocated: number;
  held: number;
  free: number;
  utilisation: number;
}

interface UserErrorView {
  __typename: string;
  code: string;
  message: string;
  field: string | null;
}

type PoolResult = { __typename: 'AddressPoolPayload'; pool: PoolView } | UserErrorView;
type DeleteResult = { __typename: 'DeleteAddressPoolPayload'; id: string } | UserErrorView;

interface Network {
  cidr: string;
  /** The address with this last octet. */
  at(host: number): string;
}

let networksMade = 0;
/** An IPv4 /24 in 10.0.0.0/8 (which no fixed pool here touches), a new one per call. */
function aNetwork(): Network {
  const prefix = `10.${Math.floor(networksMade / 250)}.${networksMade % 250}`;
  networksMade++;
  return { cidr: `${prefix}.0/24`, at: (host) => `${prefix}.${host}` };
}

type CreateInput = Record<string, unknown>;

/** A valid new pool on a network of its own; its name is unique to the test. */
function aPool(network: Network = aNetwork(), overrides: CreateInput = {}): CreateInput {
  return {
    name: uniqueName('pool'),
    cidr: network.cidr,
    gateway: network.at(1),
    priority: 50,
    ...overrides,
  };
}

/** `count` one-address reserved ranges from .2 up. */
function ranges(count: number, network: Network): { first: string; last: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    first: network.at(i + 2),
    last: network.at(i + 2),
  }));
}

/** Create inputs the edge must refuse as BAD_USER_INPUT naming the field, writing nothing. */
const badCreates: [string, (network: Network) => CreateInput, string][] = [
  ['a name with a dot', () => ({ name: 'pool.example' }), 'name'],
  ['an upper-case name', () => ({ name: 'Pool-a' }), 'name'],
  ['a wildcard name', () => ({ name: '*' }), 'name'],
  ['a name with a space', () => ({ name: 'pool a' }), 'name'],
  ['a name of 64 characters', () => ({ name: 'a'.repeat(64) }), 'name'],
  ['an empty name', () => ({ name: '' }), 'name'],
  ['a name with a leading hyphen', () => ({ name: '-pool' }), 'name'],
  ['a non-ASCII name', () => ({ name: 'pöol' }), 'name'],
  ['a name with a trailing newline', () => ({ name: 'pool\n' }), 'name'],
  ['a SQL-looking name', () => ({ name: "x'; drop table address_pool; --" }), 'name'],
  ['a CIDR with host bits set', () => ({ cidr: '198.51.100.7/24', gateway: undefined }), 'cidr'],
  ['an IPv4 /33', () => ({ cidr: '198.51.100.0/33', gateway: undefined }), 'cidr'],
  ['an IPv6 /129', () => ({ cidr: '2001:db8:c1::/129', gateway: undefined }), 'cidr'],
  [
    'an IPv6 network with embedded IPv4',
    () => ({ cidr: '::ffff:192.0.2.0/120', gateway: undefined }),
    'cidr',
  ],
  ['an octet with leading zeros', () => ({ cidr: '192.168.001.0/24', gateway: undefined }), 'cidr'],
  ['a prefix with leading zeros', () => ({ cidr: '192.0.2.0/024', gateway: undefined }), 'cidr'],
  ['a wildcard network', () => ({ cidr: '*', gateway: undefined }), 'cidr'],
  ['a wildcard octet', () => ({ cidr: '198.51.100.*/24', gateway: undefined }), 'cidr'],
  ['an address without a prefix', () => ({ cidr: '198.51.100.0', gateway: undefined }), 'cidr'],
  ['garbage', () => ({ cidr: 'not a network', gateway: undefined }), 'cidr'],
  ['an IPv6 network with two ::', () => ({ cidr: '2001:db8::1::/64', gateway: undefined }), 'cidr'],
  [
    'an IPv6 network with a zone id',
    () => ({ cidr: 'fe80::%eth0/64', gateway: undefined }),
    'cidr',
  ],
  ['a trailing space', () => ({ cidr: '198.51.100.0/24 ', gateway: undefined }), 'cidr'],
  ['a trailing newline', () => ({ cidr: '198.51.100.0/24\n', gateway: undefined }), 'cidr'],
  [
    'a SQL-looking network',
    () => ({ cidr: "198.51.100.0/24' or '1'='1", gateway: undefined }),
    'cidr',
  ],
  ['a network with a SQL comment', () => ({ cidr: '0.0.0.0/0;--', gateway: undefined }), 'cidr'],
  [
    'an IPv4 /32, which holds no address to hand out',
    (n) => ({ cidr: `${n.at(0)}/32`, gateway: undefined }),
    'cidr',
  ],
  [
    'reserved ranges that leave nothing to hand out',
    (n) => ({ gateway: undefined, reserved: [{ first: n.at(1), last: n.at(254) }] }),
    'cidr',
  ],
  ['a gateway outside the network', () => ({ gateway: '203.0.113.1' }), 'gateway'],
  ['the network address as gateway', (n) => ({ gateway: n.at(0) }), 'gateway'],
  ['the broadcast address as gateway', (n) => ({ gateway: n.at(255) }), 'gateway'],
  ['an IPv6 gateway on an IPv4 network', () => ({ gateway: '2001:db8:c2::1' }), 'gateway'],
  [
    'an IPv4 gateway on an IPv6 network',
    () => ({ cidr: '2001:db8:c2::/64', gateway: '198.51.100.1' }),
    'gateway',
  ],
  [
    'the network address as an IPv6 gateway',
    () => ({ cidr: '2001:db8:c2::/64', gateway: '2001:db8:c2::' }),
    'gateway',
  ],
  ['a gateway with leading zeros', (n) => ({ gateway: n.at(1).replace(/1$/, '001') }), 'gateway'],
  ['a garbage gateway', () => ({ gateway: 'router' }), 'gateway'],
  [
    'a reserved range that runs backwards',
    (n) => ({ reserved: [{ first: n.at(20), last: n.at(10) }] }),
    'reserved.0',
  ],
  [
    'a reserved range outside the network',
    () => ({ reserved: [{ first: '203.0.113.10', last: '203.0.113.20' }] }),
    'reserved.0.first',
  ],
  [
    'a reserved range running out of the network',
    (n) => ({ reserved: [{ first: n.at(250), last: '203.0.113.20' }] }),
    'reserved.0.last',
  ],
  [
    'a reserved range of the other family',
    () => ({ reserved: [{ first: '2001:db8:c2::1', last: '2001:db8:c2::9' }] }),
    'reserved.0.first',
  ],
  [
    'a wildcard reserved address',
    (n) => ({ reserved: [{ first: '*', last: n.at(9) }] }),
    'reserved.0.first',
  ],
  ['65 reserved ranges', (n) => ({ reserved: ranges(65, n) }), 'reserved'],
  ['a negative priority', () => ({ priority: -1 }), 'priority'],
  ['a priority above 10000', () => ({ priority: 10_001 }), 'priority'],
];

/** Update inputs (on a pool on `network`) refused as BAD_USER_INPUT naming the field. */
const badUpdates: [string, (network: Network) => CreateInput, string][] = [
  ['a gateway outside the network', () => ({ gateway: '203.0.113.1' }), 'gateway'],
  ['the network address as gateway', (n) => ({ gateway: n.at(0) }), 'gateway'],
  ['the broadcast address as gateway', (n) => ({ gateway: n.at(255) }), 'gateway'],
  ['an IPv6 gateway', () => ({ gateway: '2001:db8:c2::1' }), 'gateway'],
  ['a wildcard gateway', () => ({ gateway: '*' }), 'gateway'],
  [
    'a reserved range that runs backwards',
    (n) => ({ reserved: [{ first: n.at(20), last: n.at(10) }] }),
    'reserved.0',
  ],
  [
    'a reserved range outside the network',
    () => ({ reserved: [{ first: '203.0.113.10', last: '203.0.113.20' }] }),
    'reserved.0.first',
  ],
  ['65 reserved ranges', (n) => ({ reserved: ranges(65, n) }), 'reserved'],
  ['a negative priority', () => ({ priority: -1 }), 'priority'],
  ['a priority above 10000', () => ({ priority: 10_001 }), 'priority'],
  // Absent leaves a value as it is; null is no priority and no flag.
  ['a null priority', () => ({ priority: null }), 'priority'],
  ['a null enabled flag', () => ({ enabled: null }), 'enabled'],
  ['an empty id', () => ({ id: '' }), 'id'],
  ['an overlong id', () => ({ id: 'x'.repeat(37) }), 'id'],
];

function fieldsAtFault(response: GraphQLResponse<unknown>): string[] {
  const fields = (response.errors?.[0]?.extensions?.fields ?? []) as { field: string }[];
  return fields.map((problem) => problem.field);
}

/** The refusal leaks nothing of the server's inside. */
function expectNoInternals(response: GraphQLResponse<unknown>): void {
  expect(JSON.stringify(response.errors)).not.toMatch(/stack|at .*\.ts:|select |insert |update /i);
}

function expectBadInput(response: GraphQLResponse<unknown>, field: string): void {
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(fieldsAtFault(response)).toContain(field);
  expectNoInternals(response);
}

function expectCode(response: GraphQLResponse<unknown>, code: string): void {
  expect(response.data ?? null).toBeNull();
  expect(response.errors?.[0]?.extensions?.code).toBe(code);
  expectNoInternals(response);
}

describe.each(databaseKinds)('address pools on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    // No worker: pool changes start no workflow; allocations are made by calling the activity.
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`address-pools-${kind}`),
      worker: false,
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  function listPools(family?: 'IPV4' | 'IPV6', as: DevTokenOptions = operator) {
    return berth.graphql<{ addressPools: PoolView[] }>(addressPoolsQuery, { family }, as);
  }

  async function listed(family?: 'IPV4' | 'IPV6'): Promise<PoolView[]> {
    const response = await listPools(family);
    expect(response.errors).toBeUndefined();
    return response.data!.addressPools;
  }

  function create(input: CreateInput, as: DevTokenOptions = operator) {
    return berth.graphql<{ createAddressPool: PoolResult }>(createPoolMutation, { input }, as);
  }

  function update(input: CreateInput, as: DevTokenOptions = operator) {
    return berth.graphql<{ updateAddressPool: PoolResult }>(updatePoolMutation, { input }, as);
  }

  function remove(id: string, as: DevTokenOptions = operator) {
    return berth.graphql<{ deleteAddressPool: DeleteResult }>(
      deletePoolMutation,
      { input: { id } },
      as,
    );
  }

  /** The pool a result holds; fails the test with the refusal otherwise. */
  function poolOf(response: GraphQLResponse<Record<string, PoolResult>>): PoolView {
    expect(response.errors).toBeUndefined();
    const result = Object.values(response.data ?? {})[0];
    if (!result || !('pool' in result)) {
      throw new Error(`expected a pool, got ${JSON.stringify(result)}`);
    }
    return result.pool;
  }

  /** The typed error a result holds; fails the test if the change was made. */
  function refusalOf(response: GraphQLResponse<Record<string, PoolResult | DeleteResult>>) {
    expect(response.errors).toBeUndefined();
    const result = Object.values(response.data ?? {})[0];
    if (!result || !('code' in result)) {
      throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
    }
    return result;
  }

  async function created(input: CreateInput): Promise<PoolView> {
    return poolOf(await create(input));
  }

  /** Everything a pool change may write, read afresh. */
  async function written() {
    const em = forkEm(db.orm);
    const pools = await em.find(AddressPool, {}, { orderBy: { id: 'asc' } });
    return {
      pools: pools.map((pool) => ({
        id: pool.id,
        name: pool.name,
        family: pool.family,
        cidr: pool.cidr,
        gateway: pool.gateway,
        reserved: pool.reserved,
        priority: pool.priority,
        enabled: pool.enabled,
        updatedAt: pool.updatedAt.getTime(),
      })),
      auditEvents: await em.count(AuditEvent),
      networkConfigs: await em.count(NetworkConfig),
    };
  }

  /** Runs a request that must be refused, and proves it wrote nothing. */
  async function writingNothing<T>(request: () => Promise<T>): Promise<T> {
    const before = await written();
    const response = await request();
    expect(await written()).toEqual(before);
    return response;
  }

  function poolRow(id: string): Promise<AddressPool | null> {
    return forkEm(db.orm).findOne(AddressPool, { id });
  }

  function auditOf(poolName: string): Promise<AuditEvent[]> {
    return forkEm(db.orm).find(
      AuditEvent,
      { target: poolName },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
  }

  describe('creating and listing', () => {
    it.skipIf(skip)('creates pools of both families and lists their capacity', async () => {
      const v4Name = uniqueName('lab-v4');
      const v6Name = uniqueName('lab-v6');
      const v4 = await created({
        name: v4Name,
        cidr: '198.51.100.0/24',
        gateway: '198.51.100.1',
        reserved: [{ first: '198.51.100.10', last: '198.51.100.19' }],
        priority: 10,
      });
      // 254 usable, less the gateway and ten reserved.
      const v4Expected = {
        name: v4Name,
        family: 'IPV4',
        cidr: '198.51.100.0/24',
        gateway: '198.51.100.1',
        reserved: [{ first: '198.51.100.10', last: '198.51.100.19' }],
        reverseZone: '100.51.198.in-addr.arpa',
        priority: 10,
        enabled: true,
        capacity: 243,
        allocated: 0,
        held: 0,
        free: 243,
        utilisation: 0,
      };
      expect(v4).toMatchObject(v4Expected);

      const v6 = await created({
        name: v6Name,
        cidr: '2001:db8:c0::/120',
        gateway: '2001:db8:c0::1',
        reserved: [{ first: '2001:db8:c0::10', last: '2001:db8:c0::1f' }],
        priority: 10,
      });
      // An IPv6 network has no broadcast address: 255 usable, less the gateway and 16 reserved.
      const v6Expected = {
        name: v6Name,
        family: 'IPV6',
        cidr: '2001:db8:c0::/120',
        gateway: '2001:db8:c0::1',
        reserved: [{ first: '2001:db8:c0::10', last: '2001:db8:c0::1f' }],
        reverseZone: `${'0.'.repeat(18)}0.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa`,
        priority: 10,
        enabled: true,
        capacity: 238,
        allocated: 0,
        held: 0,
        free: 238,
        utilisation: 0,
      };
      expect(v6).toMatchObject(v6Expected);

      const all = await listed();
      expect(all.find((pool) => pool.id === v4.id)).toMatchObject(v4Expected);
      expect(all.find((pool) => pool.id === v6.id)).toMatchObject(v6Expected);
      expect(all.find((pool) => pool.name === 'default-ipv4')).toMatchObject({
        cidr: '192.0.2.0/24',
        gateway: '192.0.2.1',
        capacity: 253,
      });

      const row = await poolRow(v4.id);
      expect(row).toMatchObject({
        name: v4Name,
        family: 'ipv4',
        cidr: '198.51.100.0/24',
        gateway: '198.51.100.1',
        reserved: [{ first: '198.51.100.10', last: '198.51.100.19' }],
        reverseZone: '100.51.198.in-addr.arpa',
        priority: 10,
        enabled: true,
      });
      expect(await poolRow(v6.id)).toMatchObject({ family: 'ipv6', cidr: '2001:db8:c0::/120' });

      for (const name of [v4Name, v6Name]) {
        const events = await auditOf(name);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ actor: 'olivia', action: 'address-pool.created' });
        expect(events[0]!.summary).toContain(name);
      }
    });

    it.skipIf(skip)('leaves the other pools untouched', async () => {
      const before = await written();
      const pool = await created(aPool());
      const after = await written();
      expect(after.pools.filter((row) => row.id !== pool.id)).toEqual(before.pools);
      expect(after.auditEvents).toBe(before.auditEvents + 1);
    });

    it.skipIf(skip)('lists only the pools of the family asked for', async () => {
      const v4 = await created(aPool());
      const v6 = await created(aPool(undefined, { cidr: '2001:db8:c4::/64', gateway: undefined }));

      const ipv4 = await listed('IPV4');
      expect(ipv4.map((pool) => pool.id)).toEqual(expect.arrayContaining([v4.id, 'default-ipv4']));
      expect(ipv4.every((pool) => pool.family === 'IPV4')).toBe(true);

      const ipv6 = await listed('IPV6');
      expect(ipv6.map((pool) => pool.id)).toEqual(expect.arrayContaining([v6.id, 'default-ipv6']));
      expect(ipv6.every((pool) => pool.family === 'IPV6')).toBe(true);

      expect((await listed()).length).toBe(ipv4.length + ipv6.length);
    });

    it.skipIf(skip)('stores an IPv6 network in canonical form and refuses it again', async () => {
      const name = uniqueName('upper-v6');
      const pool = await created({
        name,
        cidr: '2001:DB8:AB::/64',
        gateway: '2001:DB8:AB::1',
        reserved: [{ first: '2001:DB8:AB::A', last: '2001:db8:ab:0:0:0:0:00ff' }],
      });
      expect(pool).toMatchObject({
        cidr: '2001:db8:ab::/64',
        gateway: '2001:db8:ab::1',
        reserved: [{ first: '2001:db8:ab::a', last: '2001:db8:ab::ff' }],
      });
      expect(await poolRow(pool.id)).toMatchObject({
        cidr: '2001:db8:ab::/64',
        gateway: '2001:db8:ab::1',
        reserved: [{ first: '2001:db8:ab::a', last: '2001:db8:ab::ff' }],
      });

      // The same network in any spelling is the same network: it overlaps the first pool, and
      // that, not a name, is what an operator under another name must hear about.
      for (const cidr of ['2001:db8:ab::/64', '2001:0db8:00ab:0000::/64']) {
        const response = await writingNothing(() => create({ name: uniqueName('again-v6'), cidr }));
        const refusal = refusalOf(response);
        expect(refusal).toMatchObject({ code: 'POOL_OVERLAP', field: 'cidr' });
        expect(refusal.message).toContain(name);
      }
      // Under the same name, the name is taken (checked first).
      const sameName = refusalOf(
        await writingNothing(() => create({ name, cidr: '2001:db8:ab::/64' })),
      );
      expect(sameName).toMatchObject({ code: 'POOL_NAME_TAKEN', field: 'name' });
    });
  });

  describe('refusals that name the conflict', () => {
    it.skipIf(skip)('refuses a name that is taken', async () => {
      const first = await created(aPool());
      for (const name of [first.name, 'default-ipv4']) {
        const response = await writingNothing(() => create(aPool(undefined, { name })));
        expect(refusalOf(response)).toMatchObject({ code: 'POOL_NAME_TAKEN', field: 'name' });
      }
    });

    it.skipIf(skip).each([
      ['a /25 inside the default /24', '192.0.2.0/25', 'default-ipv4'],
      ['a /16 around the default /24', '192.0.0.0/16', 'default-ipv4'],
      ['the default /24 itself', '192.0.2.0/24', 'default-ipv4'],
      ['an IPv6 /80 inside the default /64', '2001:db8:b0:0:1::/80', 'default-ipv6'],
      ['an IPv6 /48 around the default /64', '2001:db8:b0::/48', 'default-ipv6'],
    ])('refuses %s as an overlap', async (_what, cidr, other) => {
      const response = await writingNothing(() =>
        create({ name: uniqueName('overlap'), cidr, gateway: undefined }),
      );
      const refusal = refusalOf(response);
      expect(refusal).toMatchObject({ code: 'POOL_OVERLAP', field: 'cidr' });
      expect(refusal.message).toContain(other);
    });

    it.skipIf(skip)('refuses an overlap with an operator-made pool', async () => {
      const network = aNetwork();
      const first = await created(aPool(network));
      const response = await writingNothing(() =>
        create(aPool(undefined, { cidr: `${network.at(128)}/25`, gateway: undefined })),
      );
      const refusal = refusalOf(response);
      expect(refusal).toMatchObject({ code: 'POOL_OVERLAP', field: 'cidr' });
      expect(refusal.message).toContain(first.name);
    });

    it.skipIf(skip)('answers POOL_NOT_FOUND for an unknown pool', async () => {
      for (const id of [randomUUID(), "' or '1'='1", 'DEFAULT-IPV4']) {
        const updated = await writingNothing(() => update({ id, enabled: false }));
        expect(refusalOf(updated)).toMatchObject({ code: 'POOL_NOT_FOUND', field: 'id' });
        const deleted = await writingNothing(() => remove(id));
        expect(refusalOf(deleted)).toMatchObject({ code: 'POOL_NOT_FOUND', field: 'id' });
      }
    });
  });

  describe('with servers holding addresses', () => {
    let busy4: PoolView;
    let busy6: PoolView;
    let allocated: NetworkAllocation;
    let held: NetworkAllocation;

    beforeAll(async () => {
      if (skip) return;
      // Priority 0, which no other pool in this file has: allocation takes from these first.
      busy4 = await created({
        name: uniqueName('busy-v4'),
        cidr: '203.0.113.0/24',
        gateway: '203.0.113.1',
        priority: 0,
      });
      busy6 = await created({
        name: uniqueName('busy-v6'),
        cidr: '2001:db8:c3::/120',
        gateway: '2001:db8:c3::1',
        priority: 0,
      });
      const network = createNetworkActivities({ orm: berth.orm, network: berth.config.network });
      const server = () => ({ vmId: randomUUID(), siteId: null, hostnameLabel: null });
      allocated = await network.allocateNetwork(server());
      const leaving = server();
      held = await network.allocateNetwork(leaving);
      // Released: its addresses stay held back for the hold period (a day by default).
      await network.releaseNetwork({ vmId: leaving.vmId });
    });

    it.skipIf(skip)('counts the addresses held and held back', async () => {
      expect(allocated).toMatchObject({ ipv4: '203.0.113.2', ipv6: '2001:db8:c3::2' });
      expect(held).toMatchObject({ ipv4: '203.0.113.3', ipv6: '2001:db8:c3::3' });
      const all = await listed();
      const v4 = all.find((pool) => pool.id === busy4.id)!;
      expect(v4).toMatchObject({ capacity: 253, allocated: 1, held: 1, free: 251 });
      expect(v4.utilisation).toBeCloseTo(2 / 253, 10);
      const v6 = all.find((pool) => pool.id === busy6.id)!;
      expect(v6).toMatchObject({ capacity: 254, allocated: 1, held: 1, free: 252 });
      expect(v6.utilisation).toBeCloseTo(2 / 254, 10);
    });

    it.skipIf(skip)('refuses to delete a pool servers hold addresses from', async () => {
      for (const pool of [busy4, busy6]) {
        const response = await writingNothing(() => remove(pool.id));
        const refusal = refusalOf(response);
        expect(refusal).toMatchObject({ code: 'POOL_IN_USE', field: 'id' });
        expect(refusal.message).toContain(pool.name);
      }
    });

    it.skipIf(skip).each([
      ['an allocated address', '203.0.113.2', '203.0.113.9', '203.0.113.2'],
      ['an address in its hold period', '203.0.113.3', '203.0.113.3', '203.0.113.3'],
    ])('refuses reserving %s', async (_what, first, last, address) => {
      const response = await writingNothing(() =>
        update({ id: busy4.id, reserved: [{ first, last }] }),
      );
      const refusal = refusalOf(response);
      expect(refusal).toMatchObject({ code: 'ADDRESS_IN_USE', field: 'reserved' });
      expect(refusal.message).toContain(address);
    });

    it.skipIf(skip)('refuses reserving an IPv6 address a server holds', async () => {
      const response = await writingNothing(() =>
        update({ id: busy6.id, reserved: [{ first: '2001:db8:c3::2', last: '2001:db8:c3::10' }] }),
      );
      expect(refusalOf(response)).toMatchObject({ code: 'ADDRESS_IN_USE', field: 'reserved' });
    });

    it.skipIf(skip).each([
      ['an allocated IPv4 address', () => busy4, '203.0.113.2'],
      ['an IPv4 address in its hold period', () => busy4, '203.0.113.3'],
      ['an allocated IPv6 address', () => busy6, '2001:db8:c3::2'],
    ])('refuses moving the gateway onto %s', async (_what, pool, gateway) => {
      const response = await writingNothing(() => update({ id: pool().id, gateway }));
      const refusal = refusalOf(response);
      expect(refusal).toMatchObject({ code: 'ADDRESS_IN_USE', field: 'gateway' });
      expect(refusal.message).toContain(gateway);
    });

    it.skipIf(skip)('reserves free addresses around those in use', async () => {
      const pool = poolOf(
        await update({
          id: busy4.id,
          reserved: [
            { first: '203.0.113.4', last: '203.0.113.13' },
            { first: '203.0.113.250', last: '203.0.113.254' },
          ],
        }),
      );
      // 253 less 15 reserved.
      expect(pool).toMatchObject({ capacity: 238, allocated: 1, held: 1, free: 236 });
    });

    it.skipIf(skip)('disables a pool in use; its servers keep their addresses', async () => {
      const pool = poolOf(await update({ id: busy4.id, enabled: false }));
      expect(pool).toMatchObject({ enabled: false, allocated: 1, held: 1 });
      expect(await forkEm(db.orm).count(NetworkConfig, { ipv4PoolId: busy4.id })).toBe(2);
    });
  });

  describe('changing and deleting', () => {
    it.skipIf(skip)('disables a pool and changes its priority, audited', async () => {
      const pool = await created(aPool(undefined, { priority: 60 }));
      const changed = poolOf(await update({ id: pool.id, enabled: false, priority: 70 }));
      expect(changed).toMatchObject({ ...pool, enabled: false, priority: 70 });

      expect((await listed()).find((p) => p.id === pool.id)).toMatchObject({
        enabled: false,
        priority: 70,
      });
      expect(await poolRow(pool.id)).toMatchObject({ enabled: false, priority: 70 });
      const events = await auditOf(pool.name);
      expect(events.map((event) => event.action)).toEqual([
        'address-pool.created',
        'address-pool.updated',
      ]);
      expect(events[1]).toMatchObject({ actor: 'olivia' });
      expect(events[1]!.summary).toContain('priority 60');
      expect(events[1]!.summary).toContain('priority 70 disabled');
    });

    it.skipIf(skip)('changes the gateway and reserved ranges, keeping what is absent', async () => {
      const network = aNetwork();
      const pool = await created(aPool(network, { priority: 30 }));
      const moved = poolOf(
        await update({
          id: pool.id,
          gateway: network.at(254),
          reserved: [{ first: network.at(100), last: network.at(109) }],
        }),
      );
      expect(moved).toMatchObject({
        gateway: network.at(254),
        reserved: [{ first: network.at(100), last: network.at(109) }],
        priority: 30,
        enabled: true,
        capacity: 243,
      });
      // An empty gateway removes it; the reserved ranges, not given, stay.
      const noGateway = poolOf(await update({ id: pool.id, gateway: '' }));
      expect(noGateway).toMatchObject({
        gateway: null,
        reserved: [{ first: network.at(100), last: network.at(109) }],
        capacity: 244,
      });
      expect(await poolRow(pool.id)).toMatchObject({ gateway: null, priority: 30 });
      expect((await auditOf(pool.name)).length).toBe(3);
    });

    it.skipIf(skip)('deletes an unused pool, audited', async () => {
      const pool = await created(aPool());
      const response = await remove(pool.id);
      expect(response.errors).toBeUndefined();
      expect(response.data?.deleteAddressPool).toEqual({
        __typename: 'DeleteAddressPoolPayload',
        id: pool.id,
      });
      expect((await listed()).map((p) => p.id)).not.toContain(pool.id);
      expect(await poolRow(pool.id)).toBeNull();
      const events = await auditOf(pool.name);
      expect(events.map((event) => event.action)).toEqual([
        'address-pool.created',
        'address-pool.deleted',
      ]);
      expect(events[1]).toMatchObject({ actor: 'olivia' });

      const again = await writingNothing(() => remove(pool.id));
      expect(refusalOf(again)).toMatchObject({ code: 'POOL_NOT_FOUND' });
    });
  });

  describe('bad input', () => {
    it.skipIf(skip).each(badCreates)('refuses creating with %s', async (_what, bad, field) => {
      const network = aNetwork();
      const response = await writingNothing(() => create(aPool(network, bad(network))));
      expectBadInput(response, field);
    });

    it.skipIf(skip)('refuses a priority beyond a 32-bit integer', async () => {
      const response = await writingNothing(() => create(aPool(undefined, { priority: 2 ** 31 })));
      expectCode(response, 'BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toContain('priority');
    });

    it.skipIf(skip)('names every field at fault in one error', async () => {
      const response = await writingNothing(() =>
        create({ name: 'Bad Name', cidr: '*', priority: -5 }),
      );
      expectCode(response, 'BAD_USER_INPUT');
      expect(new Set(fieldsAtFault(response))).toEqual(new Set(['name', 'cidr', 'priority']));
    });

    describe('on an existing pool', () => {
      let network: Network;
      let pool: PoolView;

      beforeAll(async () => {
        if (skip) return;
        network = aNetwork();
        pool = await created(aPool(network));
      });

      it.skipIf(skip).each(badUpdates)('refuses updating with %s', async (_what, bad, field) => {
        const response = await writingNothing(() => update({ id: pool.id, ...bad(network) }));
        expectBadInput(response, field);
      });

      it.skipIf(skip)('refuses changing the name or network', async () => {
        for (const change of [{ name: 'renamed' }, { cidr: aNetwork().cidr }]) {
          const response = await writingNothing(() => update({ id: pool.id, ...change }));
          expectCode(response, 'BAD_USER_INPUT');
        }
      });

      it.skipIf(skip)('refuses deleting with an empty id', async () => {
        expectBadInput(await writingNothing(() => remove('')), 'id');
      });
    });
  });

  describe('non-operators', () => {
    let pool: PoolView;

    beforeAll(async () => {
      if (skip) return;
      pool = await created(aPool());
    });

    it.skipIf(skip).each([
      ['a user', user],
      ["an operator's token without the operator scope", operatorWithoutScope],
    ])('refuses %s every operation, writing nothing', async (_who, as) => {
      expectCode(await listPools(undefined, as), 'FORBIDDEN');
      expectCode(await listPools('IPV4', as), 'FORBIDDEN');
      expectCode(await writingNothing(() => create(aPool(), as)), 'FORBIDDEN');
      expectCode(
        await writingNothing(() => update({ id: pool.id, enabled: false, priority: 1 }, as)),
        'FORBIDDEN',
      );
      expectCode(await writingNothing(() => remove(pool.id, as)), 'FORBIDDEN');
      expect(await poolRow(pool.id)).toMatchObject({ enabled: true, priority: 50 });
    });

    it.skipIf(skip)('refuses a caller without a token', async () => {
      expectCode(await berth.graphql(addressPoolsQuery, {}, null), 'UNAUTHENTICATED');
      const response = await writingNothing(() =>
        berth.graphql(createPoolMutation, { input: aPool() }, null),
      );
      expectCode(response, 'UNAUTHENTICATED');
    });
  });
});
