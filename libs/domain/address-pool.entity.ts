import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { type AddressFamily } from '../network/addresses';

export const addressFamilies = ['ipv4', 'ipv6'] as const satisfies readonly AddressFamily[];

/** Addresses an operator keeps out of allocation, first to last inclusive. */
export interface ReservedRange {
  first: string;
  last: string;
}

/**
 * A range of addresses servers get theirs from, kept by operators (MWS3 pre-registered them with
 * the IP register). A server takes one IPv4 and one IPv6 address, each from the enabled pool of
 * its family with the lowest `priority` that has one free.
 */
@Entity({ tableName: 'address_pool' })
export class AddressPool {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Unique()
  @Property({ type: 'string', length: 63 })
  name: string;

  @Enum({ items: () => addressFamilies, type: 'string', length: 4 })
  family: AddressFamily;

  /** The network, host bits zero (`192.0.2.0/24`). */
  @Unique()
  @Property({ type: 'string', length: 43 })
  cidr: string;

  /** The servers' default route; never handed out. */
  @Property({ type: 'string', length: 39, nullable: true })
  gateway: string | null;

  @Property({ type: 'json' })
  reserved: ReservedRange[];

  /** Where the pool's PTR records live, derived from the CIDR. */
  @Property({ type: 'string', length: 100 })
  reverseZone: string;

  /** Pools of a family are tried lowest first; ties by name. */
  @Property({ type: 'integer' })
  priority: number;

  /** A disabled pool hands out nothing new; its servers keep their addresses. */
  @Property({ type: 'boolean' })
  enabled: boolean;

  /**
   * Bumped by every allocation from the pool. The UPDATE that bumps it is an allocation's first
   * statement, so allocations from one pool queue behind each other's transactions (a row lock
   * on PostgreSQL, the write lock on SQLite) instead of reading the same free address.
   */
  @Property({ type: 'integer' })
  allocations = 0;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(fields: {
    id: string;
    name: string;
    family: AddressFamily;
    cidr: string;
    gateway: string | null;
    reserved: ReservedRange[];
    reverseZone: string;
    priority: number;
    enabled: boolean;
  }) {
    this.id = fields.id;
    this.name = fields.name;
    this.family = fields.family;
    this.cidr = fields.cidr;
    this.gateway = fields.gateway;
    this.reserved = fields.reserved;
    this.reverseZone = fields.reverseZone;
    this.priority = fields.priority;
    this.enabled = fields.enabled;
  }
}
