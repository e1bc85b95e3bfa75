import { BigIntType, Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const networkConfigStates = ['allocated', 'held'] as const;
export type NetworkConfigState = (typeof networkConfigStates)[number];

/**
 * A server's host name and addresses: one row per VM, from allocation until the hold after its
 * release ends. Every column that must not be handed out twice carries a unique constraint, so
 * the database, not a read, has the last word on who holds what; a held row keeps its name and
 * addresses out of allocation until `holdUntil`.
 */
@Entity({ tableName: 'network_config' })
@Unique({ properties: ['ipv4PoolId', 'ipv4Offset'] })
@Unique({ properties: ['ipv6PoolId', 'ipv6Offset'] })
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

  @Enum({ items: () => networkConfigStates, type: 'string', length: 10 })
  state: NetworkConfigState = 'allocated';

  /** The n of a name made from BERTH_HOSTNAME_PATTERN; null for a name the requester chose. */
  @Unique()
  @Property({ type: 'integer', nullable: true })
  hostNumber: number | null;

  @Unique()
  @Property({ type: 'string', length: 253 })
  hostname: string;

  @Property({ type: 'string', length: 36, fieldName: 'ipv4_pool_id' })
  ipv4PoolId: string;

  /** The address's distance from its pool's network address. */
  @Property({ type: new BigIntType('number'), fieldName: 'ipv4_offset' })
  ipv4Offset: number;

  @Unique()
  @Property({ type: 'string', length: 15 })
  ipv4: string;

  @Property({ type: 'string', length: 36, fieldName: 'ipv6_pool_id' })
  ipv6PoolId: string;

  @Property({ type: new BigIntType('number'), fieldName: 'ipv6_offset' })
  ipv6Offset: number;

  @Unique()
  @Property({ type: 'string', length: 39 })
  ipv6: string;

  @Property({ type: 'datetime' })
  allocatedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  releasedAt: Date | null = null;

  /** When a held row's name and addresses may be handed out again. */
  @Index()
  @Property({ type: 'datetime', nullable: true })
  holdUntil: Date | null = null;

  constructor(fields: {
    id: string;
    vmId: string;
    siteId: string | null;
    hostNumber: number | null;
    hostname: string;
    ipv4PoolId: string;
    ipv4Offset: number;
    ipv4: string;
    ipv6PoolId: string;
    ipv6Offset: number;
    ipv6: string;
  }) {
    this.id = fields.id;
    this.vmId = fields.vmId;
    this.siteId = fields.siteId;
    this.hostNumber = fields.hostNumber;
    this.hostname = fields.hostname;
    this.ipv4PoolId = fields.ipv4PoolId;
    this.ipv4Offset = fields.ipv4Offset;
    this.ipv4 = fields.ipv4;
    this.ipv6PoolId = fields.ipv6PoolId;
    this.ipv6Offset = fields.ipv6Offset;
    this.ipv6 = fields.ipv6;
  }
}
