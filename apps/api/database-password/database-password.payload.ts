import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { IdempotencyKeyReusedError } from '../graphql/user-error';
import { OperationModel } from '../operations/operation.model';
import { IllegalTransitionError, SiteNotFoundError } from '../sites/change-site.payload';

@ObjectType('DatabasePasswordPayload')
export class DatabasePasswordPayload {
  @Field(() => OperationModel, {
    description: 'The configuration run that sets it on the server; the old one works until then',
  })
  operation!: OperationModel;

  @Field(() => String, {
    nullable: true,
    description:
      'The new root password of the site’s database, shown this once; null when the request repeats an idempotency key (the first answer had it)',
  })
  password!: string | null;
}

export const DatabasePasswordResult = createUnionType({
  name: 'DatabasePasswordResult',
  types: () =>
    [
      DatabasePasswordPayload,
      SiteNotFoundError,
      IllegalTransitionError,
      IdempotencyKeyReusedError,
    ] as const,
  resolveType: (value: object) => value.constructor,
});
export type DatabasePasswordResult =
  DatabasePasswordPayload | SiteNotFoundError | IllegalTransitionError | IdempotencyKeyReusedError;
