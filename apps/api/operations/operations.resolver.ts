import { Inject } from '@nestjs/common';
import { Args, ID, Query, Resolver, Subscription } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Operation } from '../../../libs/domain';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { watch } from '../graphql/watch';
import { toOperationModel } from '../sites/site.mapper';
import { ORM } from '../tokens';
import { OperationModel, OperationStatusEnum } from './operation.model';

@Resolver(() => OperationModel)
export class OperationsResolver {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => OperationModel, {
    nullable: true,
    description: 'Progress of a piece of work on a site you administer (operators: every site)',
  })
  operation(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<OperationModel | null> {
    return this.visibleOperation(principal, id);
  }

  @Subscription(() => OperationModel, {
    description: 'The operation each time its status, progress or step changes, until it ends',
    resolve: (value: OperationModel) => value,
  })
  async operationProgress(
    @CurrentPrincipal() principal: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<AsyncGenerator<OperationModel>> {
    // Checked once, up front: an operation never moves to another site.
    if ((await this.visibleOperation(principal, id)) === null) return emptyStream();
    return watch({
      read: () => this.visibleOperation(principal, id),
      version: (op) => `${op.status}/${op.progress}/${op.step}`,
      done: (op) => op.status !== OperationStatusEnum.RUNNING,
    });
  }

  /** The operation if the caller may see it: work on someone else's site reads as absent. */
  private async visibleOperation(principal: Principal, id: string): Promise<OperationModel | null> {
    this.access.requireScope(principal, 'sites:read');
    const operation = await forkEm(this.orm).findOne(Operation, { id });
    if (!operation || !(await this.access.canAdminister(principal, operation.siteId))) return null;
    return toOperationModel(operation);
  }
}

// eslint-disable-next-line require-yield, @typescript-eslint/require-await -- yields nothing
async function* emptyStream(): AsyncGenerator<OperationModel> {
  return;
}
