import { type QueryResult, UniqueConstraintViolationException } from '@mikro-orm/core';
import { type Orm, forkEm } from '../../../../libs/db/orm';
import { DnsError } from '../errors';
import { type Dns, type DnsRecordSet, type ManagedRecordType, type ZoneChange } from '../port';
import { SimulatedDnsRecordSet, SimulatedDnsZone } from './simulated-dns.entity';

/**
 * The `simulated` DNS server of the embedded profile: zones and record sets are rows in Berth's
 * database, changed the way PowerDNS changes them (a batch per zone, in one transaction). It
 * answers no queries and signs nothing; a zone only remembers that signing was asked for. Never
 * chosen by the production profile.
 */
export class SimulatedDns implements Dns {
  readonly name = 'simulated';

  constructor(private readonly orm: Orm) {}

  async ensureZone(zone: string, options: { dnssec: boolean }): Promise<void> {
    const em = forkEm(this.orm);
    const existing = await em.findOne(SimulatedDnsZone, { name: zone });
    if (existing) {
      if (options.dnssec && !existing.dnssec) {
        existing.dnssec = true;
        await em.flush();
      }
      return;
    }
    try {
      await em.persistAndFlush(new SimulatedDnsZone(zone, options.dnssec));
    } catch (error) {
      // Made by a concurrent call: the zone exists, which is all this asks.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  async applyChanges(change: ZoneChange): Promise<void> {
    if (change.replace.length === 0 && change.remove.length === 0) return;
    await forkEm(this.orm).transactional(async (em) => {
      // Writing the zone's row first queues the zone's batches behind each other (a row lock on
      // PostgreSQL), as PowerDNS does; otherwise two batches writing one set both find it absent
      // after their deletes and the second insert breaks the primary key.
      const { affectedRows } = await em
        .getConnection()
        .execute<QueryResult>(
          'update simulated_dns_zone set dnssec = dnssec where name = ?',
          [change.zone],
          'run',
          em.getTransactionContext(),
        );
      if (affectedRows === 0) {
        throw new DnsError('DnsZoneMissing', `zone ${change.zone} does not exist`);
      }
      for (const set of change.replace) {
        assertInZone(change.zone, set.name);
        if (set.records.length === 0) {
          throw new DnsError('DnsRejected', `${set.name} ${set.type}: a set needs a record`);
        }
      }
      for (const set of change.remove) assertInZone(change.zone, set.name);
      const ids = [
        ...change.remove.map((set) => setId(change.zone, set.name, set.type)),
        ...change.replace.map((set) => setId(change.zone, set.name, set.type)),
      ];
      await em.nativeDelete(SimulatedDnsRecordSet, { id: { $in: ids } });
      for (const set of change.replace) {
        em.persist(
          new SimulatedDnsRecordSet({
            zone: change.zone,
            name: set.name,
            type: set.type,
            ttl: set.ttl,
            records: [...set.records].sort(),
          }),
        );
      }
    });
  }

  async listRecordSets(zone: string): Promise<DnsRecordSet[]> {
    const em = forkEm(this.orm);
    if (!(await em.findOne(SimulatedDnsZone, { name: zone }))) {
      throw new DnsError('DnsZoneMissing', `zone ${zone} does not exist`);
    }
    const rows = await em.find(SimulatedDnsRecordSet, { zone }, { orderBy: { id: 'asc' } });
    return rows.map((row) => ({
      name: row.name,
      type: row.type as ManagedRecordType,
      ttl: row.ttl,
      records: row.records,
    }));
  }

  async close(): Promise<void> {}
}

function setId(zone: string, name: string, type: string): string {
  return new SimulatedDnsRecordSet({ zone, name, type, ttl: 0, records: [] }).id;
}

function assertInZone(zone: string, name: string): void {
  if (name !== zone && !name.endsWith(`.${zone}`)) {
    throw new DnsError('DnsRejected', `${name} is not in zone ${zone}`);
  }
}
