import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const siteRoleNames = ['admin', 'ssh-user'] as const;
export type SiteRoleName = (typeof siteRoleNames)[number];
export const roleSubjectTypes = ['user', 'group'] as const;
export type RoleSubjectType = (typeof roleSubjectTypes)[number];

/**
 * A role on one site, granted to a user or to a directory group: admins manage the site through
 * the API; ssh users only log in to its servers.
 */
@Entity({ tableName: 'site_role' })
@Unique({ properties: ['siteId', 'subjectType', 'subject', 'role'] })
@Index({ properties: ['subjectType', 'subject'] })
export class SiteRole {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  @Enum({ items: () => roleSubjectTypes, type: 'string', length: 10 })
  subjectType: RoleSubjectType;

  /** A user id or a group name, as the directory spells it. */
  @Property({ type: 'string', length: 200 })
  subject: string;

  @Enum({ items: () => siteRoleNames, type: 'string', length: 20 })
  role: SiteRoleName;

  @Property({ type: 'string', length: 200 })
  grantedBy: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string;
    subjectType: RoleSubjectType;
    subject: string;
    role: SiteRoleName;
    grantedBy: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.subjectType = fields.subjectType;
    this.subject = fields.subject;
    this.role = fields.role;
    this.grantedBy = fields.grantedBy;
  }
}
