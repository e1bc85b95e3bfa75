import { createUnionType, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
} from '../sites/change-site.payload';

@ObjectType('SnapshotLimitError', {
  implements: () => [UserError],
  description: 'The site keeps as many snapshots as it may; delete one first',
})
export class SnapshotLimitError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SNAPSHOT_LIMIT', message, field: null });
  }
}

@ObjectType('SnapshotExistsError', { implements: () => [UserError] })
export class SnapshotExistsError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SNAPSHOT_EXISTS', message, field: 'name' });
  }
}

@ObjectType('SnapshotNotFoundError', { implements: () => [UserError] })
export class SnapshotNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SNAPSHOT_NOT_FOUND', message, field: 'name' });
  }
}

export const SnapshotResult = createUnionType({
  name: 'SnapshotResult',
  types: () =>
    [
      SiteOperationPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      SnapshotLimitError,
      SnapshotExistsError,
      SnapshotNotFoundError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type SnapshotResult =
  | SiteOperationPayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | SnapshotLimitError
  | SnapshotExistsError
  | SnapshotNotFoundError;
