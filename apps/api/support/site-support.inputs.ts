import { Field, InputType, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defaultSupportMinutes, maxSupportMinutes, minSupportMinutes } from '../../../libs/domain';
import { SiteChangeInput } from '../sites/change-site.input';

@InputType('StartSiteSupportInput')
export class StartSiteSupportInput extends SiteChangeInput {
  @Field(() => Int, {
    nullable: true,
    description: `How long from now, in minutes (${minSupportMinutes} to ${maxSupportMinutes}; default ${defaultSupportMinutes})`,
  })
  @IsOptional()
  @IsInt()
  @Min(minSupportMinutes)
  @Max(maxSupportMinutes)
  minutes?: number;
}
