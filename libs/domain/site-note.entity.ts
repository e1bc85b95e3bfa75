import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The longest note body. A deleted note's body is kept in its audit event (2000 characters), so
 * the limit leaves room there for who wrote it and on which site.
 */
export const maxSiteNoteLength = 1500;

/**
 * An operator's note on a site ("customer asked for a late renewal, see ticket 123"). Operators
 * alone read and write notes; their audit trail is `audit_event`, not the site's own log, which
 * the site's admins read.
 */
@Entity({ tableName: 'site_note' })
// A site's notes are read newest first.
@Index({ properties: ['siteId', 'createdAt'] })
export class SiteNote {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** The operator's user id. */
  @Property({ type: 'string', length: 200 })
  author: string;

  @Property({ type: 'text' })
  body: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: { id: string; siteId: string; author: string; body: string }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.author = fields.author;
    this.body = fields.body;
  }
}
