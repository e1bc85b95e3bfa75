import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { Loaders } from '../graphql/loaders.decorator';
import { SiteNotFoundError } from './change-site.payload';
import { type SiteChildLoaders } from './site-children.loader';
import { AddVhostInput, RemoveVhostInput, SiteRoleInput } from './site-config.inputs';
import { SiteGroupRoleGrantModel, SiteRoleGrantModel, VhostModel } from './site-config.model';
import { SiteConfigResult } from './site-config.payload';
import { SiteConfigService } from './site-config.service';
import { SiteModel } from './site.model';

/** A site's virtual hosts and users, which its admins change and its servers reflect. */
@Resolver(() => SiteModel)
export class SiteConfigResolver {
  constructor(
    private readonly config: SiteConfigService,
    private readonly access: SiteAccessService,
  ) {}

  @ResolveField(() => [VhostModel], {
    description: 'Virtual hosts, the default one (the server’s host name) first',
  })
  vhosts(@Parent() site: SiteModel, @Loaders() loaders: SiteChildLoaders): Promise<VhostModel[]> {
    return loaders.vhosts.load(site);
  }

  @ResolveField(() => [SiteRoleGrantModel], { description: "Users' roles on the site" })
  async roles(
    @Parent() site: SiteModel,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteRoleGrantModel[]> {
    return (await loaders.roles.load(site.id)).users;
  }

  @ResolveField(() => [SiteGroupRoleGrantModel], {
    description: "Directory groups' roles on the site",
  })
  async groupRoles(
    @Parent() site: SiteModel,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteGroupRoleGrantModel[]> {
    return (await loaders.roles.load(site.id)).groups;
  }

  @Mutation(() => SiteConfigResult, {
    description: 'Add a virtual host; the site’s server is configured again (its admins)',
  })
  async addVhost(@CurrentPrincipal() p: Principal, @Args('input') input: AddVhostInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.addVhost(p, input);
  }

  @Mutation(() => SiteConfigResult, { description: 'Remove a virtual host (its admins)' })
  async removeVhost(@CurrentPrincipal() p: Principal, @Args('input') input: RemoveVhostInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.removeVhost(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      'Give a user or a directory group a role on the site; its servers let them in (its admins)',
  })
  async grantSiteRole(@CurrentPrincipal() p: Principal, @Args('input') input: SiteRoleInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.grantRole(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      "Take a user's or a group's role away; its servers no longer let them in (its admins)",
  })
  async revokeSiteRole(@CurrentPrincipal() p: Principal, @Args('input') input: SiteRoleInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.revokeRole(p, input);
  }

  /** Someone else's site answers as absent, like the site query. */
  private async refusal(principal: Principal, siteId: string) {
    this.access.requireScope(principal, 'sites:write');
    if (await this.access.canAdminister(principal, siteId)) return undefined;
    return new SiteNotFoundError('no such site');
  }
}
