import { Inject } from '@nestjs/common';
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Operation } from '../../../libs/domain';
import { toOperationModel } from '../sites/site.mapper';
import { ORM } from '../tokens';
import { OperationModel } from './operation.model';

@Resolver(() => OperationModel)
export class OperationsResolver {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  @Query(() => OperationModel, { nullable: true, description: 'Progress of a piece of work' })
  async operation(@Args('id', { type: () => ID }) id: string): Promise<OperationModel | null> {
    const operation = await forkEm(this.orm).findOne(Operation, { id });
    return operation ? toOperationModel(operation) : null;
  }
}
