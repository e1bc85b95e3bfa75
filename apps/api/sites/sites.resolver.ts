import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Max, Min } from 'class-validator';
import { ArgsType, Field } from '@nestjs/graphql';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { resolvePrincipal } from '../auth/principal';
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
  constructor(private readonly service: SitesService) {}

  @Mutation(() => RequestSiteResult, {
    description: 'Ask for a new site; provisioning runs in the background as an operation',
  })
  requestSite(@Args('input') input: RequestSiteInput): Promise<RequestSiteResult> {
    return this.service.requestSite(resolvePrincipal(), input);
  }

  @Query(() => SiteModel, { nullable: true })
  site(@Args('id', { type: () => ID }) id: string): Promise<SiteModel | null> {
    return this.service.getSite(id);
  }

  @Query(() => SiteConnection)
  sites(@Args() args: SitesArgs): Promise<SiteConnection> {
    return this.service.listSites(args.first, args.after ?? null);
  }

  @ResolveField(() => [SiteEventModel], { description: 'Audit log, oldest first' })
  events(@Parent() site: SiteModel, @Args() args: SiteEventsArgs): Promise<SiteEventModel[]> {
    return this.service.siteEvents(site.id, args.first);
  }
}
