import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { forkEm, type Orm } from '../../libs/db/orm';
import { requestEventKey, type Site, SiteEvent } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';

/**
 * A site's `site.requested` event, which says its request was made and its workflow started:
 * written once (by the api, or by the site-request repair with `how` it got there), so retries
 * and a race between the two leave one.
 */
export async function recordSiteRequested(orm: Orm, site: Site, how?: string): Promise<void> {
  const em = forkEm(orm);
  const dedupeKey = requestEventKey(site.id);
  if (await em.findOne(SiteEvent, { dedupeKey })) return;
  try {
    await em.persistAndFlush(
      new SiteEvent({
        siteId: site.id,
        actor: site.owner,
        action: 'site.requested',
        summary: `site "${site.name}" requested${how ? `; ${how}` : ''}`,
        workflowId: siteWorkflowId(site.id),
        dedupeKey,
      }),
    );
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
  }
}
