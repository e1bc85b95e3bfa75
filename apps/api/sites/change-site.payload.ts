import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError, UserError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';

@ObjectType('SiteOperationPayload')
export class SiteOperationPayload {
  @Field(() => OperationModel, { description: 'The change, to follow until it finishes' })
  operation!: OperationModel;
}

@ObjectType('SiteNotFoundError', { implements: () => [UserError] })
export class SiteNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SITE_NOT_FOUND', message, field: 'siteId' });
  }
}

@ObjectType('IllegalTransitionError', {
  implements: () => [UserError],
  description: 'The site is in a status this change cannot start from',
})
export class IllegalTransitionError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'ILLEGAL_TRANSITION', message, field: null });
  }
}

export const SiteOperationResult = createUnionType({
  name: 'SiteOperationResult',
  types: () =>
    [
      SiteOperationPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type SiteOperationResult =
  SiteOperationPayload | SiteNotFoundError | IllegalTransitionError | IdempotencyKeyReusedError;
