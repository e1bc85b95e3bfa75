import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A system package that operators allow sites' admins to have installed on their servers (MWS3's
 * PHP library catalogue, any Debian package here). Only names on this list reach a server: a
 * package taken off it stays on the sites that have it, but their runs no longer install it.
 */
@Entity({ tableName: 'allowed_package' })
export class AllowedPackage {
  /** A Debian package name (debianPackagePattern). */
  @PrimaryKey({ type: 'string', length: 100 })
  name: string;

  /** What it is for, shown to sites' admins. */
  @Property({ type: 'string', length: 200 })
  description: string;

  @Property({ type: 'string', length: 200 })
  allowedBy: string;

  @Property({ type: 'datetime' })
  allowedAt: Date = new Date();

  constructor(fields: { name: string; description: string; allowedBy: string }) {
    this.name = fields.name;
    this.description = fields.description;
    this.allowedBy = fields.allowedBy;
  }
}
