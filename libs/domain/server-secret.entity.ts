import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A secret of one server that Berth chose and must keep (its database root password after a
 * reset), sealed with the deployment's at-rest key (activities/keys/secret-box.ts) for the
 * server and the secret's name, so the table alone opens nothing.
 */
@Entity({ tableName: 'server_secret' })
export class ServerSecret {
  @PrimaryKey({ type: 'string', length: 36 })
  vmId: string;

  /** `database-root-password`. */
  @PrimaryKey({ type: 'string', length: 60 })
  name: string;

  /**
   * `v1.<iv>.<ciphertext>.<tag>`; never leaves the worker and the api unopened. Empty while the
   * server still has the password derived for it and a first reset waits in `pending`.
   */
  @Property({ type: 'text', hidden: true })
  sealed: string;

  /**
   * A new value that waits for a configuration run to set it on the server, sealed like `sealed`
   * (the value the server has); the run then makes it `sealed`. A reset the site's workflow
   * refuses takes back its own pending value only, so two resets at once never leave the
   * database believing in a password the server does not have.
   */
  @Property({ type: 'text', nullable: true, hidden: true })
  pending: string | null = null;

  @Property({ type: 'string', length: 200 })
  updatedBy: string;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();

  constructor(fields: { vmId: string; name: string; sealed: string; updatedBy: string }) {
    this.vmId = fields.vmId;
    this.name = fields.name;
    this.sealed = fields.sealed;
    this.updatedBy = fields.updatedBy;
  }
}
