import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { UserError } from '../graphql/user-error';
import { ApiTokenModel } from './api-token.model';

@ObjectType('CreateApiTokenPayload')
export class CreateApiTokenPayload {
  @Field(() => ApiTokenModel)
  token!: ApiTokenModel;

  @Field(() => String, {
    description: 'The token to present as `Authorization: Bearer ...`; shown this once only',
  })
  secret!: string;
}

@ObjectType('RevokeApiTokenPayload')
export class RevokeApiTokenPayload {
  @Field(() => ApiTokenModel)
  token!: ApiTokenModel;
}

@ObjectType('ApiTokenNotFoundError', { implements: () => [UserError] })
export class ApiTokenNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'API_TOKEN_NOT_FOUND', message, field: 'id' });
  }
}

/** A site a SITE token names that its owner does not administer (or that does not exist). */
export function siteIdsNotFound(siteIds: string[]): SiteNotFoundError {
  const error = new SiteNotFoundError(`no such site: ${siteIds.join(', ')}`);
  error.field = 'siteIds';
  return error;
}

export const CreateApiTokenResult = createUnionType({
  name: 'CreateApiTokenResult',
  types: () => [CreateApiTokenPayload, SiteNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type CreateApiTokenResult = CreateApiTokenPayload | SiteNotFoundError;

export const RevokeApiTokenResult = createUnionType({
  name: 'RevokeApiTokenResult',
  types: () => [RevokeApiTokenPayload, ApiTokenNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type RevokeApiTokenResult = RevokeApiTokenPayload | ApiTokenNotFoundError;
