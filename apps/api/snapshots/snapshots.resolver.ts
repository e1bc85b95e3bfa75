import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { Loaders } from '../graphql/loaders.decorator';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { type SiteChildLoaders } from '../sites/site-children.loader';
import { SiteModel } from '../sites/site.model';
import { SiteSnapshotInput } from './snapshot.inputs';
import { SiteSnapshotModel } from './snapshot.model';
import { SnapshotResult } from './snapshot.payload';
import { SnapshotsService } from './snapshots.service';

/** Snapshots of a site's server, which its admins take, revert to and delete. */
@Resolver(() => SiteModel)
export class SnapshotsResolver {
  constructor(
    private readonly service: SnapshotsService,
    private readonly access: SiteAccessService,
  ) {}

  @ResolveField(() => [SiteSnapshotModel], { description: 'Snapshots of the server, oldest first' })
  snapshots(
    @Parent() site: SiteModel,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteSnapshotModel[]> {
    return loaders.snapshots.load(site.id);
  }

  @Mutation(() => SnapshotResult, {
    description: 'Take a snapshot of the site’s server (its admins; a few per site)',
  })
  async createSiteSnapshot(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SiteSnapshotInput,
  ) {
    return (
      (await this.refusal(p, input.siteId)) ?? this.service.change(p, 'create-snapshot', input)
    );
  }

  @Mutation(() => SnapshotResult, {
    description:
      'Return the site’s server to a snapshot; it is then configured as the site is now (its admins)',
  })
  async revertSiteSnapshot(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SiteSnapshotInput,
  ) {
    return (
      (await this.refusal(p, input.siteId)) ?? this.service.change(p, 'revert-snapshot', input)
    );
  }

  @Mutation(() => SnapshotResult, { description: 'Delete a snapshot (its admins)' })
  async deleteSiteSnapshot(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: SiteSnapshotInput,
  ) {
    return (
      (await this.refusal(p, input.siteId)) ?? this.service.change(p, 'delete-snapshot', input)
    );
  }

  /** Someone else's site answers as absent, like the site query. */
  private async refusal(principal: Principal, siteId: string) {
    this.access.requireScope(principal, 'sites:write');
    if (await this.access.canAdminister(principal, siteId)) return undefined;
    return new SiteNotFoundError('no such site');
  }
}
