import { createUnionType, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
} from './change-site.payload';

@ObjectType('VhostExistsError', { implements: () => [UserError] })
export class VhostExistsError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'VHOST_EXISTS', message, field: 'name' });
  }
}

@ObjectType('VhostNotFoundError', { implements: () => [UserError] })
export class VhostNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'VHOST_NOT_FOUND', message, field: 'name' });
  }
}

@ObjectType('RoleNotFoundError', { implements: () => [UserError] })
export class RoleNotFoundError extends UserError {
  constructor(message: string, field: 'user' | 'group' = 'user') {
    super();
    Object.assign(this, { code: 'ROLE_NOT_FOUND', message, field });
  }
}

@ObjectType('LastAdminError', {
  implements: () => [UserError],
  description: 'A site keeps at least one admin; grant another first',
})
export class LastAdminError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'LAST_ADMIN', message, field: 'user' });
  }
}

@ObjectType('GroupNotFoundError', {
  implements: () => [UserError],
  description: 'The directory has no group of that name with members',
})
export class GroupNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'GROUP_NOT_FOUND', message, field: 'group' });
  }
}

export const SiteConfigResult = createUnionType({
  name: 'SiteConfigResult',
  types: () =>
    [
      SiteOperationPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      VhostExistsError,
      VhostNotFoundError,
      RoleNotFoundError,
      LastAdminError,
      GroupNotFoundError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type SiteConfigResult =
  | SiteOperationPayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | VhostExistsError
  | VhostNotFoundError
  | RoleNotFoundError
  | LastAdminError
  | GroupNotFoundError;
