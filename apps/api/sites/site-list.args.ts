import { ArgsType, Field, InputType, Int, registerEnumType } from '@nestjs/graphql';
import {
  ArrayMaxSize,
  IsEnum,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { OperationStatusEnum } from '../operations/operation.model';
import { type SiteOrder } from './site-cursor';
import { SiteStatusEnum } from './site-status.enum';
import { RepeatedArgs } from '../graphql/validation.pipe';

export enum SiteOrderEnum {
  CREATED_DESC = 'CREATED_DESC',
  CREATED_ASC = 'CREATED_ASC',
  NAME_ASC = 'NAME_ASC',
}
registerEnumType(SiteOrderEnum, {
  name: 'SiteOrder',
  description: 'How a list of sites is sorted',
});

// Compile-time check that the enum and the cursor's list agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const siteOrderEnumMatches: Same<`${SiteOrderEnum}`, SiteOrder> = true;

@InputType('SiteFilterInput')
export class SiteFilterInput {
  @Field(() => [SiteStatusEnum], { nullable: true, description: 'Any of these statuses' })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(SiteStatusEnum, { each: true })
  status?: SiteStatusEnum[];

  @Field(() => String, {
    nullable: true,
    description:
      "Text found in the site's name, host name, owner or a role holder's name, literally and in " +
      'any case (1 to 100 characters). Searches only the sites the caller may see',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[^\p{Cc}\u2028\u2029]*$/u, { message: 'search must not contain control characters' })
  search?: string;
}

@ArgsType()
@RepeatedArgs()
export class SitesArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @Min(1)
  @Max(100)
  first = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;

  @Field(() => SiteFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => SiteFilterInput)
  filter?: SiteFilterInput;

  @Field(() => SiteOrderEnum, { defaultValue: SiteOrderEnum.CREATED_DESC })
  @IsEnum(SiteOrderEnum)
  orderBy: SiteOrderEnum = SiteOrderEnum.CREATED_DESC;
}

@ArgsType()
@RepeatedArgs()
export class ChildPageArgs {
  @Field(() => Int, { defaultValue: 50, description: '1 to 200' })
  @Min(1)
  @Max(200)
  first = 50;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;
}

@ArgsType()
@RepeatedArgs()
export class SiteEventsArgs extends ChildPageArgs {
  @Field(() => [String], {
    nullable: true,
    description: 'Only these actions, e.g. ["site.suspended", "site.unsuspended"]',
  })
  @IsOptional()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9.-]{0,59}$/, {
    each: true,
    message: 'actions are dotted lower-case words',
  })
  actions?: string[];
}

@ArgsType()
@RepeatedArgs()
export class SiteOperationsArgs extends ChildPageArgs {
  @Field(() => [OperationStatusEnum], { nullable: true, description: 'Only these statuses' })
  @IsOptional()
  @ArrayMaxSize(3)
  @IsEnum(OperationStatusEnum, { each: true })
  status?: OperationStatusEnum[];
}
