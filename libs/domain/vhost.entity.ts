import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A virtual host a site's admins added: a name (one DNS label, which also names its web root),
 * the domain it answers as and its aliases. Every site also has the implicit `default` virtual
 * host for its server's host name, which cannot be removed.
 */
@Entity({ tableName: 'vhost' })
@Unique({ properties: ['siteId', 'name'] })
export class Vhost {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** One lower-case DNS label; the web root is `/var/www/<name>`. */
  @Property({ type: 'string', length: 63 })
  name: string;

  /** The domain name it answers as (Apache's ServerName). */
  @Property({ type: 'string', length: 253 })
  serverName: string;

  /** Further domain names (ServerAlias). */
  @Property({ type: 'json' })
  aliases: string[];

  @Property({ type: 'string', length: 200 })
  createdBy: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string;
    name: string;
    serverName: string;
    aliases: string[];
    createdBy: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.name = fields.name;
    this.serverName = fields.serverName;
    this.aliases = fields.aliases;
    this.createdBy = fields.createdBy;
  }
}
