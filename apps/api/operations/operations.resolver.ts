import { Inject } from '@nestjs/common';
import {
  Args,
  Context,
  ID,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { isOperator, type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Operation } from '../../../libs/domain';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { BatchedWatch, chunks, nothing } from '../graphql/watch';
import { toOperationModel } from '../sites/site.mapper';
import { BERTH_CONFIG, LOGGER, ORM } from '../tokens';
import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';
import { ConfigurationRunModel } from './configuration-run.model';
import { configurationRunLoaders } from './configuration-runs.loader';
import { OperationModel, OperationStatusEnum } from './operation.model';

@Resolver(() => OperationModel)
export class OperationsResolver {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) config: BerthConfig,
    @Inject(LOGGER) log: Logger,
    private readonly access: SiteAccessService,
  ) {
    this.operationFeed = new BatchedWatch({
      readMany: async (ids) => {
        const found = new Map<string, OperationModel>();
        for (const some of chunks(ids)) {
          for (const operation of await forkEm(orm).find(Operation, { id: { $in: some } })) {
            found.set(operation.id, toOperationModel(operation));
          }
        }
        return found;
      },
      intervalMs: config.api.subscriptionPollMs,
      onError: (error) => log.warn({ err: error }, 'reading watched operations failed; retrying'),
    });
  }

  /** Operations followed by subscriptions, read together once per interval. */
  private readonly operationFeed: BatchedWatch<OperationModel>;

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
    if ((await this.visibleOperation(principal, id)) === null) return nothing();
    return this.operationFeed.follow(id, {
      version: (op) => `${op.status}/${op.progress}/${op.step}`,
      done: (op) =>
        op.status === OperationStatusEnum.SUCCEEDED || op.status === OperationStatusEnum.FAILED,
    });
  }

  @ResolveField(() => [ConfigurationRunModel], {
    description:
      "Configuration runs of the operation's server, oldest first: one per attempt, with counts and output",
  })
  configurationRuns(
    @CurrentPrincipal() principal: Principal,
    @Parent() operation: OperationModel,
    @Context() context: object,
  ): Promise<ConfigurationRunModel[]> {
    // Every way to an Operation checked that the caller may see it; its runs' output is a read.
    this.access.requireScope(principal, 'sites:read');
    return configurationRunLoaders(context, this.orm).byOperation.load(operation.id);
  }

  /**
   * The operation if the caller may see it: work on someone else's site reads as absent, and so
   * does fleet work (no site) to anyone but an operator.
   */
  private async visibleOperation(principal: Principal, id: string): Promise<OperationModel | null> {
    this.access.requireScope(principal, 'sites:read');
    const operation = await forkEm(this.orm).findOne(Operation, { id });
    if (!operation) return null;
    const visible =
      operation.siteId === null
        ? isOperator(principal)
        : await this.access.canAdminister(principal, operation.siteId);
    return visible ? toOperationModel(operation) : null;
  }
}
