import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A nightly backup of one of a site's servers: a hypervisor snapshot named by its UTC date
 * (backup-retention.ts). Written once the hypervisor has it, removed once retention or the
 * server's destruction has let it go. Backups belong to a server, so one date may exist for two
 * of a site's servers (before and after a switch to its test server, say).
 */
@Entity({ tableName: 'site_backup' })
@Unique({ properties: ['siteId', 'vmId', 'name'] })
export class SiteBackup {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** The server it is a snapshot of. */
  @Property({ type: 'string', length: 36 })
  vmId: string;

  /** `YYYY-MM-DD`, the UTC date it was due; also its name on the hypervisor. */
  @Property({ type: 'string', length: 10 })
  name: string;

  @Property({ type: 'datetime' })
  takenAt: Date;

  constructor(fields: { id: string; siteId: string; vmId: string; name: string; takenAt: Date }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.vmId = fields.vmId;
    this.name = fields.name;
    this.takenAt = fields.takenAt;
  }
}
