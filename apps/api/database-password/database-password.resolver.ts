import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { SiteChangeInput } from '../sites/change-site.input';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { DatabasePasswordResult } from './database-password.payload';
import { DatabasePasswordService } from './database-password.service';

@Resolver()
export class DatabasePasswordResolver {
  constructor(
    private readonly service: DatabasePasswordService,
    private readonly access: SiteAccessService,
  ) {}

  @Mutation(() => DatabasePasswordResult, {
    description:
      'Give the site’s database a new root password, shown once; a configuration run sets it (its admins)',
  })
  async resetDatabasePassword(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: SiteChangeInput,
  ): Promise<DatabasePasswordResult> {
    this.access.requireScope(principal, 'sites:write');
    if (!(await this.access.canAdminister(principal, input.siteId))) {
      return new SiteNotFoundError('no such site');
    }
    return this.service.reset(principal, input);
  }
}
