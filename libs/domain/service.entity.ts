import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const serviceKinds = ['production', 'test'] as const;
export type ServiceKind = (typeof serviceKinds)[number];

/**
 * One of a site's two web servers: production, and the test server cloned from it (issue #8).
 * The VM behind a service can change (an upgrade swaps test and production) while the service,
 * and what users reach through it, stays.
 */
@Entity({ tableName: 'service' })
@Unique({ properties: ['siteId', 'kind'] })
export class Service {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  @Enum({ items: () => serviceKinds, type: 'string', length: 20 })
  kind: ServiceKind;

  /** The VM serving it now, if any. */
  @Property({ type: 'string', length: 36, nullable: true })
  vmId: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: { id: string; siteId: string; kind: ServiceKind; vmId?: string | null }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.kind = fields.kind;
    this.vmId = fields.vmId ?? null;
  }
}
