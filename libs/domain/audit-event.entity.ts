import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * An append-only record of a change outside any one site: operators' changes to address pools,
 * and what the system found and did on its own (DNS drift, repairs). Site changes go to
 * `site_event` instead, except what only operators may know: their notes on a site (`target` is
 * the site's id) stay here, out of the log the site's admins read. Operators' exports of personal
 * data (the site admins' e-mail list) are recorded here too.
 */
@Entity({ tableName: 'audit_event' })
@Index({ properties: ['createdAt', 'id'] })
export class AuditEvent {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** A user id, or `system`. */
  @Property({ type: 'string', length: 200 })
  actor: string;

  /** Dotted verb, `address-pool.created`. */
  @Property({ type: 'string', length: 100 })
  action: string;

  /** What it concerns: a pool's name, a zone, a site's id. */
  @Property({ type: 'string', length: 253 })
  target: string;

  @Property({ type: 'string', length: 2000 })
  summary: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    actor: string;
    action: string;
    target: string;
    summary: string;
  }) {
    this.id = fields.id;
    this.actor = fields.actor;
    this.action = fields.action;
    this.target = fields.target;
    this.summary = fields.summary;
  }
}
