import {
  Args,
  ArgsType,
  Field,
  ID,
  Int,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { RequestSiteInput } from './request-site.input';
import { RequestSiteResult } from './request-site.payload';
import { SiteConnection, SiteEventModel, SiteModel } from './site.model';
import { SitesService } from './sites.service';

@ArgsType()
export class SitesArgs {
  @Field(() => Int, { defaultValue: 20, description: '1 to 100' })
  @Min(1)
  @Max(100)
  first = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;
}

@ArgsType()
export class SiteEventsArgs {
  @Field(() => Int, { defaultValue: 50, description: '1 to 500' })
  @Min(1)
  @Max(500)
  first = 50;
}

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
    return this.service.requestSite(principal, input);
  }

  @Query(() => SiteModel, { nullable: true, description: 'A site you administer (operators: any)' })
  async site(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<SiteModel | null> {
    this.access.requireScope(principal, 'sites:read');
    // Someone else's site reads as absent: its existence is not the caller's business.
    if (!(await this.access.canAdminister(principal, id))) return null;
    return this.service.getSite(id);
  }

  @Query(() => SiteConnection, { description: 'The sites you administer (operators: all)' })
  async sites(
    @CurrentPrincipal() principal: Principal,
    @Args() args: SitesArgs,
  ): Promise<SiteConnection> {
    this.access.requireScope(principal, 'sites:read');
    const visible = await this.access.administeredSiteIds(principal);
    return this.service.listSites(args.first, args.after ?? null, visible);
  }

  @ResolveField(() => [SiteEventModel], { description: 'Audit log, oldest first' })
  events(@Parent() site: SiteModel, @Args() args: SiteEventsArgs): Promise<SiteEventModel[]> {
    return this.service.siteEvents(site.id, args.first);
  }
}
