import { createUnionType, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
} from '../sites/change-site.payload';

@ObjectType('TestServerExistsError', {
  implements: () => [UserError],
  description: 'The site has a test server already; delete it first',
})
export class TestServerExistsError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'TEST_SERVER_EXISTS', message, field: null });
  }
}

@ObjectType('NoTestServerError', { implements: () => [UserError] })
export class NoTestServerError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'NO_TEST_SERVER', message, field: null });
  }
}

@ObjectType('BackupNotFoundError', { implements: () => [UserError] })
export class BackupNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'BACKUP_NOT_FOUND', message, field: 'date' });
  }
}

@ObjectType('UpgradeNotDueError', {
  implements: () => [UserError],
  description: 'The site’s server runs an OS image with no upgrade configured',
})
export class UpgradeNotDueError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'UPGRADE_NOT_DUE', message, field: null });
  }
}

export const TestServerResult = createUnionType({
  name: 'TestServerResult',
  types: () =>
    [
      SiteOperationPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      TestServerExistsError,
      NoTestServerError,
      BackupNotFoundError,
      UpgradeNotDueError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type TestServerResult =
  | SiteOperationPayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | TestServerExistsError
  | NoTestServerError
  | BackupNotFoundError
  | UpgradeNotDueError;
