import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export const hostKeyTypes = ['rsa', 'ecdsa', 'ed25519'] as const;
export type HostKeyType = (typeof hostKeyTypes)[number];

/**
 * An SSH host key made for a server before it exists, so that its SSHFP records are in signed DNS
 * before the server first answers. The private half is sealed (AES-256-GCM, bound to this VM and
 * type) with a key derived from BERTH_SECRET_KEY.
 */
@Entity({ tableName: 'host_key' })
@Unique({ properties: ['vmId', 'type'] })
export class HostKey {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  vmId: string;

  @Enum({ items: () => hostKeyTypes, type: 'string', length: 10 })
  type: HostKeyType;

  /** One OpenSSH line, `<algorithm> <base64>`. */
  @Property({ type: 'text' })
  publicKey: string;

  /** `SHA256:<base64>`, as `ssh-keygen -l` prints it. */
  @Property({ type: 'string', length: 60 })
  fingerprint: string;

  @Property({ type: 'text', lazy: true })
  sealedPrivateKey: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** When the server fetched its keys; null until then. */
  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Date | null = null;

  constructor(fields: {
    id: string;
    vmId: string;
    type: HostKeyType;
    publicKey: string;
    fingerprint: string;
    sealedPrivateKey: string;
  }) {
    this.id = fields.id;
    this.vmId = fields.vmId;
    this.type = fields.type;
    this.publicKey = fields.publicKey;
    this.fingerprint = fields.fingerprint;
    this.sealedPrivateKey = fields.sealedPrivateKey;
  }
}
