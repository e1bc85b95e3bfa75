import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

export const domainNameStatuses = ['approved', 'pending', 'rejected'] as const;
export type DomainNameStatus = (typeof domainNameStatuses)[number];
export type DomainNameDecision = Exclude<DomainNameStatus, 'pending'>;

/** The longest reason an operator may give for a rejection. */
export const maxRejectionReasonLength = 500;

/** A decision on a name that was decided already: only a pending name is approved or rejected. */
export class DomainNameAlreadyDecidedError extends Error {
  constructor(readonly status: DomainNameDecision) {
    super(`the name was ${status} already`);
    this.name = 'DomainNameAlreadyDecidedError';
  }
}

/**
 * A domain name one of a site's virtual hosts answers as (its server name or an alias), and
 * whether it may be served: names inside the organisation's zones are approved when they are
 * added; any other name is pending until an operator approves or rejects it. A configuration run
 * serves approved names only. A name belongs to one virtual host of one site at a time (the
 * unique constraint settles concurrent claims); removing it from its virtual host frees it.
 */
@Entity({ tableName: 'domain_name' })
// The operators' queue: pending names, oldest first.
@Index({ properties: ['status', 'requestedAt'] })
export class DomainName {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  vhostId: string;

  /** Lower case, no trailing dot: as the API validated it. */
  @Property({ type: 'string', length: 253, unique: true })
  name: string;

  @Enum({ items: () => domainNameStatuses, type: 'string', length: 10 })
  status: DomainNameStatus;

  @Property({ type: 'string', length: 200 })
  requestedBy: string;

  @Property({ type: 'datetime' })
  requestedAt: Date = new Date();

  /** The operator who decided, or `system` for a name approved because of its zone. */
  @Property({ type: 'string', length: 200, nullable: true })
  decidedBy: string | null = null;

  @Property({ type: 'datetime', nullable: true })
  decidedAt: Date | null = null;

  /** Why it was rejected (shown to the site's admins). */
  @Property({ type: 'string', length: maxRejectionReasonLength, nullable: true })
  reason: string | null = null;

  constructor(fields: {
    id: string;
    siteId: string;
    vhostId: string;
    name: string;
    status: 'approved' | 'pending';
    requestedBy: string;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.vhostId = fields.vhostId;
    this.name = fields.name;
    this.status = fields.status;
    this.requestedBy = fields.requestedBy;
    if (fields.status === 'approved') {
      this.decidedBy = 'system';
      this.decidedAt = this.requestedAt;
    }
  }

  /**
   * The one way a name's status changes: a pending name is approved or rejected, once. Returns
   * the changed fields, so that a caller can also write them with a guarded update (`where status
   * = 'pending'`) that a concurrent decision cannot slip past.
   */
  decide(
    decision: DomainNameDecision,
    by: string,
    reason: string | null = null,
  ): Pick<DomainName, 'status' | 'decidedBy' | 'decidedAt' | 'reason'> {
    if (this.status !== 'pending') throw new DomainNameAlreadyDecidedError(this.status);
    const change = {
      status: decision,
      decidedBy: by,
      decidedAt: new Date(),
      reason: decision === 'rejected' ? reason : null,
    };
    Object.assign(this, change);
    return change;
  }
}
