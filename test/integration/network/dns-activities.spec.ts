import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type PublicHostKey,
  createHostKeyActivities,
  readHostKeys,
} from '../../../activities/keys/activities';
import { sshfpContent, sshfpRecord } from '../../../activities/keys/host-keys';
import { createNetworkActivities } from '../../../activities/network/activities';
import { type DriftReport, createDnsActivities } from '../../../activities/network/dns-activities';
import { type DnsRecordSet } from '../../../activities/network/dns/port';
import { SimulatedDns } from '../../../activities/network/dns/simulated/simulated-dns';
import {
  SimulatedDnsRecordSet,
  SimulatedDnsZone,
} from '../../../activities/network/dns/simulated/simulated-dns.entity';
import { type PlacedRecordSet } from '../../../activities/network/server-records';
import { type BerthConfig } from '../../../libs/config';
import { forkEm } from '../../../libs/db/orm';
import { AddressPool, AuditEvent, HostKey } from '../../../libs/domain';
import { parseAddress, ptrName } from '../../../libs/network/addresses';
import { checkPoolDefinition } from '../../../libs/network/pools';
import {
  type TestDatabase,
  databaseKinds,
  databaseUnavailable,
  startDatabase,
} from '../../helpers/databases';

const run = promisify(execFile);

const forwardZone = 'sites.berth.test';
/** The reverse zones of the default pools every new test database has. */
const ipv4Zone = '2.0.192.in-addr.arpa';
const ipv6Zone = '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
const ttl = 300;

function aNetwork(overrides: Partial<BerthConfig['network']> = {}): BerthConfig['network'] {
  return {
    zone: forwardZone,
    hostnamePattern: 'web-{n}',
    ipv4Pool: '192.0.2.0/24',
    ipv6Pool: '2001:db8:b0::/64',
    addressHoldSeconds: 3600,
    ...overrides,
  };
}

function aDnsSettings(overrides: Partial<BerthConfig['dns']> = {}): BerthConfig['dns'] {
  return {
    powerDns: undefined,
    nameservers: [`ns1.${forwardZone}`],
    ttlSeconds: ttl,
    dnssec: true,
    reconcileMinutes: 15,
    repairDrift: false,
    ...overrides,
  };
}

/** The simulated DNS server and the activities, wired as the worker wires them. */
function aBerth(
  db: TestDatabase,
  options: { network?: BerthConfig['network']; dns?: BerthConfig['dns'] } = {},
) {
  const network = options.network ?? aNetwork();
  const dns = new SimulatedDns(db.orm);
  const secretKey = randomBytes(32);
  return {
    dns,
    secretKey,
    network: createNetworkActivities({ orm: db.orm, network }),
    keys: createHostKeyActivities({ orm: db.orm, secretKey }),
    dnsActivities: createDnsActivities({
      dns,
      orm: db.orm,
      network,
      settings: options.dns ?? aDnsSettings(),
    }),
  };
}
type Berth = ReturnType<typeof aBerth>;

interface Server {
  vmId: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
  keys: PublicHostKey[];
}

/** A VM with addresses and host keys, as provisioning leaves it before publishing its DNS. */
async function aServer(berth: Berth): Promise<Server> {
  const vmId = randomUUID();
  const { hostname, ipv4, ipv6 } = await berth.network.allocateNetwork({
    vmId,
    siteId: randomUUID(),
    hostnameLabel: null,
  });
  const keys = await berth.keys.prepareHostKeys({ vmId });
  return { vmId, hostname, ipv4, ipv6, keys };
}

/** A server that is published, the way provisioning does it. */
async function aPublishedServer(berth: Berth): Promise<Server> {
  const server = await aServer(berth);
  await berth.dnsActivities.publishServerDns({ vmId: server.vmId });
  return server;
}

function ptrOf(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) throw new Error(`${address} is not an address`);
  return ptrName(parsed.family, parsed.value);
}

/** What DNS should say about a server with keys, written out independently of the code. */
function expectedSets(server: Server): PlacedRecordSet[] {
  const target = `${server.hostname}.`;
  const sshfp = server.keys.map((key) => sshfpContent(sshfpRecord(key.publicKey)));
  return [
    { zone: forwardZone, name: server.hostname, type: 'A', ttl, records: [server.ipv4] },
    { zone: forwardZone, name: server.hostname, type: 'AAAA', ttl, records: [server.ipv6] },
    { zone: forwardZone, name: server.hostname, type: 'SSHFP', ttl, records: sshfp.sort() },
    { zone: ipv4Zone, name: ptrOf(server.ipv4), type: 'PTR', ttl, records: [target] },
    { zone: ipv6Zone, name: ptrOf(server.ipv6), type: 'PTR', ttl, records: [target] },
  ];
}

/** A zone's sets in one order, each set's records sorted, for comparisons. */
function sorted(sets: DnsRecordSet[]): DnsRecordSet[] {
  return sets
    .map(({ name, type, ttl: setTtl, records }) => ({
      name,
      type,
      ttl: setTtl,
      records: [...records].sort(),
    }))
    .sort((a, b) => `${a.name} ${a.type}`.localeCompare(`${b.name} ${b.type}`));
}

/** The sets of the given zones that expectedSets places there, without the zone. */
function inZone(zone: string, sets: PlacedRecordSet[]): DnsRecordSet[] {
  return sorted(sets.filter((set) => set.zone === zone));
}

/** Every set of each zone; a missing zone is listed as missing. */
async function contentsOf(
  berth: Berth,
  zones: string[],
): Promise<Record<string, DnsRecordSet[] | 'missing'>> {
  const contents: Record<string, DnsRecordSet[] | 'missing'> = {};
  for (const zone of zones) {
    contents[zone] = await berth.dns.listRecordSets(zone).then(sorted, () => 'missing' as const);
  }
  return contents;
}

/** The sets that name a server: at its host name or at one of its addresses' PTR names. */
async function setsOf(berth: Berth, server: Server): Promise<PlacedRecordSet[]> {
  const names = new Set([server.hostname, ptrOf(server.ipv4), ptrOf(server.ipv6)]);
  const found: PlacedRecordSet[] = [];
  for (const zone of [forwardZone, ipv4Zone, ipv6Zone]) {
    const sets = await berth.dns.listRecordSets(zone).catch(() => []);
    for (const set of sorted(sets)) if (names.has(set.name)) found.push({ zone, ...set });
  }
  return found;
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, but the call succeeded');
}

/** `ssh-keygen -y`: the public key line OpenSSH derives from a private key file. */
async function publicKeyOf(privateKey: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'berth-host-key-'));
  try {
    const file = join(folder, 'key');
    // ssh-keygen refuses a private key file others can read.
    await writeFile(file, privateKey, { mode: 0o600 });
    const { stdout } = await run('ssh-keygen', ['-y', '-f', file]);
    return stdout.trim();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function byType(keys: PublicHostKey[]): PublicHostKey[] {
  return [...keys].sort((a, b) => a.type.localeCompare(b.type));
}

describe.each(databaseKinds)('publishing DNS and host keys on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterAll(async () => {
    await db?.stop();
  });

  describe('publishServerDns', () => {
    it.skipIf(skip)('publishes A, AAAA, two PTR and SSHFP sets into signed zones', async () => {
      const berth = aBerth(db);
      const server = await aServer(berth);

      const result = await berth.dnsActivities.publishServerDns({ vmId: server.vmId });

      expect(result).toEqual({ hostname: server.hostname });
      const zones = await forkEm(db.orm).find(SimulatedDnsZone, {
        name: { $in: [forwardZone, ipv4Zone, ipv6Zone] },
      });
      expect(zones.map((zone) => [zone.name, zone.dnssec]).sort()).toEqual(
        [
          [forwardZone, true],
          [ipv4Zone, true],
          [ipv6Zone, true],
        ].sort(),
      );
      const published = await setsOf(berth, server);
      expect(sorted(published)).toEqual(sorted(expectedSets(server)));
      const sshfp = published.find((set) => set.type === 'SSHFP');
      expect(sshfp?.records).toHaveLength(3);
      expect(sshfp?.records).toEqual(
        expect.arrayContaining(server.keys.map((key) => sshfpContent(sshfpRecord(key.publicKey)))),
      );
    });

    it.skipIf(skip)('creates a new zone unsigned when DNSSEC is off', async () => {
      const zone = `plain-${randomUUID().slice(0, 8)}.berth.test`;
      const network = aNetwork({ zone, hostnamePattern: 'plain-{n}' });
      const berth = aBerth(db, { network, dns: aDnsSettings({ dnssec: false }) });
      const vmId = randomUUID();
      await berth.network.allocateNetwork({ vmId, siteId: null, hostnameLabel: null });

      await berth.dnsActivities.publishServerDns({ vmId });

      const row = await forkEm(db.orm).findOneOrFail(SimulatedDnsZone, { name: zone });
      expect(row.dnssec).toBe(false);
      // Without keys yet, the server has no SSHFP set.
      const sets = await berth.dns.listRecordSets(zone);
      expect(sets.map((set) => set.type).sort()).toEqual(['A', 'AAAA']);
      await berth.network.releaseNetwork({ vmId });
      await berth.dnsActivities.removeServerDns({ vmId });
    });

    it.skipIf(skip)('changes nothing when a server is published again', async () => {
      const berth = aBerth(db);
      const server = await aPublishedServer(berth);
      const zones = [forwardZone, ipv4Zone, ipv6Zone];
      const before = await contentsOf(berth, zones);

      await berth.dnsActivities.publishServerDns({ vmId: server.vmId });

      expect(await contentsOf(berth, zones)).toEqual(before);
      expect(sorted(await setsOf(berth, server))).toEqual(sorted(expectedSets(server)));
    });

    it.skipIf(skip)('adds the SSHFP set when published again once keys exist', async () => {
      const berth = aBerth(db);
      const vmId = randomUUID();
      await berth.network.allocateNetwork({ vmId, siteId: null, hostnameLabel: null });
      const { hostname } = await berth.dnsActivities.publishServerDns({ vmId });
      const keys = await berth.keys.prepareHostKeys({ vmId });

      await berth.dnsActivities.publishServerDns({ vmId });

      const sets = await berth.dns.listRecordSets(forwardZone);
      const sshfp = sets.find((set) => set.name === hostname && set.type === 'SSHFP');
      expect(sshfp?.records).toEqual(
        keys.map((key) => sshfpContent(sshfpRecord(key.publicKey))).sort(),
      );
    });

    it.skipIf(skip)('publishes servers at once into a zone that does not exist yet', async () => {
      const zone = `busy-${randomUUID().slice(0, 8)}.berth.test`;
      const network = aNetwork({ zone, hostnamePattern: 'busy-{n}' });
      const berth = aBerth(db, { network });
      const vmIds = Array.from({ length: 4 }, () => randomUUID());
      for (const vmId of vmIds) {
        await berth.network.allocateNetwork({ vmId, siteId: null, hostnameLabel: null });
      }

      // Each server twice: a retried activity may overlap its first attempt.
      const published = await Promise.all(
        [...vmIds, ...vmIds].map((vmId) =>
          // A worker of its own per call: none of them knows the zone exists.
          aBerth(db, { network }).dnsActivities.publishServerDns({ vmId }),
        ),
      );

      const hostnames = new Set(published.map((result) => result.hostname));
      expect(hostnames.size).toBe(4);
      const sets = await berth.dns.listRecordSets(zone);
      expect(sets.map((set) => `${set.name} ${set.type}`).sort()).toEqual(
        [...hostnames].flatMap((name) => [`${name} A`, `${name} AAAA`]).sort(),
      );
      for (const vmId of vmIds) {
        await berth.network.releaseNetwork({ vmId });
        await berth.dnsActivities.removeServerDns({ vmId });
      }
    });

    it.skipIf(skip)('fails with RecordNotFound for a VM without addresses', async () => {
      const berth = aBerth(db);

      const error = await rejection(berth.dnsActivities.publishServerDns({ vmId: randomUUID() }));

      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({ type: 'RecordNotFound', nonRetryable: true });
    });
  });

  describe('removeServerDns', () => {
    it.skipIf(skip)("removes every set of the server and none of another's", async () => {
      const berth = aBerth(db);
      const gone = await aPublishedServer(berth);
      const kept = await aPublishedServer(berth);
      const keptBefore = await setsOf(berth, kept);
      expect(sorted(keptBefore)).toEqual(sorted(expectedSets(kept)));

      await berth.dnsActivities.removeServerDns({ vmId: gone.vmId });

      expect(await setsOf(berth, gone)).toEqual([]);
      expect(await setsOf(berth, kept)).toEqual(keptBefore);
    });

    it.skipIf(skip)('succeeds when the records are already gone', async () => {
      const berth = aBerth(db);
      const server = await aPublishedServer(berth);
      await berth.dnsActivities.removeServerDns({ vmId: server.vmId });
      const zones = [forwardZone, ipv4Zone, ipv6Zone];
      const after = await contentsOf(berth, zones);

      await berth.dnsActivities.removeServerDns({ vmId: server.vmId });

      expect(await contentsOf(berth, zones)).toEqual(after);
      expect(await setsOf(berth, server)).toEqual([]);
    });

    it.skipIf(skip)('succeeds when a zone does not exist', async () => {
      const zone = `absent-${randomUUID().slice(0, 8)}.berth.test`;
      const network = aNetwork({ zone, hostnamePattern: 'absent-{n}' });
      const berth = aBerth(db, { network });
      const vmId = randomUUID();
      await berth.network.allocateNetwork({ vmId, siteId: null, hostnameLabel: null });

      await expect(berth.dnsActivities.removeServerDns({ vmId })).resolves.toBeUndefined();

      expect(await contentsOf(berth, [zone])).toEqual({ [zone]: 'missing' });
      await berth.network.releaseNetwork({ vmId });
    });

    it.skipIf(skip)('succeeds for a VM that never had addresses', async () => {
      const berth = aBerth(db);

      await expect(
        berth.dnsActivities.removeServerDns({ vmId: randomUUID() }),
      ).resolves.toBeUndefined();
    });
  });

  describe('host keys', () => {
    it.skipIf(skip)('prepares one key of each type once; a retry returns the same', async () => {
      const { keys } = aBerth(db);
      const vmId = randomUUID();

      const first = await keys.prepareHostKeys({ vmId });
      const second = await keys.prepareHostKeys({ vmId });

      expect(first.map((key) => key.type).sort()).toEqual(['ecdsa', 'ed25519', 'rsa']);
      expect(byType(second)).toEqual(byType(first));
      expect(await forkEm(db.orm).count(HostKey, { vmId })).toBe(3);
    });

    it.skipIf(skip)('settles concurrent preparations for one VM on one set of keys', async () => {
      const { keys } = aBerth(db);
      const vmId = randomUUID();

      const results = await Promise.all(
        Array.from({ length: 3 }, () => keys.prepareHostKeys({ vmId })),
      );

      const rows = await forkEm(db.orm).find(HostKey, { vmId });
      expect(rows).toHaveLength(3);
      const stored = byType(
        rows.map(({ type, publicKey, fingerprint }) => ({ type, publicKey, fingerprint })),
      );
      for (const result of results) expect(byType(result)).toEqual(stored);
    });

    it.skipIf(skip)('keeps private keys sealed in the database', async () => {
      const { keys } = aBerth(db);
      const vmId = randomUUID();
      await keys.prepareHostKeys({ vmId });

      const rows = await forkEm(db.orm)
        .getConnection()
        .execute<{ sealed_private_key: string }[]>(
          'select sealed_private_key from host_key where vm_id = ?',
          [vmId],
        );

      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.sealed_private_key).toMatch(/^v1\./);
        expect(row.sealed_private_key).not.toContain('PRIVATE KEY');
      }
    });

    it.skipIf(skip)('hands the server private keys that match its public keys', async () => {
      const { keys, secretKey } = aBerth(db);
      const vmId = randomUUID();
      const prepared = await keys.prepareHostKeys({ vmId });

      const opened = await readHostKeys(db.orm, secretKey, vmId);

      expect(opened.map((key) => key.type)).toEqual(['ecdsa', 'ed25519', 'rsa']);
      for (const key of opened) {
        expect(key.privateKey).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
        expect(await publicKeyOf(key.privateKey)).toBe(key.publicKey);
        expect(prepared).toContainEqual({
          type: key.type,
          publicKey: key.publicKey,
          fingerprint: key.fingerprint,
        });
      }
      const rows = await forkEm(db.orm).find(HostKey, { vmId });
      for (const row of rows) expect(row.deliveredAt).toBeInstanceOf(Date);
    });

    it.skipIf(skip)('forgets a VM’s keys, and succeeds when they are gone', async () => {
      const { keys, secretKey } = aBerth(db);
      const vmId = randomUUID();
      const other = randomUUID();
      await keys.prepareHostKeys({ vmId });
      await keys.prepareHostKeys({ vmId: other });

      await keys.forgetHostKeys({ vmId });
      await keys.forgetHostKeys({ vmId });

      expect(await forkEm(db.orm).count(HostKey, { vmId })).toBe(0);
      expect(await readHostKeys(db.orm, secretKey, vmId)).toEqual([]);
      expect(await forkEm(db.orm).count(HostKey, { vmId: other })).toBe(3);
    });
  });
});

/**
 * A second, unrelated reverse zone: a /26 pool's zone is its /24's, so the zone holds addresses
 * outside every pool, whose PTR records are someone else's.
 */
const sidePool = { name: 'side-ipv4', cidr: '198.51.100.0/26' };
const sideZone = '100.51.198.in-addr.arpa';
const foreignPtr: DnsRecordSet = {
  name: '200.100.51.198.in-addr.arpa',
  type: 'PTR',
  ttl,
  records: ['printer.example.'],
};

/** The drift reconcileDns must find, made through the DNS server behind Berth's back. */
interface Drifted {
  servers: [Server, Server];
  released: Server;
  changedA: string;
  /** The first server's SSHFP set in upper case: the same records, so no drift. */
  upperCaseSshfp: PlacedRecordSet;
}

async function addSidePool(db: TestDatabase): Promise<void> {
  const checked = checkPoolDefinition({ ...sidePool, gateway: null, reserved: [] });
  if (Array.isArray(checked)) throw new Error(JSON.stringify(checked));
  expect(checked.reverseZone).toBe(sideZone);
  // Tried after the default pool, so the servers here take none of its addresses.
  await forkEm(db.orm).persistAndFlush(
    new AddressPool({ id: randomUUID(), ...checked, priority: 200, enabled: true }),
  );
}

async function drift(berth: Berth, db: TestDatabase): Promise<Drifted> {
  await addSidePool(db);
  const servers: [Server, Server] = [await aPublishedServer(berth), await aPublishedServer(berth)];
  const released = await aPublishedServer(berth);
  // Released without its records being removed: they name a server that no longer has them.
  await berth.network.releaseNetwork({ vmId: released.vmId });
  const changedA = '192.0.2.250';
  const sshfp = expectedSets(servers[0]).find((set) => set.type === 'SSHFP')!;
  const upperCaseSshfp = { ...sshfp, records: sshfp.records.map((r) => r.toUpperCase()) };
  await berth.dns.applyChanges({
    zone: forwardZone,
    replace: [
      { name: servers[0].hostname, type: 'A', ttl, records: [changedA] },
      { name: servers[1].hostname, type: 'AAAA', ttl: 60, records: [servers[1].ipv6] },
      { name: `ghost.${forwardZone}`, type: 'A', ttl, records: ['192.0.2.251'] },
      { name: upperCaseSshfp.name, type: 'SSHFP', ttl, records: upperCaseSshfp.records },
    ],
    remove: [{ name: servers[1].hostname, type: 'SSHFP' }],
  });
  await berth.dns.applyChanges({
    zone: ipv4Zone,
    replace: [{ name: `251.${ipv4Zone}`, type: 'PTR', ttl, records: [`ghost.${forwardZone}.`] }],
    remove: [],
  });
  await berth.dns.ensureZone(sideZone, { dnssec: true });
  await berth.dns.applyChanges({ zone: sideZone, replace: [foreignPtr], remove: [] });
  return { servers, released, changedA, upperCaseSshfp };
}

const allZones = [forwardZone, ipv4Zone, ipv6Zone, sideZone];

async function dnsAuditEvents(db: TestDatabase): Promise<AuditEvent[]> {
  return forkEm(db.orm).find(AuditEvent, { action: { $like: 'dns.%' } });
}

/** A zone deleted on the DNS server behind Berth's back (the port cannot delete zones). */
async function loseZone(db: TestDatabase, zone: string): Promise<void> {
  await forkEm(db.orm).nativeDelete(SimulatedDnsRecordSet, { zone });
  await forkEm(db.orm).nativeDelete(SimulatedDnsZone, { name: zone });
}

/** reconcileDns as an activity (it heartbeats), in the given environment or a new one. */
function reconcile(
  berth: Berth,
  repair: boolean,
  environment = new MockActivityEnvironment(),
): Promise<DriftReport> {
  return environment.run(berth.dnsActivities.reconcileDns, { repair });
}

/** Report lines per zone, as reconcileDns counts them for the drift `drift()` makes. */
const expectedDrift = [
  // The released server's PTR.
  { zone: ipv6Zone, missing: 0, changed: 0, stale: 1 },
  // The ghost's PTR and the released server's.
  { zone: ipv4Zone, missing: 0, changed: 0, stale: 2 },
  // A missing SSHFP set; an A set with another address and an AAAA set with another TTL; the
  // ghost's A and the released server's A, AAAA and SSHFP.
  { zone: forwardZone, missing: 1, changed: 2, stale: 4 },
];

// reconcileDns compares the whole database with whole zones, so each test has a database of its
// own that no other test writes to.
describe.each(databaseKinds)('reconciling DNS on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeEach(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterEach(async () => {
    await db?.stop();
  });

  it.skipIf(skip)('finds nothing when the zones say what the database says', async () => {
    const berth = aBerth(db);
    await aPublishedServer(berth);
    await aPublishedServer(berth);
    const before = await contentsOf(berth, allZones);

    const checked = await reconcile(berth, false);
    const repaired = await reconcile(berth, true);

    for (const report of [checked, repaired]) {
      expect(report).toEqual({ zones: [], total: 0, repaired: false, examples: [] });
    }
    expect(await dnsAuditEvents(db)).toEqual([]);
    expect(await contentsOf(berth, allZones)).toEqual(before);
  });

  it.skipIf(skip)('reports drift per zone and changes nothing', async () => {
    const berth = aBerth(db);
    const { servers, released, changedA } = await drift(berth, db);
    const before = await contentsOf(berth, allZones);
    const heartbeats: unknown[] = [];
    const environment = new MockActivityEnvironment();
    environment.on('heartbeat', (details: unknown) => heartbeats.push(details));

    const report = await reconcile(berth, false, environment);

    expect(report.zones).toEqual(expectedDrift);
    expect(report).toMatchObject({ total: 10, repaired: false });
    expect(report.examples).toHaveLength(10);
    const mentions = (...parts: string[]) =>
      report.examples.filter((line) => parts.every((part) => line.includes(part)));
    expect(mentions(`${servers[0].hostname} A `, changedA, servers[0].ipv4)).toHaveLength(1);
    expect(mentions(`${servers[1].hostname} SSHFP`, 'missing')).toHaveLength(1);
    expect(mentions(`${servers[1].hostname} AAAA`)).toHaveLength(1);
    expect(mentions(`${servers[0].hostname} SSHFP`)).toEqual([]);
    expect(mentions(`ghost.${forwardZone} A`)).toHaveLength(1);
    expect(mentions(`251.${ipv4Zone} PTR`)).toHaveLength(1);
    expect(mentions(released.hostname)).toHaveLength(5);
    expect(mentions(sideZone)).toEqual([]);
    expect(heartbeats).toEqual(expect.arrayContaining(allZones));

    const events = await dnsAuditEvents(db);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'system',
      action: 'dns.drift-found',
      target: forwardZone,
    });
    expect(events[0]!.summary).toContain('10 record sets differ');
    expect(events[0]!.summary).toContain(`${forwardZone}: 1 missing, 2 changed, 4 stale`);
    expect(await contentsOf(berth, allZones)).toEqual(before);
  });

  it.skipIf(skip)('repairs drift and leaves records outside its pools alone', async () => {
    const berth = aBerth(db);
    const { servers, upperCaseSshfp } = await drift(berth, db);

    const report = await reconcile(berth, true);

    expect(report.zones).toEqual(expectedDrift);
    expect(report).toMatchObject({ total: 10, repaired: true });
    const events = await dnsAuditEvents(db);
    expect(events.map((event) => event.action)).toEqual(['dns.drift-repaired']);
    // The set that differed only in case is left as the server wrote it.
    const expected = servers
      .flatMap(expectedSets)
      .map((set) =>
        set.name === upperCaseSshfp.name && set.type === 'SSHFP' ? upperCaseSshfp : set,
      );
    expect(await contentsOf(berth, allZones)).toEqual({
      [forwardZone]: inZone(forwardZone, expected),
      [ipv4Zone]: inZone(ipv4Zone, expected),
      [ipv6Zone]: inZone(ipv6Zone, expected),
      [sideZone]: [foreignPtr],
    });
    // Repaired means nothing is left to find.
    expect(await reconcile(berth, false)).toMatchObject({ total: 0, zones: [] });
    expect(await dnsAuditEvents(db)).toHaveLength(1);
  });

  it.skipIf(skip)('makes a zone again that was lost after this worker made it', async () => {
    const berth = aBerth(db);
    const server = await aPublishedServer(berth);
    await loseZone(db, ipv6Zone);

    const report = await reconcile(berth, true);
    expect(report.zones).toEqual([{ zone: ipv6Zone, missing: 1, changed: 0, stale: 0 }]);
    await loseZone(db, ipv6Zone);
    await berth.dnsActivities.publishServerDns({ vmId: server.vmId });

    expect(await contentsOf(berth, [ipv6Zone])).toEqual({
      [ipv6Zone]: inZone(ipv6Zone, expectedSets(server)),
    });
  });

  it.skipIf(skip)('recreates a zone that is gone, with every set it should hold', async () => {
    const berth = aBerth(db);
    const server = await aServer(berth);
    // Published by another worker, or before the zone was lost: this worker never touched it.
    const other = aBerth(db);
    await other.dnsActivities.publishServerDns({ vmId: server.vmId });
    await loseZone(db, ipv6Zone);

    const report = await reconcile(berth, true);

    expect(report.zones).toEqual([{ zone: ipv6Zone, missing: 1, changed: 0, stale: 0 }]);
    expect(await contentsOf(berth, [ipv6Zone])).toEqual({
      [ipv6Zone]: inZone(ipv6Zone, expectedSets(server)),
    });
  });
});
