import { Args, Context, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { requestScoped } from '../graphql/request-scoped';
import { SiteChangeInput } from '../sites/change-site.input';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { SiteModel } from '../sites/site.model';
import { RestoreBackupInput } from './test-server.inputs';
import { TestServerModel } from './test-server.model';
import { TestServerResult } from './test-server.payload';
import { type TestServerChange, TestServersService } from './test-servers.service';

/** One loader per request (see requestScoped). */
const testServerLoader = requestScoped((service: TestServersService) => service.loader());

/** The test server, backups and OS upgrades of a site, which its admins run. */
@Resolver(() => SiteModel)
export class TestServersResolver {
  constructor(
    private readonly service: TestServersService,
    private readonly access: SiteAccessService,
  ) {}

  @ResolveField(() => TestServerModel, {
    nullable: true,
    description: 'The site’s test server, if it has one',
  })
  testServer(@Parent() site: SiteModel, @Context() context: object) {
    return testServerLoader(context, this.service).load(site.id);
  }

  @Mutation(() => TestServerResult, {
    description:
      'Make a test server: a copy of production with its own name and addresses, configured like it (site admins)',
  })
  createTestServer(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'create-test-server', input);
  }

  @Mutation(() => TestServerResult, {
    description: 'Make a test server from a nightly backup of the site (site admins)',
  })
  restoreBackup(@CurrentPrincipal() p: Principal, @Args('input') input: RestoreBackupInput) {
    return this.run(p, 'restore-backup', input);
  }

  @Mutation(() => TestServerResult, {
    description:
      'Swap the test server and production: the test server takes production’s name, addresses and DNS (site admins)',
  })
  switchTestServer(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'switch-test-server', input);
  }

  @Mutation(() => TestServerResult, { description: 'Delete the test server (site admins)' })
  deleteTestServer(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'delete-test-server', input);
  }

  @Mutation(() => TestServerResult, {
    description: 'Take tonight’s backup of production now; older ones are pruned (site admins)',
  })
  backUpSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'back-up', input);
  }

  @Mutation(() => TestServerResult, {
    description:
      "Upgrade the OS: the test server (made for it if there is none) is upgraded first, then the upgrade waits for approveSiteUpgrade (site admins). Past the fleet's cap on upgrades at once, the operation is QUEUED, and starts when there is room",
  })
  upgradeSite(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'upgrade', input);
  }

  @Mutation(() => TestServerResult, {
    description:
      'Approve a waiting upgrade: production is snapshotted, upgraded, and put back if that fails (site admins)',
  })
  approveSiteUpgrade(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'approve-upgrade', input);
  }

  @Mutation(() => TestServerResult, {
    description:
      'Call off a waiting upgrade; a test server made for it is deleted. A QUEUED upgrade is withdrawn at once (site admins)',
  })
  cancelSiteUpgrade(@CurrentPrincipal() p: Principal, @Args('input') input: SiteChangeInput) {
    return this.run(p, 'cancel-upgrade', input);
  }

  /** Someone else's site answers as absent, like the site query. */
  private async run(
    principal: Principal,
    kind: TestServerChange,
    input: { siteId: string; idempotencyKey?: string; date?: string },
  ): Promise<TestServerResult> {
    this.access.requireScope(principal, 'sites:write');
    if (!(await this.access.canAdminister(principal, input.siteId))) {
      return new SiteNotFoundError('no such site');
    }
    return this.service.change(principal, kind, input);
  }
}
