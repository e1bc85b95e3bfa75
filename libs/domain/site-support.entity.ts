import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** How long an operator's support of a site lasts unless they ask for another length (MWS3: 1 h). */
export const defaultSupportMinutes = 60;
/** The shortest support: less would end before the run that lets the operator in had finished. */
export const minSupportMinutes = 5;
/** The longest support an operator may ask for at once; they may ask again. */
export const maxSupportMinutes = 8 * 60;

/**
 * An operator let into a site's servers for a while, to help its admins (MWS3's supporters): the
 * next configuration run gives them an admin account there, and once `until` has passed the
 * `site-support-expiry` schedule removes the row and runs the configuration again, which takes the
 * account away. Their powers in the api are an operator's anyway; this is about the servers only,
 * so site roles (and the site's last-admin rule, and its notifications) know nothing of it.
 */
@Entity({ tableName: 'site_support' })
@Unique({ properties: ['siteId', 'userId'] })
// The expiry sweep reads the rows whose time is up.
@Index({ properties: ['until'] })
export class SiteSupport {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** The operator's user id, as the directory spells it. */
  @Property({ type: 'string', length: 200 })
  userId: string;

  /** When the access ends. */
  @Property({ type: 'datetime' })
  until: Date;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: { id: string; siteId: string; userId: string; until: Date }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.userId = fields.userId;
    this.until = fields.until;
  }
}
