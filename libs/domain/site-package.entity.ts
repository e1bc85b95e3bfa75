import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A package from the allow-list that a site's admins want on the site's servers. */
@Entity({ tableName: 'site_package' })
@Unique({ properties: ['siteId', 'name'] })
export class SitePackage {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  @Property({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'string', length: 200 })
  addedBy: string;

  @Property({ type: 'datetime' })
  addedAt: Date = new Date();

  constructor(fields: { id: string; siteId: string; name: string; addedBy: string }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.name = fields.name;
    this.addedBy = fields.addedBy;
  }
}
