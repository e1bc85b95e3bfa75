import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { AllowPackageInput, DisallowPackageInput } from './package.inputs';
import { AllowedPackageModel } from './package.model';
import { AllowedPackagePayload, DisallowPackageResult } from './package.payload';
import { PackagesService } from './packages.service';

/**
 * The allow-list of system packages: anyone signed in reads it (sites' admins choose from it);
 * operators change it. Sites' own packages are site configuration (SiteConfigResolver).
 */
@Resolver()
export class PackagesResolver {
  constructor(
    private readonly service: PackagesService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => [AllowedPackageModel], {
    description: "System packages sites' admins may have installed (addSitePackage), by name",
  })
  allowedPackages(@CurrentPrincipal() principal: Principal): Promise<AllowedPackageModel[]> {
    this.access.requireScope(principal, 'sites:read');
    return this.service.list();
  }

  @Mutation(() => AllowedPackagePayload, {
    description: 'Put a package on the allow-list, or change its description (operators)',
  })
  allowPackage(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: AllowPackageInput,
  ): Promise<AllowedPackagePayload> {
    this.requireOperatorWrite(principal);
    return this.service.allow(principal, input);
  }

  @Mutation(() => DisallowPackageResult, {
    description:
      'Take a package off the allow-list: no site can add it, and runs stop installing it; servers that have it keep it (operators)',
  })
  disallowPackage(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DisallowPackageInput,
  ): Promise<DisallowPackageResult> {
    this.requireOperatorWrite(principal);
    return this.service.disallow(principal, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
