import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { isInteractive, type Principal } from '../../../libs/auth/principal';
import { forbidden } from '../auth/authenticate';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { SiteChangeInput } from '../sites/change-site.input';
import { StartSiteSupportInput } from './site-support.inputs';
import { SiteSupportResult } from './site-support.payload';
import { SiteSupportService } from './site-support.service';

/**
 * Operators let themselves into a site's servers for a while, to help its admins (MWS3's
 * supporters). Each start and end is a configuration run, audited in the site's own log, which
 * its admins read.
 */
@Resolver()
export class SiteSupportResolver {
  constructor(
    private readonly support: SiteSupportService,
    private readonly access: SiteAccessService,
  ) {}

  @Mutation(() => SiteSupportResult, {
    description:
      'Support a site for a while: you get an admin account on its servers until the time is up, when it is taken away again; asked again, the time runs from now (operators, logged in: not with an API token)',
  })
  startSiteSupport(@CurrentPrincipal() p: Principal, @Args('input') input: StartSiteSupportInput) {
    this.requireOperatorWrite(p);
    // A token could keep an account on a site's servers open for as long as the token lasts.
    if (!isInteractive(p)) throw forbidden('an API token cannot start support of a site');
    return this.support.start(p, input);
  }

  @Mutation(() => SiteSupportResult, {
    description: 'End your support of a site now; its servers no longer let you in (operators)',
  })
  endSiteSupport(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    this.requireOperatorWrite(p);
    return this.support.end(p, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
