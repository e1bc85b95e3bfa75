import { Inject } from '@nestjs/common';
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Operation } from '../../../libs/domain';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { toOperationModel } from '../sites/site.mapper';
import { ORM } from '../tokens';
import { OperationModel } from './operation.model';

@Resolver(() => OperationModel)
export class OperationsResolver {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => OperationModel, {
    nullable: true,
    description: 'Progress of a piece of work on a site you administer (operators: any)',
  })
  async operation(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<OperationModel | null> {
    this.access.requireScope(principal, 'sites:read');
    const operation = await forkEm(this.orm).findOne(Operation, { id });
    // Work on someone else's site reads as absent, like the site itself.
    if (!operation || !(await this.access.canAdminister(principal, operation.siteId))) return null;
    return toOperationModel(operation);
  }
}
