import { Inject } from '@nestjs/common';
import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Orm } from '../../../libs/db/orm';
import { ORM } from '../tokens';
import { ConfigurationRunModel } from './configuration-run.model';
import { configurationRunLoaders } from './configuration-runs.loader';

/**
 * A configuration run's output, read only when asked for. A run is reached only through its
 * Operation, which was authorised when it was resolved.
 */
@Resolver(() => ConfigurationRunModel)
export class ConfigurationRunsResolver {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  @ResolveField(() => String, {
    description:
      "The run's output (its last MiB when longer), with the secrets' values it may hold masked",
  })
  output(@Parent() run: ConfigurationRunModel, @Context() context: object): Promise<string> {
    return configurationRunLoaders(context, this.orm).output.load(run.id);
  }
}
