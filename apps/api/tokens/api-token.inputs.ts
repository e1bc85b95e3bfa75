import { ArgsType, Field, GraphQLISODateTime, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsDate,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { ApiTokenScopeEnum } from './api-token.model';
import { RepeatedArgs } from '../graphql/validation.pipe';

/** More sites than this in one token is a sign it should be an operator's, or several tokens. */
export const maxApiTokenSites = 100;

@InputType('CreateApiTokenInput', { description: 'A new API token for the caller' })
export class CreateApiTokenInput {
  @Field(() => String, { description: 'What it is for, to recognise it in the list (1 to 100)' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  @Matches(/^[^\p{Cc}\u2028\u2029]*$/u, { message: 'name must not contain control characters' })
  name!: string;

  @Field(() => [ApiTokenScopeEnum], { description: 'SITE cannot be combined with OPERATOR' })
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @ArrayUnique()
  @IsEnum(ApiTokenScopeEnum, { each: true })
  scopes!: ApiTokenScopeEnum[];

  @Field(() => [ID], {
    nullable: true,
    description: `The sites a SITE token is limited to (1 to ${maxApiTokenSites}); only with SITE`,
  })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(maxApiTokenSites)
  @ArrayUnique()
  @IsUUID('4', { each: true })
  siteIds?: string[];

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'In the future, at most a year away; 90 days from now when absent',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  expiresAt?: Date;
}

@InputType('RevokeApiTokenInput')
export class RevokeApiTokenInput {
  @Field(() => ID)
  @IsUUID('4')
  id!: string;
}

@ArgsType()
@RepeatedArgs()
export class ApiTokensArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @Min(1)
  @Max(100)
  first = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;

  @Field(() => String, {
    nullable: true,
    description: "Whose tokens: the caller's when absent; anyone's for operators",
  })
  @IsOptional()
  @IsString()
  @Matches(directoryNamePattern, { message: 'owner must be a directory uid' })
  owner?: string;
}
