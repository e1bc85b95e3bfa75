import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type ApiTokenScope } from '../../../libs/auth/api-token';
import { PageInfo } from '../sites/site.model';

export enum ApiTokenScopeEnum {
  READ_ONLY = 'read-only',
  SITE = 'site',
  OPERATOR = 'operator',
}
registerEnumType(ApiTokenScopeEnum, {
  name: 'ApiTokenScope',
  description: 'What an API token may do',
  valuesMap: {
    READ_ONLY: { description: "Read its owner's sites" },
    SITE: { description: 'Read and change the sites it names, and no others' },
    OPERATOR: { description: "Everything an operator may do (operators' tokens only)" },
  },
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const apiTokenScopeMatchesDomain: Same<`${ApiTokenScopeEnum}`, ApiTokenScope> = true;

@ObjectType('ApiToken', {
  description: 'A credential for integrations, acting as its owner within its scopes (no secret)',
})
export class ApiTokenModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The user the token acts as' })
  owner!: string;

  @Field(() => String)
  name!: string;

  @Field(() => [ApiTokenScopeEnum])
  scopes!: ApiTokenScopeEnum[];

  @Field(() => [ID], { nullable: true, description: 'The only sites a SITE token reaches' })
  siteIds!: string[] | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'Refused from this time on' })
  expiresAt!: Date;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When it was last presented, to within a minute',
  })
  lastUsedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Refused since this time' })
  revokedAt!: Date | null;
}

@ObjectType('ApiTokenEdge')
export class ApiTokenEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ApiTokenModel)
  node!: ApiTokenModel;
}

@ObjectType('ApiTokenConnection', { description: 'API tokens, newest first' })
export class ApiTokenConnection {
  @Field(() => [ApiTokenEdge])
  edges!: ApiTokenEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
