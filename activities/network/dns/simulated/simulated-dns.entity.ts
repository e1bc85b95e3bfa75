import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** A zone of the simulated DNS server. */
@Entity({ tableName: 'simulated_dns_zone' })
export class SimulatedDnsZone {
  @PrimaryKey({ type: 'string', length: 253 })
  name: string;

  @Property({ type: 'boolean' })
  dnssec: boolean;

  constructor(name: string, dnssec: boolean) {
    this.name = name;
    this.dnssec = dnssec;
  }
}

/** One record set of the simulated DNS server: a name and type in a zone, and its contents. */
@Entity({ tableName: 'simulated_dns_record_set' })
export class SimulatedDnsRecordSet {
  /** `<zone> <name> <type>`: a set is replaced in place. */
  @PrimaryKey({ type: 'string', length: 520 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 253 })
  zone: string;

  @Property({ type: 'string', length: 253 })
  name: string;

  @Property({ type: 'string', length: 10 })
  type: string;

  @Property({ type: 'integer' })
  ttl: number;

  @Property({ type: 'json' })
  records: string[];

  constructor(fields: {
    zone: string;
    name: string;
    type: string;
    ttl: number;
    records: string[];
  }) {
    this.id = `${fields.zone} ${fields.name} ${fields.type}`;
    this.zone = fields.zone;
    this.name = fields.name;
    this.type = fields.type;
    this.ttl = fields.ttl;
    this.records = fields.records;
  }
}
