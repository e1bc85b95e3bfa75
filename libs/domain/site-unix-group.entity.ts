import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A unix group a site's admins keep on the site's servers (MWS3's unix groups), with members
 * from the site's users. Runs create it next to the groups of directory groups holding a role;
 * a member who is no longer a site user, or a group whose name a user or a directory group has
 * taken since, is left out of a run rather than failing it.
 */
@Entity({ tableName: 'site_unix_group' })
@Unique({ properties: ['siteId', 'name'] })
export class SiteUnixGroup {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  /** A login-name-like group name (userIdPattern), no user's and no system group's. */
  @Property({ type: 'string', length: 32 })
  name: string;

  /** User ids, sorted, each once. */
  @Property({ type: 'json' })
  members: string[];

  @Property({ type: 'string', length: 200 })
  createdBy: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string;
    name: string;
    members: string[];
    createdBy: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.name = fields.name;
    this.members = fields.members;
    this.createdBy = fields.createdBy;
  }
}

/**
 * Groups a Debian 12 server has before any site does, and Berth's own: a site group of one of
 * these names would be refused by the access role at every run (ansible/README.md).
 */
export const reservedUnixGroupNames: readonly string[] = [
  'root',
  'daemon',
  'bin',
  'sys',
  'adm',
  'tty',
  'disk',
  'lp',
  'mail',
  'news',
  'uucp',
  'man',
  'proxy',
  'kmem',
  'dialout',
  'fax',
  'voice',
  'cdrom',
  'floppy',
  'tape',
  'sudo',
  'audio',
  'dip',
  'www-data',
  'backup',
  'operator',
  'list',
  'irc',
  'src',
  'shadow',
  'utmp',
  'video',
  'sasl',
  'plugdev',
  'staff',
  'games',
  'users',
  'nogroup',
  'crontab',
  'messagebus',
  'mysql',
  'ssl-cert',
  'input',
  'sgx',
  'kvm',
  'render',
  'netdev',
  'ssh',
  'systemd-journal',
  'systemd-network',
  'systemd-resolve',
  'systemd-timesync',
  'systemd-coredump',
  'prometheus',
  'site-admins',
];
