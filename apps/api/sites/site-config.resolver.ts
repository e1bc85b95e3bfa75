import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { Loaders } from '../graphql/loaders.decorator';
import { SiteNotFoundError } from './change-site.payload';
import { type SiteChildLoaders } from './site-children.loader';
import {
  AddVhostAliasInput,
  AddVhostInput,
  RemoveVhostAliasInput,
  RemoveVhostInput,
  SetVhostServerNameInput,
  RemoveSiteUnixGroupInput,
  SitePackageInput,
  SiteRoleInput,
  SiteUnixGroupInput,
} from './site-config.inputs';
import {
  SiteGroupRoleGrantModel,
  SiteRoleGrantModel,
  SiteUnixGroupModel,
  VhostModel,
} from './site-config.model';
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
      "Add a name to a virtual host; outside the organisation's zones it is served once an operator approves it (its admins)",
  })
  async addVhostAlias(@CurrentPrincipal() p: Principal, @Args('input') input: AddVhostAliasInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.addVhostAlias(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description: 'Remove an alias from a virtual host, which frees the name (its admins)',
  })
  async removeVhostAlias(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: RemoveVhostAliasInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.config.removeVhostAlias(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      'Make an approved alias the server name of its virtual host; a name not approved is refused with DOMAIN_NOT_APPROVED (its admins)',
  })
  async setVhostServerName(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SetVhostServerNameInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.config.setVhostServerName(p, input);
  }

  @ResolveField(() => [String], {
    description:
      "System packages its servers get installed, by name; only those still on the operators' allow-list reach them",
  })
  packages(@Parent() site: SiteModel, @Loaders() loaders: SiteChildLoaders): Promise<string[]> {
    return loaders.packages.load(site.id);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      "Have a package from the operators' allow-list installed on the site's servers; any other is refused with PACKAGE_NOT_ALLOWED (its admins)",
  })
  async addSitePackage(@CurrentPrincipal() p: Principal, @Args('input') input: SitePackageInput) {
    return (await this.refusal(p, input.siteId)) ?? this.config.addPackage(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      "Take a package off the site's list: servers keep it installed, new servers do not get it (its admins)",
  })
  async removeSitePackage(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SitePackageInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.config.removePackage(p, input);
  }

  @ResolveField(() => [SiteUnixGroupModel], {
    description: 'Unix groups its admins keep on its servers, by name',
  })
  unixGroups(
    @Parent() site: SiteModel,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteUnixGroupModel[]> {
    return loaders.unixGroups.load(site.id);
  }

  @Mutation(() => SiteConfigResult, {
    description:
      "Make a unix group on the site's servers, or replace its members, who must be site users (its admins)",
  })
  async setSiteUnixGroup(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SiteUnixGroupInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.config.setUnixGroup(p, input);
  }

  @Mutation(() => SiteConfigResult, {
    description: "Remove a unix group from the site's servers (its admins)",
  })
  async removeSiteUnixGroup(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: RemoveSiteUnixGroupInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.config.removeUnixGroup(p, input);
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
