import { Inject, Injectable } from '@nestjs/common';
import {
  newDatabasePassword,
  storeDatabasePassword,
  withdrawDatabasePassword,
} from '../../../activities/keys/server-secrets';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { Vm } from '../../../libs/domain';
import { IllegalTransitionError, SiteOperationPayload } from '../sites/change-site.payload';
import { type SiteChangeInput } from '../sites/change-site.input';
import { SiteChangesService } from '../sites/site-changes.service';
import { BERTH_CONFIG, ORM } from '../tokens';
import { DatabasePasswordPayload, type DatabasePasswordResult } from './database-password.payload';

/** What an operation of a reset records as its request, for idempotency keys. */
const resetRequest = { change: 'reset-database-password' };

/**
 * Resetting a site's database root password (MWS3's "change MySQL root password"): a new random
 * password is sealed at rest for the site's server, shown to the caller once, and set on the
 * server by a configuration run, which reads it from the database: it never enters a workflow's
 * input or history. A reset the site workflow refuses puts the old password back.
 */
@Injectable()
export class DatabasePasswordService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly changes: SiteChangesService,
  ) {}

  async reset(principal: Principal, input: SiteChangeInput): Promise<DatabasePasswordResult> {
    // The same request again: its operation, but the password only ever goes out once.
    const repeat = await this.changes.repeatedConfiguration(principal, input, resetRequest);
    if (repeat) return this.answer(repeat, null);
    const em = forkEm(this.orm);
    const vm = await em.findOne(Vm, { siteId: input.siteId }, { orderBy: { createdAt: 'desc' } });
    if (!vm) return new IllegalTransitionError('the site has no server yet');

    const password = newDatabasePassword();
    const pending = await forkEm(this.orm).transactional((tx) =>
      storeDatabasePassword(tx, this.config.secretKey, vm.id, password, principal.userId),
    );
    const result = await this.changes.configureChange(principal, input, resetRequest, {
      undo: () => withdrawDatabasePassword(forkEm(this.orm), vm.id, pending),
      action: 'database.password-reset',
      summary: `database root password reset by ${principal.userId}`,
    });
    return this.answer(result, password);
  }

  private answer(
    result: Awaited<ReturnType<SiteChangesService['change']>>,
    password: string | null,
  ): DatabasePasswordResult {
    if (!(result instanceof SiteOperationPayload)) return result;
    return Object.assign(new DatabasePasswordPayload(), { operation: result.operation, password });
  }
}
