import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** The key types users may log in with, named as `ssh-keygen -l` names them (lower case). */
export const sshKeyTypes = ['ed25519', 'ecdsa', 'rsa', 'ed25519-sk', 'ecdsa-sk'] as const;
export type SshKeyType = (typeof sshKeyTypes)[number];

/**
 * A public key a user logs in to their sites' servers with. It is checked when it is added (see
 * activities/keys/user-keys.ts) and stored normalised; each configuration run of a site writes
 * the keys of the site's users to their authorized_keys.
 */
@Entity({ tableName: 'ssh_key' })
@Unique({ properties: ['userId', 'fingerprint'] })
export class SshKey {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** The owner's directory uid. */
  @Index()
  @Property({ type: 'string', length: 200 })
  userId: string;

  @Enum({ items: () => sshKeyTypes, type: 'string', length: 20 })
  type: SshKeyType;

  /** The key's size as `ssh-keygen -l` prints it: the RSA modulus, the curve's, 256 for Ed25519. */
  @Property({ type: 'integer' })
  bits: number;

  /** `<algorithm> <base64 blob>`: no options, no comment. */
  @Property({ type: 'text' })
  publicKey: string;

  /** `SHA256:<unpadded base64>`, as `ssh-keygen -l` prints it. */
  @Property({ type: 'string', length: 60 })
  fingerprint: string;

  /** Printable text of at most 100 characters, or none. */
  @Property({ type: 'string', length: 100, nullable: true })
  comment: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  constructor(fields: {
    id: string;
    userId: string;
    type: SshKeyType;
    bits: number;
    publicKey: string;
    fingerprint: string;
    comment: string | null;
  }) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.type = fields.type;
    this.bits = fields.bits;
    this.publicKey = fields.publicKey;
    this.fingerprint = fields.fingerprint;
    this.comment = fields.comment;
  }
}
