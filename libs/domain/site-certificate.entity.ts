import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * A certificate's life:
 * - requested: Berth made the key and the CSR; the site's admins take the CSR to a CA.
 * - active: the CA's certificate was uploaded and checked; configuration runs install it.
 * - expired: it was active and its validity ended (the daily expiry check marks it); runs still
 *   install it until another replaces it, so the vhost keeps HTTPS, with a warning, rather than
 *   silently falling back to plain HTTP.
 * - replaced: another certificate for the same virtual host was uploaded after it.
 * Uploading again to any of them (a reissue for the same key) makes it active again.
 */
export const certificateStatuses = ['requested', 'active', 'expired', 'replaced'] as const;
export type CertificateStatus = (typeof certificateStatuses)[number];

/** The statuses whose certificate a configuration run installs: at most one per virtual host. */
export const installedCertificateStatuses: readonly CertificateStatus[] = ['active', 'expired'];

const allowed: Readonly<Record<CertificateStatus, readonly CertificateStatus[]>> = {
  requested: ['active'],
  active: ['active', 'expired', 'replaced'],
  expired: ['active', 'replaced'],
  replaced: ['active'],
};

export class IllegalCertificateTransitionError extends Error {
  constructor(
    readonly from: CertificateStatus,
    readonly to: CertificateStatus,
  ) {
    super(`a certificate cannot go from ${from} to ${to}`);
    this.name = 'IllegalCertificateTransitionError';
  }
}

/** Returns the new status, or throws IllegalCertificateTransitionError. */
export function transitionCertificate(
  from: CertificateStatus,
  to: CertificateStatus,
): CertificateStatus {
  if (!allowed[from].includes(to)) throw new IllegalCertificateTransitionError(from, to);
  return to;
}

/** What an accepted upload sets (libs/tls CheckedCertificate, less what is not stored). */
export interface UploadedCertificateFields {
  certificate: string;
  chain: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  issuer: string;
}

/**
 * A TLS certificate of one of a site's virtual hosts: the private key Berth made (sealed with
 * the deployment's at-rest key, bound to this row; it never leaves the server except to the
 * site's own server in a configuration run's secrets file), the CSR for the site's admins to take
 * to a CA, and the CA's certificate and chain once uploaded and checked.
 */
@Entity({ tableName: 'site_certificate' })
@Index({ properties: ['status', 'notAfter'] })
// One request waiting for its certificate per virtual host: `pendingVhost` is the vhost's name
// while requested and null after (nulls are distinct), so concurrent requests cannot both win.
@Unique({ properties: ['siteId', 'pendingVhost'] })
@Unique({ properties: ['siteId', 'idempotencyKey'] })
export class SiteCertificate {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  /**
   * The virtual host's row; null for the site's default virtual host (its server's host name).
   * A vhost removed and added again under the same name is another row, so an old certificate
   * never lands on it.
   */
  @Property({ type: 'string', length: 36, nullable: true })
  vhostId: string | null;

  /** The virtual host's name (`default` for the default one): the secrets file's key. */
  @Property({ type: 'string', length: 63 })
  vhostName: string;

  /** The names it was requested for, the CN's first; the certificate must cover each. */
  @Property({ type: 'json' })
  names: string[];

  /** PKCS #8 PEM sealed by activities/keys/secret-box.ts, context `certificateKeyContext(id)`. */
  @Property({ type: 'text', lazy: true, hidden: true })
  sealedKey: string;

  @Property({ type: 'text' })
  csr: string;

  @Property({ type: 'text', nullable: true })
  certificate: string | null = null;

  /** The issuers, in path order; empty when the certificate came without. */
  @Property({ type: 'text', nullable: true })
  chain: string | null = null;

  @Property({ type: 'string', length: 1000, nullable: true })
  issuer: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  notBefore: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  notAfter: Date | null = null;

  /** SHA-256 of the certificate's DER, lower-case hex. */
  @Property({ type: 'string', length: 64, nullable: true })
  fingerprint: string | null = null;

  @Enum({ items: () => certificateStatuses, type: 'string', length: 20 })
  status: CertificateStatus = 'requested';

  /** The vhost's name while requested, else null (see the unique constraint above). */
  @Property({ type: 'string', length: 63, nullable: true })
  pendingVhost: string | null;

  /** The request's idempotency key, if the client gave one. */
  @Property({ type: 'string', length: 100, nullable: true })
  idempotencyKey: string | null;

  @Property({ type: 'string', length: 200 })
  createdBy: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(fields: {
    id: string;
    siteId: string;
    vhostId: string | null;
    vhostName: string;
    names: string[];
    sealedKey: string;
    csr: string;
    createdBy: string;
    idempotencyKey?: string | null;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.vhostId = fields.vhostId;
    this.vhostName = fields.vhostName;
    this.names = fields.names;
    this.sealedKey = fields.sealedKey;
    this.csr = fields.csr;
    this.createdBy = fields.createdBy;
    this.idempotencyKey = fields.idempotencyKey ?? null;
    this.pendingVhost = fields.vhostName;
  }

  /** Takes an accepted upload: active, with its certificate, whatever it was before. */
  activate(uploaded: UploadedCertificateFields): void {
    this.status = transitionCertificate(this.status, 'active');
    this.certificate = uploaded.certificate;
    this.chain = uploaded.chain;
    this.notBefore = uploaded.notBefore;
    this.notAfter = uploaded.notAfter;
    this.fingerprint = uploaded.fingerprint;
    this.issuer = uploaded.issuer.slice(0, 1000);
    this.pendingVhost = null;
  }

  /** Another certificate of its vhost was activated. */
  replace(): void {
    this.status = transitionCertificate(this.status, 'replaced');
  }

  /** Its validity ended (the daily expiry check). */
  expire(): void {
    this.status = transitionCertificate(this.status, 'expired');
  }
}

/** The at-rest sealing context of a certificate's key: it opens for this row only. */
export function certificateKeyContext(certificateId: string): string {
  return `site-certificate/${certificateId}/key`;
}
