import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { takeTurn } from '../../../libs/db/turn';
import { defaultSupportMinutes, Site, SiteSupport } from '../../../libs/domain';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { type SiteChangeInput } from '../sites/change-site.input';
import { type SiteSupportResult, SupportNotFoundError } from './site-support.payload';
import { SiteChangesService } from '../sites/site-changes.service';
import { BERTH_CONFIG, ORM } from '../tokens';
import { type StartSiteSupportInput } from './site-support.inputs';

/**
 * Operators' support of a site (libs/domain/site-support.entity.ts): starting one writes the row
 * and asks for the configuration run that lets the operator into the site's servers; ending one
 * (or the `site-support-expiry` schedule, once its time is up) removes it and runs again. A run
 * the site's workflow refuses takes the row change back, as for the site's other configuration.
 */
@Injectable()
export class SiteSupportService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(ORM) private readonly orm: Orm,
    private readonly changes: SiteChangesService,
  ) {}

  /** Starts the caller's support of the site, or sets a running one to end `minutes` from now. */
  async start(principal: Principal, input: StartSiteSupportInput): Promise<SiteSupportResult> {
    const minutes = input.minutes ?? defaultSupportMinutes;
    const request = { change: 'start-support', minutes };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    if (!(await forkEm(this.orm).findOne(Site, input.siteId, { fields: ['id'] }))) {
      return new SiteNotFoundError('no such site');
    }
    const until = new Date(Date.now() + minutes * 60_000);
    const row = new SiteSupport({
      id: randomUUID(),
      siteId: input.siteId,
      userId: principal.userId,
      until,
    });
    // A new row in place of any earlier one, in the caller's turn on the site: so two starts at
    // once leave one row, and an expiry sweep working on the earlier row removes nothing of it.
    const earlier = await forkEm(this.orm).transactional(async (tx) => {
      await takeTurn(tx, this.config.database.driver, `site-support/${row.siteId}/${row.userId}`);
      const found = await tx.findOne(
        SiteSupport,
        { siteId: row.siteId, userId: row.userId },
        { disableIdentityMap: true },
      );
      if (found) await tx.nativeDelete(SiteSupport, { id: found.id });
      tx.persist(row);
      return found;
    });
    return this.changes.configureChange(principal, input, request, {
      undo: async () => {
        await forkEm(this.orm).nativeDelete(SiteSupport, { id: row.id });
        if (earlier) await forkEm(this.orm).persistAndFlush(copyOf(earlier));
      },
      action: 'support.started',
      summary: `${principal.userId} supports the site, with an admin account on its servers, until ${until.toISOString()} (${minutes} minutes)`,
    });
  }

  /** Ends the caller's support of the site now. */
  async end(principal: Principal, input: SiteChangeInput): Promise<SiteSupportResult> {
    const request = { change: 'end-support' };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    const row = await em.findOne(SiteSupport, { siteId: input.siteId, userId: principal.userId });
    if (!row) return new SupportNotFoundError(`${principal.userId} is not supporting the site`);
    await em.nativeDelete(SiteSupport, { id: row.id });
    return this.changes.configureChange(principal, input, request, {
      undo: () => forkEm(this.orm).persistAndFlush(copyOf(row)),
      action: 'support.ended',
      summary: `${principal.userId} ended their support of the site`,
    });
  }
}

/** A support row as it was, to write back. */
function copyOf(row: SiteSupport): SiteSupport {
  const copy = new SiteSupport({
    id: row.id,
    siteId: row.siteId,
    userId: row.userId,
    until: row.until,
  });
  copy.createdAt = row.createdAt;
  return copy;
}
