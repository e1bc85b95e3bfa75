import { Inject } from '@nestjs/common';
import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Orm } from '../../../libs/db/orm';
import { SiteModel } from '../sites/site.model';
import { ORM } from '../tokens';
import { SiteBackupModel } from './backup.model';
import { backupsLoader } from './backups.loader';

/**
 * A site's nightly backups. Readable by whoever can read the site: the Site was authorised when
 * it was resolved, as for its snapshots.
 */
@Resolver(() => SiteModel)
export class BackupsResolver {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  @ResolveField(() => [SiteBackupModel], {
    description: 'Nightly backups of its servers, newest first',
  })
  backups(@Parent() site: SiteModel, @Context() context: object): Promise<SiteBackupModel[]> {
    return backupsLoader(context, this.orm).load(site.id);
  }
}
