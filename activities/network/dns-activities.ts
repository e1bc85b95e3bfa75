import { heartbeat } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { type BerthConfig } from '../../libs/config';
import { type Em, type Orm, forkEm } from '../../libs/db/orm';
import { AddressPool, AuditEvent, HostKey, NetworkConfig } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { contains, parseAddress, parseCidr } from '../../libs/network/addresses';
import { sshfpContent, sshfpRecord } from '../keys/host-keys';
import { DnsError } from './dns/errors';
import { type Dns, type DnsRecordSet, type ZoneChange } from './dns/port';
import {
  type PlacedRecordSet,
  type ServerDnsFacts,
  changesByZone,
  sameRecords,
  serverRecordSets,
  setKey,
} from './server-records';

/** What a reconciliation found in one zone. */
export interface ZoneDrift {
  zone: string;
  /** Sets the database expects and the zone lacks (the whole zone, when it is missing). */
  missing: number;
  /** Sets the zone holds with other records or another TTL. */
  changed: number;
  /** Sets of servers the zone should no longer name. */
  stale: number;
}

export interface DriftReport {
  zones: ZoneDrift[];
  /** missing + changed + stale over every zone. */
  total: number;
  repaired: boolean;
  /** The first few differences, in words, for the audit log and the workflow result. */
  examples: string[];
}

const maxExamples = 20;

/**
 * DNS activities: publishing and removing a server's records, and comparing every managed zone
 * with the database. Every change is a whole-set replacement, so running one again changes nothing.
 */
export function createDnsActivities(deps: {
  dns: Dns;
  orm: Orm;
  network: BerthConfig['network'];
  settings: BerthConfig['dns'];
}) {
  const { dns } = deps;
  const { settings } = deps;
  const forwardZone = deps.network.zone;
  /** Zones this worker has made sure of; ensureZone is idempotent, this only saves requests. */
  const ensured = new Set<string>();

  async function ensureZone(zone: string): Promise<void> {
    if (ensured.has(zone)) return;
    await dns.ensureZone(zone, { dnssec: settings.dnssec });
    ensured.add(zone);
  }

  /** Applies a change to a zone this worker makes sure of, even one deleted since it did. */
  async function applyToZone(change: ZoneChange): Promise<void> {
    await ensureZone(change.zone);
    try {
      await dns.applyChanges(change);
    } catch (error) {
      if (!(error instanceof DnsError && error.kind === 'DnsZoneMissing')) throw error;
      // Deleted on the server after this worker made it: the cache is wrong, make it again.
      ensured.delete(change.zone);
      await ensureZone(change.zone);
      await dns.applyChanges(change);
    }
  }

  /** Publishes A, AAAA, PTR and (once keys exist) SSHFP records for a server. */
  async function publishServerDns(input: { vmId: string }): Promise<{ hostname: string }> {
    const facts = await serverFacts(forkEm(deps.orm), input.vmId, 'allocated');
    if (!facts) throw failure('RecordNotFound', `server ${input.vmId} has no addresses`);
    await withDns(async () => {
      for (const change of changesByZone(
        serverRecordSets(facts, forwardZone, settings.ttlSeconds),
        [],
      )) {
        await applyToZone(change);
      }
    });
    return { hostname: facts.hostname };
  }

  /** Removes every record of a server; removing what is gone succeeds. */
  async function removeServerDns(input: { vmId: string }): Promise<void> {
    const facts = await serverFacts(forkEm(deps.orm), input.vmId);
    if (!facts) return;
    const sets = serverRecordSets({ ...facts, sshfp: ['-'] }, forwardZone, settings.ttlSeconds);
    await withDns(async () => {
      for (const change of changesByZone([], sets)) {
        try {
          await dns.applyChanges(change);
        } catch (error) {
          // A zone that does not exist holds none of the server's records.
          if (!(error instanceof DnsError && error.kind === 'DnsZoneMissing')) throw error;
        }
      }
    });
  }

  /**
   * Compares every managed zone with what the database says (allocated servers and their keys)
   * and, when `repair`, makes the zones say it. Berth owns BERTH_DNS_ZONE's records of the types
   * it manages, and the PTR records of its pools' addresses; anything else is left alone.
   */
  async function reconcileDns(input: { repair: boolean }): Promise<DriftReport> {
    const em = forkEm(deps.orm);
    const pools = await em.find(AddressPool, {});
    const expected = await expectedRecordSets(em, pools);
    const zones = new Set([forwardZone, ...pools.map((pool) => pool.reverseZone)]);
    for (const set of expected) zones.add(set.zone);
    const ownedPtr = pools.flatMap((pool) => {
      const cidr = parseCidr(pool.cidr);
      return typeof cidr === 'string' ? [] : [cidr];
    });

    const report: DriftReport = { zones: [], total: 0, repaired: false, examples: [] };
    const example = (text: string) => {
      if (report.examples.length < maxExamples) report.examples.push(text);
    };
    for (const zone of [...zones].sort()) {
      heartbeat(zone);
      const wanted = new Map(
        expected.filter((set) => set.zone === zone).map((set) => [setKey(set), set] as const),
      );
      const actual = await withDns(() => listOrEmpty(zone));
      const drift: ZoneDrift = { zone, missing: 0, changed: 0, stale: 0 };
      const replace: PlacedRecordSet[] = [];
      const remove: { zone: string; name: string; type: DnsRecordSet['type'] }[] = [];
      const seen = new Set<string>();
      for (const set of actual) {
        const key = setKey(set);
        seen.add(key);
        const want = wanted.get(key);
        if (want) {
          if (!sameRecords(want, set)) {
            drift.changed++;
            replace.push(want);
            example(
              `${zone}: ${key} is ${set.records.join(', ')}; expected ${want.records.join(', ')}`,
            );
          }
        } else if (owned(zone, set, ownedPtr)) {
          drift.stale++;
          remove.push({ zone, name: set.name, type: set.type });
          example(`${zone}: ${key} (${set.records.join(', ')}) names no server`);
        }
      }
      for (const [key, want] of wanted) {
        if (seen.has(key)) continue;
        drift.missing++;
        replace.push(want);
        example(`${zone}: ${key} is missing; expected ${want.records.join(', ')}`);
      }
      const count = drift.missing + drift.changed + drift.stale;
      if (count === 0) continue;
      report.zones.push(drift);
      report.total += count;
      if (input.repair) {
        await withDns(async () => {
          for (const change of changesByZone(replace, remove)) await applyToZone(change);
        });
      }
    }
    report.repaired = input.repair && report.total > 0;
    if (report.total > 0) await recordDrift(report);
    return report;
  }

  async function listOrEmpty(zone: string): Promise<DnsRecordSet[]> {
    try {
      return await dns.listRecordSets(zone);
    } catch (error) {
      if (error instanceof DnsError && error.kind === 'DnsZoneMissing') return [];
      throw error;
    }
  }

  async function recordDrift(report: DriftReport): Promise<void> {
    const counts = report.zones
      .map((z) => `${z.zone}: ${z.missing} missing, ${z.changed} changed, ${z.stale} stale`)
      .join('; ');
    const em = forkEm(deps.orm);
    em.persist(
      new AuditEvent({
        id: randomUUID(),
        actor: 'system',
        action: report.repaired ? 'dns.drift-repaired' : 'dns.drift-found',
        target: forwardZone,
        summary: `${report.total} record sets differ from the database (${counts})`.slice(0, 2000),
      }),
    );
    await em.flush();
  }

  async function expectedRecordSets(em: Em, pools: AddressPool[]): Promise<PlacedRecordSet[]> {
    const rows = await em.find(NetworkConfig, { state: 'allocated' });
    const keys = await em.find(HostKey, {}, { fields: ['vmId', 'publicKey'] });
    const sshfpOf = groupSshfp(keys);
    const byId = new Map(pools.map((pool) => [pool.id, pool]));
    return rows.flatMap((row) => {
      const facts = factsOf(row, byId, sshfpOf.get(row.vmId) ?? []);
      return facts ? serverRecordSets(facts, forwardZone, settings.ttlSeconds) : [];
    });
  }

  return { publishServerDns, removeServerDns, reconcileDns };
}

export type DnsActivities = ReturnType<typeof createDnsActivities>;

/** What DNS should say about a VM's server; only while it holds its addresses, when asked. */
async function serverFacts(
  em: Em,
  vmId: string,
  state?: 'allocated',
): Promise<ServerDnsFacts | undefined> {
  const row = await em.findOne(NetworkConfig, state ? { vmId, state } : { vmId });
  if (!row) return undefined;
  const pools = await em.find(AddressPool, { id: { $in: [row.ipv4PoolId, row.ipv6PoolId] } });
  const keys = await em.find(HostKey, { vmId }, { fields: ['vmId', 'publicKey'] });
  return factsOf(
    row,
    new Map(pools.map((pool) => [pool.id, pool])),
    groupSshfp(keys).get(vmId) ?? [],
  );
}

function factsOf(
  row: NetworkConfig,
  pools: Map<string, AddressPool>,
  sshfp: string[],
): ServerDnsFacts | undefined {
  const ipv4Pool = pools.get(row.ipv4PoolId);
  const ipv6Pool = pools.get(row.ipv6PoolId);
  if (!ipv4Pool || !ipv6Pool) return undefined;
  return {
    hostname: row.hostname,
    ipv4: row.ipv4,
    ipv6: row.ipv6,
    ipv4ReverseZone: ipv4Pool.reverseZone,
    ipv6ReverseZone: ipv6Pool.reverseZone,
    sshfp,
  };
}

function groupSshfp(keys: Pick<HostKey, 'vmId' | 'publicKey'>[]): Map<string, string[]> {
  const byVm = new Map<string, string[]>();
  for (const key of keys) {
    const list = byVm.get(key.vmId) ?? [];
    list.push(sshfpContent(sshfpRecord(key.publicKey)));
    byVm.set(key.vmId, list);
  }
  return byVm;
}

/** PTR records of pool addresses, and every managed set of the forward zone, are Berth's. */
function owned(zone: string, set: DnsRecordSet, pools: ReturnType<typeof parseCidr>[]): boolean {
  if (set.type !== 'PTR') return !zone.endsWith('.arpa');
  const address = addressOfPtr(set.name);
  return (
    address !== undefined &&
    pools.some((cidr) => typeof cidr !== 'string' && contains(cidr, address.family, address.value))
  );
}

/** The address a PTR name stands for (`5.2.0.192.in-addr.arpa`), if it names a whole one. */
function addressOfPtr(name: string): ReturnType<typeof parseAddress> {
  if (name.endsWith('.in-addr.arpa')) {
    const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
    return octets.length === 4 ? parseAddress(octets.reverse().join('.')) : undefined;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return parseAddress(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

/** Runs a DNS call, turning its failures into the workflow failure types. */
async function withDns<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DnsError) throw failure(error.kind, error.message);
    throw error;
  }
}
