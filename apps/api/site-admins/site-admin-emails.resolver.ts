import { Args, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { liveSiteStatuses, SiteAdminEmailsArgs } from './site-admin-emails.args';
import { SiteAdminEmailsModel } from './site-admin-emails.model';
import { SiteAdminEmailsService } from './site-admin-emails.service';

/** The e-mail list of site admins, for operators' announcements. */
@Resolver()
export class SiteAdminEmailsResolver {
  constructor(
    private readonly emails: SiteAdminEmailsService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => SiteAdminEmailsModel, {
    description: 'Addresses of the admins and contacts of live sites (operators)',
  })
  siteAdminEmails(
    @CurrentPrincipal() principal: Principal,
    @Args() args: SiteAdminEmailsArgs,
  ): Promise<SiteAdminEmailsModel> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.emails.list(principal, args.status?.length ? args.status : liveSiteStatuses);
  }
}
