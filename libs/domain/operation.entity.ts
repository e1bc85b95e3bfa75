import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

export const operationStatuses = ['running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof operationStatuses)[number];
export const operationKinds = ['provision'] as const;
export type OperationKind = (typeof operationKinds)[number];

/** A piece of work a user started, with progress they can follow. */
@Entity({ tableName: 'operation' })
export class Operation {
  @PrimaryKey({ type: 'string', length: 36 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  siteId: string;

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

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;

  constructor(fields: { id: string; siteId: string; kind: OperationKind; workflowId: string }) {
    this.id = fields.id;
    this.siteId = fields.siteId;
    this.kind = fields.kind;
    this.workflowId = fields.workflowId;
  }
}
