import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** `pooled`: built, configured and powered off in the warm pool, waiting for a site to claim it. */
export const vmStatuses = [
  'creating',
  'installing',
  'installed',
  'configuring',
  'ready',
  'pooled',
] as const;
export type VmStatus = (typeof vmStatuses)[number];

/** A virtual machine serving one of a site's services. */
@Entity({ tableName: 'vm' })
export class Vm {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** Unset while the VM waits in the warm pool. */
  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** The OS image it was built from; the warm pool keeps a number of VMs per image. */
  @Index()
  @Property({ type: 'string', length: 40, default: 'debian-12' })
  image = 'debian-12';

  @Enum({ items: ['production', 'test'], type: 'string', length: 20 })
  service: 'production' | 'test' = 'production';

  @Enum({ items: () => vmStatuses, type: 'string', length: 20 })
  status: VmStatus = 'creating';

  @Enum({ items: ['poweredOn', 'poweredOff'], type: 'string', length: 12, default: 'poweredOn' })
  powerState: 'poweredOn' | 'poweredOff' = 'poweredOn';

  /** The hypervisor host it runs on, as last seen (placement, migration, failover). */
  @Property({ type: 'string', length: 200, nullable: true })
  host: string | null = null;

  /** The hypervisor's own reference (a managed object id, a Xen uuid...). */
  @Property({ type: 'string', length: 200, nullable: true })
  hypervisorRef: string | null = null;

  @Property({ type: 'integer' })
  cpus: number;

  @Property({ type: 'integer' })
  memoryMb: number;

  @Property({ type: 'integer' })
  diskGb: number;

  /** Set once the server's installer has called back. */
  @Property({ type: 'datetime', nullable: true })
  installedAt: Date | null = null;

  /**
   * Temporal task token of the activity waiting for the install callback. It lets the holder
   * complete that activity, so it is never serialised.
   */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true })
  installTaskToken: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string | null;
    cpus: number;
    memoryMb: number;
    diskGb: number;
    image?: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.image = fields.image ?? 'debian-12';
    this.cpus = fields.cpus;
    this.memoryMb = fields.memoryMb;
    this.diskGb = fields.diskGb;
  }
}
