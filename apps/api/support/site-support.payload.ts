import { createUnionType, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
} from '../sites/change-site.payload';

@ObjectType('SupportNotFoundError', {
  implements: () => [UserError],
  description: 'You are not supporting the site',
})
export class SupportNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SUPPORT_NOT_FOUND', message, field: null });
  }
}

export const SiteSupportResult = createUnionType({
  name: 'SiteSupportResult',
  types: () =>
    [
      SiteOperationPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
      SupportNotFoundError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type SiteSupportResult =
  | SiteOperationPayload
  | SiteNotFoundError
  | IllegalTransitionError
  | IdempotencyKeyReusedError
  | SupportNotFoundError;
