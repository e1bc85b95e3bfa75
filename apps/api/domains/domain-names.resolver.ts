import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import {
  ApproveDomainNameInput,
  PendingDomainNamesArgs,
  RejectDomainNameInput,
} from './domain-name.inputs';
import { DomainNameConnection } from './domain-name.model';
import { DomainNameDecisionResult } from './domain-name.payload';
import { DomainNamesService } from './domain-names.service';

/**
 * The operators' queue of domain names from outside the organisation, and their decisions. Site
 * admins see their names' status on `Vhost.names`; only operators decide.
 */
@Resolver()
export class DomainNamesResolver {
  constructor(
    private readonly service: DomainNamesService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => DomainNameConnection, {
    description: 'Domain names waiting for approval, oldest request first (operators)',
  })
  pendingDomainNames(
    @CurrentPrincipal() principal: Principal,
    @Args() args: PendingDomainNamesArgs,
  ): Promise<DomainNameConnection> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.service.pending(args.first, args.after);
  }

  @Mutation(() => DomainNameDecisionResult, {
    description:
      "Approve a pending domain name: the site's server answers as it after a configuration run, and the site's people are told (operators)",
  })
  approveDomainName(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: ApproveDomainNameInput,
  ): Promise<DomainNameDecisionResult> {
    this.requireOperatorWrite(principal);
    return this.service.approve(principal, input);
  }

  @Mutation(() => DomainNameDecisionResult, {
    description:
      "Reject a pending domain name with a reason, which the site's admins see on Vhost.names and in its audit log; it is never served (operators)",
  })
  rejectDomainName(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RejectDomainNameInput,
  ): Promise<DomainNameDecisionResult> {
    this.requireOperatorWrite(principal);
    return this.service.reject(principal, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
