import {
  Args,
  ID,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { forbidden } from '../auth/authenticate';
import { SiteAccessService } from '../auth/site-access.service';
import { RequestSiteInput } from './request-site.input';
import { RequestSiteResult } from './request-site.payload';
import { Loaders } from '../graphql/loaders.decorator';
import { nothing } from '../graphql/watch';
import { type ChildPage, type SiteChildLoaders } from './site-children.loader';
import { decodeChildCursor, encodeChildCursor } from './site-cursor';
import { SiteEventsArgs, SiteOperationsArgs, SitesArgs } from './site-list.args';
import { OperationConnection, SiteConnection, SiteEventConnection, SiteModel } from './site.model';
import { SitesService } from './sites.service';

@Resolver(() => SiteModel)
export class SitesResolver {
  constructor(
    private readonly service: SitesService,
    private readonly access: SiteAccessService,
  ) {}

  @Mutation(() => RequestSiteResult, {
    description: 'Ask for a new site; provisioning runs in the background as an operation',
  })
  requestSite(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RequestSiteInput,
  ): Promise<RequestSiteResult> {
    this.access.requireScope(principal, 'sites:write');
    // A credential limited to some sites could never reach the site it made.
    if (principal.siteIds !== undefined) {
      throw forbidden('a per-site credential cannot request new sites');
    }
    return this.service.requestSite(principal, input);
  }

  @Query(() => SiteModel, {
    nullable: true,
    description: 'A site you administer (operators: every site)',
  })
  async site(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<SiteModel | null> {
    this.access.requireScope(principal, 'sites:read');
    // Someone else's site reads as absent: its existence is not the caller's business.
    if (!(await this.access.canAdminister(principal, id))) return null;
    return this.service.getSite(id);
  }

  @Subscription(() => SiteModel, {
    description: 'The site each time its status changes, until it is deleted',
    resolve: (value: SiteModel) => value,
  })
  async siteStatus(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<AsyncGenerator<SiteModel>> {
    this.access.requireScope(principal, 'sites:read');
    // Checked once, up front; someone else's site streams nothing, like the site query.
    if (!(await this.access.canAdminister(principal, id))) return nothing();
    return this.service.followSiteStatus(id);
  }

  @Query(() => SiteConnection, { description: 'The sites you administer (operators: all)' })
  async sites(
    @CurrentPrincipal() principal: Principal,
    @Args() args: SitesArgs,
  ): Promise<SiteConnection> {
    this.access.requireScope(principal, 'sites:read');
    return this.service.listSites({
      first: args.first,
      after: args.after ?? null,
      visibleIds: await this.access.administeredSiteIds(principal),
      filter: {
        status: args.filter?.status,
        search: args.filter?.search,
      },
      order: args.orderBy,
    });
  }

  @ResolveField(() => SiteEventConnection, { description: 'Audit log, oldest first' })
  async events(
    @Parent() site: SiteModel,
    @Args() args: SiteEventsArgs,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteEventConnection> {
    const page =
      args.after || args.actions?.length
        ? await this.service.siteEvents(
            site.id,
            args.first,
            args.after ? decodeChildCursor(args.after, 'event') : null,
            args.actions,
          )
        : await loaders.events.load({ siteId: site.id, first: args.first });
    return connection(page, (event) => encodeChildCursor('event', event.id));
  }

  @ResolveField(() => OperationConnection, { description: 'Work on the site, newest first' })
  async operations(
    @Parent() site: SiteModel,
    @Args() args: SiteOperationsArgs,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<OperationConnection> {
    const page =
      args.after || args.status?.length
        ? await this.service.siteOperations(
            site.id,
            args.first,
            args.after ? decodeChildCursor(args.after, 'operation') : null,
            args.status,
          )
        : await loaders.operations.load({ siteId: site.id, first: args.first });
    return connection(page, (operation) => encodeChildCursor('operation', operation.id));
  }
}

function connection<T>(page: ChildPage<T>, cursorOf: (node: T) => string) {
  const edges = page.rows.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
