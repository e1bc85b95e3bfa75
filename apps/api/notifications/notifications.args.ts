import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { NotificationKindEnum, NotificationStatusEnum } from './notification.model';
import { RepeatedArgs } from '../graphql/validation.pipe';

@InputType('NotificationFilterInput')
export class NotificationFilterInput {
  @Field(() => ID, { nullable: true, description: "Only this site's" })
  @IsOptional()
  @IsUUID('4')
  siteId?: string;

  @Field(() => NotificationKindEnum, { nullable: true })
  @IsOptional()
  @IsEnum(NotificationKindEnum)
  kind?: NotificationKindEnum;

  @Field(() => NotificationStatusEnum, { nullable: true })
  @IsOptional()
  @IsEnum(NotificationStatusEnum)
  status?: NotificationStatusEnum;
}

@ArgsType()
@RepeatedArgs()
export class NotificationsArgs {
  @Field(() => Int, { defaultValue: 50, description: '1 to 200' })
  @Min(1)
  @Max(200)
  first = 50;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  after?: string;

  @Field(() => NotificationFilterInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => NotificationFilterInput)
  filter?: NotificationFilterInput;
}
