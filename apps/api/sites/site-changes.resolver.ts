import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { type SiteChange } from '../../../workflows/site.messages';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { SetSiteRenewalInput, SiteChangeInput, SuspendSiteInput } from './change-site.input';
import { SiteNotFoundError, SiteOperationResult } from './change-site.payload';
import { SiteChangesService } from './site-changes.service';

/**
 * Every lifecycle change of a site, one mutation each. Site admins may make the changes their
 * site's users expect to make; suspensions, reverting a cancellation and deletion are operators'.
 */
@Resolver()
export class SiteChangesResolver {
  constructor(
    private readonly changes: SiteChangesService,
    private readonly access: SiteAccessService,
  ) {}

  private async run(
    principal: Principal,
    input: SiteChangeInput,
    change: SiteChange,
    who: 'admin' | 'operator',
  ): Promise<SiteOperationResult> {
    this.access.requireScope(principal, 'sites:write');
    if (who === 'operator') this.access.requireOperator(principal);
    else if (!(await this.access.canAdminister(principal, input.siteId))) {
      // Someone else's site answers as absent, like the site query.
      return new SiteNotFoundError('no such site');
    }
    return this.changes.change(principal, input.siteId, change, input.idempotencyKey ?? null);
  }

  @Mutation(() => SiteOperationResult, { description: "Apply the site's configuration again" })
  reconfigureSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'configure' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: 'Switch the site off (its admins)' })
  disableSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'disable' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: 'Switch a disabled site back on' })
  enableSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'enable' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, {
    description: 'Switch a site off, with a reason (operators)',
  })
  suspendSite(@CurrentPrincipal() p: Principal, @Args('input') input: SuspendSiteInput) {
    return this.run(p, input, { kind: 'suspend', reason: input.reason }, 'operator');
  }

  @Mutation(() => SiteOperationResult, {
    description:
      'Lift a suspension; the site stays disabled until its admins enable it (operators)',
  })
  unsuspendSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'unsuspend' }, 'operator');
  }

  @Mutation(() => SiteOperationResult, { description: "Stop the site's web and mail services" })
  quarantineSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'quarantine' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: 'Lift a quarantine' })
  releaseSiteQuarantine(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'release-quarantine' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, {
    description: 'Cancel the site: switched off now, deleted after the grace period',
  })
  cancelSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'cancel' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, {
    description: 'Undo a cancellation before the grace period ends (operators)',
  })
  revertSiteCancellation(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'revert-cancellation' }, 'operator');
  }

  @Mutation(() => SiteOperationResult, {
    description: 'Delete the site now: its server, addresses and records go (operators)',
  })
  deleteSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'delete' }, 'operator');
  }

  @Mutation(() => SiteOperationResult, { description: 'Renew at the end of the year, or not' })
  setSiteRenewal(@CurrentPrincipal() p: Principal, @Args('input') input: SetSiteRenewalInput) {
    return this.run(p, input, { kind: 'set-renewal', renews: input.renews }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: "Power the site's server on" })
  powerOnSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'power-on' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: "Power the site's server off" })
  powerOffSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'power-off' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: "Ask the server's OS to restart" })
  rebootSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'reboot' }, 'admin');
  }

  @Mutation(() => SiteOperationResult, { description: 'Reset the server (the hardware button)' })
  resetSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, input, { kind: 'reset' }, 'admin');
  }
}
