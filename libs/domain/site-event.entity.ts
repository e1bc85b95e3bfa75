import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * The append-only audit log of a site: who did what, and which workflow run did it. The database
 * refuses UPDATE and DELETE on this table (see the initial migration).
 */
@Entity({ tableName: 'site_event' })
@Index({ properties: ['siteId', 'id'] })
export class SiteEvent {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'string', length: 36 })
  siteId: string;

  @Property({ type: 'datetime' })
  at: Date = new Date();

  /** A user id, or `system` for work the platform did on its own. */
  @Property({ type: 'string', length: 200 })
  actor: string;

  /** Dotted verb, e.g. `site.requested`, `vm.created`. */
  @Property({ type: 'string', length: 60 })
  action: string;

  @Property({ type: 'string', length: 500 })
  summary: string;

  @Property({ type: 'string', length: 200, nullable: true })
  workflowId: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  runId: string | null = null;

  /**
   * For events written by activities: `<runId>/<activityId>`, so a retried activity does not
   * append the same event twice.
   */
  @Unique()
  @Property({ type: 'string', length: 200, nullable: true })
  dedupeKey: string | null = null;

  constructor(fields: {
    siteId: string;
    actor: string;
    action: string;
    summary: string;
    workflowId?: string | null;
    runId?: string | null;
    dedupeKey?: string | null;
  }) {
    this.siteId = fields.siteId;
    this.actor = fields.actor;
    this.action = fields.action;
    this.summary = fields.summary;
    this.workflowId = fields.workflowId ?? null;
    this.runId = fields.runId ?? null;
    this.dedupeKey = fields.dedupeKey ?? null;
  }
}

/**
 * The dedupe key of a site's `site.requested` event, which says its request was made and its
 * workflow started (written by the api, or by the site-request repair).
 */
export function requestEventKey(siteId: string): string {
  return `request/${siteId}`;
}
