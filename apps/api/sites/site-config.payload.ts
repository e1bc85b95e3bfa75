import { createUnionType, ObjectType } from '@nestjs/graphql';
import {
  DomainNotApprovedError,
  DomainNotFoundError,
  DomainReservedError,
  DomainTakenError,
} from '../domains/domain-name.payload';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import { PackageNotAllowedError, PackageNotFoundError } from '../packages/package.payload';
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
  constructor(message: string, field: 'name' | 'vhost' = 'name') {
    super();
    Object.assign(this, { code: 'VHOST_NOT_FOUND', message, field });
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
  description: 'The directory has no group of that name',
})
export class GroupNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'GROUP_NOT_FOUND', message, field: 'group' });
  }
}

@ObjectType('TooManyAliasesError', { implements: () => [UserError] })
export class TooManyAliasesError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'TOO_MANY_ALIASES', message, field: 'name' });
  }
}

@ObjectType('UnixGroupNameTakenError', {
  implements: () => [UserError],
  description:
    "The name is a site user's, a role-holding directory group's, or a group every server has",
})
export class UnixGroupNameTakenError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'UNIX_GROUP_NAME_TAKEN', message, field: 'name' });
  }
}

@ObjectType('UnixGroupMemberUnknownError', {
  implements: () => [UserError],
  description: "A member is not one of the site's users (directly or through a directory group)",
})
export class UnixGroupMemberUnknownError extends UserError {
  constructor(message: string, field: string) {
    super();
    Object.assign(this, { code: 'UNIX_GROUP_MEMBER_UNKNOWN', message, field });
  }
}

@ObjectType('UnixGroupNotFoundError', { implements: () => [UserError] })
export class UnixGroupNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'UNIX_GROUP_NOT_FOUND', message, field: 'name' });
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
      DomainTakenError,
      DomainReservedError,
      DomainNotFoundError,
      DomainNotApprovedError,
      TooManyAliasesError,
      PackageNotAllowedError,
      PackageNotFoundError,
      UnixGroupNameTakenError,
      UnixGroupMemberUnknownError,
      UnixGroupNotFoundError,
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
  | GroupNotFoundError
  | DomainTakenError
  | DomainReservedError
  | DomainNotFoundError
  | DomainNotApprovedError
  | TooManyAliasesError
  | PackageNotAllowedError
  | PackageNotFoundError
  | UnixGroupNameTakenError
  | UnixGroupMemberUnknownError
  | UnixGroupNotFoundError;
