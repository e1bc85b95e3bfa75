import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A machine of the simulated hypervisor. Kept in Berth's database so that, like a real
 * hypervisor's, it outlives the worker that created it.
 */
@Entity({ tableName: 'simulated_vm' })
export class SimulatedVm {
  /** The Berth VM id: the key that makes creation idempotent. */
  @PrimaryKey({ type: 'string', length: 36 })
  vmId: string;

  @Property({ type: 'string', length: 60 })
  ref: string;

  @Property({ type: 'string', length: 253 })
  hostname: string;

  @Property({ type: 'string', length: 15 })
  ipv4: string;

  @Property({ type: 'string', length: 39 })
  ipv6: string;

  /** The simulated host it runs on (see simulatedHosts). */
  @Property({ type: 'string', length: 60, default: 'sim-host-1' })
  host: string = 'sim-host-1';

  @Property({ type: 'integer' })
  cpus: number;

  @Property({ type: 'integer' })
  memoryMb: number;

  @Property({ type: 'integer' })
  diskGb: number;

  @Enum({ items: ['poweredOn', 'poweredOff'], type: 'string', length: 12 })
  powerState: 'poweredOn' | 'poweredOff' = 'poweredOn';

  @Enum({ items: ['installing', 'installed'], type: 'string', length: 12 })
  installState: 'installing' | 'installed' = 'installing';

  @Property({ type: 'string', length: 500 })
  callbackUrl: string;

  /** The guest's copy of its callback secret, as guestinfo would hold it. */
  @Property({ type: 'string', length: 100, hidden: true })
  callbackToken: string;

  /** The VM whose disks this one's are a copy of, when it is a clone (the OS came with them). */
  @Property({ type: 'string', length: 36, nullable: true })
  clonedFrom: string | null = null;

  /** The source's snapshot the copy was taken at; null for the source as it was then. */
  @Property({ type: 'string', length: 80, nullable: true })
  clonedSnapshot: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    vmId: string;
    ref: string;
    hostname: string;
    ipv4: string;
    ipv6: string;
    cpus: number;
    memoryMb: number;
    diskGb: number;
    callbackUrl: string;
    callbackToken: string;
    host?: string;
    /** Where a clone's disks come from; a clone's OS is there already, so it is installed. */
    clonedFrom?: { vmId: string; snapshot: string | null };
  }) {
    this.vmId = fields.vmId;
    this.ref = fields.ref;
    this.hostname = fields.hostname;
    this.ipv4 = fields.ipv4;
    this.ipv6 = fields.ipv6;
    this.cpus = fields.cpus;
    this.memoryMb = fields.memoryMb;
    this.diskGb = fields.diskGb;
    this.callbackUrl = fields.callbackUrl;
    this.callbackToken = fields.callbackToken;
    if (fields.host) this.host = fields.host;
    if (fields.clonedFrom) {
      this.clonedFrom = fields.clonedFrom.vmId;
      this.clonedSnapshot = fields.clonedFrom.snapshot;
      this.installState = 'installed';
    }
  }
}
