import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { defaultSupportMinutes, Site, SiteSupport } from '../../../libs/domain';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { type SiteChangeInput } from '../sites/change-site.input';
import { type SiteConfigResult, RoleNotFoundError } from '../sites/site-config.payload';
import { SiteChangesService } from '../sites/site-changes.service';
import { ORM } from '../tokens';
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
    @Inject(ORM) private readonly orm: Orm,
    private readonly changes: SiteChangesService,
  ) {}

  /** Starts the caller's support of the site, or sets a running one to end `minutes` from now. */
  async start(principal: Principal, input: StartSiteSupportInput): Promise<SiteConfigResult> {
    const minutes = input.minutes ?? defaultSupportMinutes;
    const request = { change: 'start-support', minutes };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    if (!(await em.findOne(Site, input.siteId, { fields: ['id'] }))) {
      return new SiteNotFoundError('no such site');
    }
    const until = new Date(Date.now() + minutes * 60_000);
    const key = { siteId: input.siteId, userId: principal.userId };
    let undo: () => Promise<unknown>;
    const before = await em.findOne(SiteSupport, key);
    if (before) {
      const was = before.until;
      await em.nativeUpdate(SiteSupport, { id: before.id }, { until });
      undo = () => forkEm(this.orm).nativeUpdate(SiteSupport, { id: before.id }, { until: was });
    } else {
      const row = new SiteSupport({ id: randomUUID(), ...key, until });
      try {
        await em.persistAndFlush(row);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        // The same operator, twice at once: the other request made the row; this one sets it.
        await forkEm(this.orm).nativeUpdate(SiteSupport, key, { until });
      }
      undo = () => forkEm(this.orm).nativeDelete(SiteSupport, { id: row.id });
    }
    return this.changes.configureChange(principal, input, request, {
      undo,
      action: 'support.started',
      summary: `${principal.userId} supports the site, with an admin account on its servers, until ${until.toISOString()} (${minutes} minutes)`,
    });
  }

  /** Ends the caller's support of the site now. */
  async end(principal: Principal, input: SiteChangeInput): Promise<SiteConfigResult> {
    const request = { change: 'end-support' };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    const row = await em.findOne(SiteSupport, { siteId: input.siteId, userId: principal.userId });
    if (!row) return new RoleNotFoundError(`${principal.userId} is not supporting the site`);
    await em.nativeDelete(SiteSupport, { id: row.id });
    return this.changes.configureChange(principal, input, request, {
      undo: () =>
        forkEm(this.orm).persistAndFlush(
          new SiteSupport({ id: row.id, siteId: row.siteId, userId: row.userId, until: row.until }),
        ),
      action: 'support.ended',
      summary: `${principal.userId} ended their support of the site`,
    });
  }
}
