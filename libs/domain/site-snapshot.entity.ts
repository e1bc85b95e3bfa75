import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A snapshot of a site's server that its admins took (MWS3's custom snapshots): the hypervisor
 * holds it, this row says whose it is and when it was taken. Written once the hypervisor has it,
 * removed once the hypervisor has let it go.
 */
@Entity({ tableName: 'site_snapshot' })
@Unique({ properties: ['siteId', 'name'] })
export class SiteSnapshot {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** The server it was taken of. */
  @Property({ type: 'string', length: 36 })
  vmId: string;

  /** Lower-case slug, at most 50 characters; also its name on the hypervisor. */
  @Property({ type: 'string', length: 50 })
  name: string;

  @Property({ type: 'string', length: 200 })
  createdBy: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string;
    vmId: string;
    name: string;
    createdBy: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.vmId = fields.vmId;
    this.name = fields.name;
    this.createdBy = fields.createdBy;
  }
}
