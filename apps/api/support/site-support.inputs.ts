import { Field, InputType, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defaultSupportMinutes, maxSupportMinutes } from '../../../libs/domain';
import { SiteChangeInput } from '../sites/change-site.input';

/** The shortest support: less would end before the run that lets the operator in had finished. */
export const minSupportMinutes = 5;

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
