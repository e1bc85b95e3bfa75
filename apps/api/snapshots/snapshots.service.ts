import { Inject, Injectable } from '@nestjs/common';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { SiteSnapshot } from '../../../libs/domain';
import { snapshotNameProblem } from '../../../libs/domain/snapshot-names';
import { badUserInput } from '../graphql/graphql-errors';
import { SiteChangesService } from '../sites/site-changes.service';
import { BERTH_CONFIG, ORM } from '../tokens';
import { type SiteSnapshotInput } from './snapshot.inputs';
import {
  SnapshotExistsError,
  SnapshotLimitError,
  SnapshotNotFoundError,
  type SnapshotResult,
} from './snapshot.payload';

type SnapshotChange = 'create-snapshot' | 'revert-snapshot' | 'delete-snapshot';

/**
 * Snapshots of a site's server: each request is checked against the site's snapshots here, so a
 * client gets a typed answer at once, and then sent to the site workflow as a change, which
 * checks again when it runs (two requests may pass here together; the second then fails its
 * operation instead).
 */
@Injectable()
export class SnapshotsService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly changes: SiteChangesService,
  ) {}

  async change(
    principal: Principal,
    kind: SnapshotChange,
    input: SiteSnapshotInput,
  ): Promise<SnapshotResult> {
    const problem = snapshotNameProblem(input.name);
    if (problem) throw badUserInput([{ field: 'name', message: problem }]);
    if (!(await this.changes.isRepeat(input))) {
      const refused = await this.refusal(kind, input);
      if (refused) return refused;
    }
    return this.changes.change(
      principal,
      input.siteId,
      { kind, name: input.name },
      input.idempotencyKey ?? null,
    );
  }

  private async refusal(
    kind: SnapshotChange,
    input: SiteSnapshotInput,
  ): Promise<SnapshotResult | undefined> {
    const em = forkEm(this.orm);
    const existing = await em.findOne(SiteSnapshot, { siteId: input.siteId, name: input.name });
    if (kind !== 'create-snapshot') {
      return existing
        ? undefined
        : new SnapshotNotFoundError(`the site has no snapshot named ${input.name}`);
    }
    if (existing) return new SnapshotExistsError(`the site has a snapshot named ${input.name}`);
    const limit = this.config.provisioning.snapshotsPerSite;
    if ((await em.count(SiteSnapshot, { siteId: input.siteId })) >= limit) {
      return new SnapshotLimitError(`a site keeps at most ${limit} snapshots; delete one first`);
    }
    return undefined;
  }
}
