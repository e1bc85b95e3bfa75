import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A server's host name and addresses. Every column that must not be handed out twice carries a
 * unique constraint, so concurrent allocations are settled by the database, not by reads.
 */
@Entity({ tableName: 'network_config' })
export class NetworkConfig {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** One allocation per VM: a retried allocation finds this row. */
  @Unique()
  @Property({ type: 'string', length: 36 })
  vmId: string;

  /** Unset while its VM waits in the warm pool. */
  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** Position in the pools; the addresses and the default host name derive from it. */
  @Unique()
  @Property({ type: 'integer' })
  slot: number;

  @Unique()
  @Property({ type: 'string', length: 253 })
  hostname: string;

  @Unique()
  @Property({ type: 'string', length: 15 })
  ipv4: string;

  @Unique()
  @Property({ type: 'string', length: 39 })
  ipv6: string;

  @Property({ type: 'datetime' })
  allocatedAt: Date = new Date();

  constructor(fields: {
    id: string;
    vmId: string;
    siteId: string | null;
    slot: number;
    hostname: string;
    ipv4: string;
    ipv6: string;
  }) {
    this.id = fields.id;
    this.vmId = fields.vmId;
    this.siteId = fields.siteId;
    this.slot = fields.slot;
    this.hostname = fields.hostname;
    this.ipv4 = fields.ipv4;
    this.ipv6 = fields.ipv6;
  }
}
