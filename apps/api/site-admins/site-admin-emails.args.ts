import { ArgsType, Field } from '@nestjs/graphql';
import { ArrayMaxSize, IsEnum, IsIn, IsOptional } from 'class-validator';
import { type SiteStatus, siteStatuses } from '../../../libs/domain';
import { SiteStatusEnum } from '../sites/site-status.enum';
import { RepeatedArgs } from '../graphql/validation.pipe';

/** Sites whose admins can still be written to about them: every site not cancelled or deleted. */
export const liveSiteStatuses: readonly SiteStatus[] = siteStatuses.filter(
  (status) => status !== 'cancelled' && status !== 'deleted',
);

@ArgsType()
@RepeatedArgs()
export class SiteAdminEmailsArgs {
  @Field(() => [SiteStatusEnum], {
    nullable: true,
    description: 'Only sites of these statuses; default every live one (not CANCELLED or DELETED)',
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(SiteStatusEnum, { each: true })
  @IsIn(liveSiteStatuses, {
    each: true,
    message: 'status must be a live one: cancelled and deleted sites have no admins to write to',
  })
  status?: SiteStatusEnum[];
}
