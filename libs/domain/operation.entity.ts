import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * `queued`: accepted, but not yet sent to its workflow; only OS upgrades wait so, for room under
 * BERTH_MAX_PENDING_UPGRADES (the `upgrade-queue` schedule sends them, oldest first).
 */
export const operationStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof operationStatuses)[number];
export const operationKinds = [
  'provision',
  'configure',
  'disable',
  'enable',
  'suspend',
  'unsuspend',
  'quarantine',
  'release-quarantine',
  'cancel',
  'revert-cancellation',
  'delete',
  'set-renewal',
  'power-on',
  'power-off',
  'reboot',
  'reset',
  'create-snapshot',
  'revert-snapshot',
  'delete-snapshot',
  // The test server (issue #8): cloned from production or from a nightly backup, swapped with it.
  'create-test-server',
  'restore-backup',
  'switch-test-server',
  'delete-test-server',
  'back-up',
  // OS upgrades: tried on the test server, approved by the site's admins, then done to production.
  'upgrade',
  'approve-upgrade',
  'cancel-upgrade',
  // Fleet operations (operators), on a host or a VM rather than a site.
  'evacuate-host',
  'return-host',
  'migrate-vm',
  'failover-host',
] as const;
export type OperationKind = (typeof operationKinds)[number];

/** A piece of work a user started, with progress they can follow. */
@Entity({ tableName: 'operation' })
@Unique({ properties: ['siteId', 'idempotencyKey'] })
// The upgrade queue counts running and queued upgrades on every request and run.
@Index({ properties: ['kind', 'status'] })
export class Operation {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  /** The site it works on; null for a fleet operation, which names its `target` instead. */
  @Index()
  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** A fleet operation's host or VM; null for a site's operations. */
  @Property({ type: 'string', length: 200, nullable: true })
  target: string | null = null;

  @Enum({ items: () => operationKinds, type: 'string', length: 30 })
  kind: OperationKind;

  @Property({ type: 'string', length: 200 })
  workflowId: string;

  @Enum({ items: () => operationStatuses, type: 'string', length: 20 })
  status: OperationStatus = 'running';

  /** 0 to 100. */
  @Property({ type: 'integer' })
  progress = 0;

  /** What the operation is doing now, in words. */
  @Property({ type: 'string', length: 200 })
  step = 'queued';

  /** Failure type and message when status is failed; never a stack or internals. */
  @Property({ type: 'string', length: 500, nullable: true })
  error: string | null = null;

  /** Who asked for it: a user id, or `system`. */
  @Property({ type: 'string', length: 200, default: 'system' })
  requestedBy = 'system';

  /**
   * The client's key for this request: the same key on the same site returns this operation
   * instead of starting another.
   */
  @Property({ type: 'string', length: 100, nullable: true })
  idempotencyKey: string | null = null;

  /** SHA-256 of the request, to refuse a reused idempotency key with different input. */
  @Property({ type: 'string', length: 64, nullable: true })
  requestFingerprint: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;

  constructor(fields: {
    id: string;
    siteId: string | null;
    target?: string | null;
    kind: OperationKind;
    workflowId: string;
    requestedBy?: string;
    idempotencyKey?: string | null;
    requestFingerprint?: string | null;
  }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.target = fields.target ?? null;
    this.kind = fields.kind;
    this.workflowId = fields.workflowId;
    this.requestedBy = fields.requestedBy ?? 'system';
    this.idempotencyKey = fields.idempotencyKey ?? null;
    this.requestFingerprint = fields.requestFingerprint ?? null;
  }
}
