import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type BerthConfig } from '../../libs/config';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Operation, Site, SiteEvent } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowId } from '../../libs/temporal/names';
import { startSiteWorkflow } from '../../libs/temporal/site-start';

/** Sites looked at per repair, oldest first; the next repair takes the rest. */
export const maxSitesPerRepair = 200;

export interface StrandedSitesReport {
  /** Requested sites older than the wait that were looked at. */
  checked: number;
  /** Of those, sites without a workflow, whose workflow this repair started. */
  started: string[];
}

/**
 * The repair of site requests whose api stopped between writing the site's rows and starting its
 * workflow (a crash, a deployment): such a site would stay `requested`, with a running provision
 * operation, for ever. A request repeated with its idempotency key mends itself; this finds the
 * others.
 */
export function createSiteRequestActivities(deps: {
  orm: Orm;
  config: BerthConfig;
  temporal: TemporalClientSource;
}) {
  /**
   * Starts the workflow of every site still `requested` after `olderThanSeconds` that has none,
   * with the input the api would have given it, and audits that it did. A site whose workflow
   * exists (running, or closed) is left to it. Safe to repeat: a start joins a running workflow.
   */
  async function startStrandedSites(input: {
    olderThanSeconds: number;
  }): Promise<StrandedSitesReport> {
    const before = new Date(Date.now() - input.olderThanSeconds * 1000);
    const sites = await forkEm(deps.orm).find(
      Site,
      { status: 'requested', createdAt: { $lt: before } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: maxSitesPerRepair },
    );
    const client = await deps.temporal.get();
    const started: string[] = [];
    for (const [checked, site] of sites.entries()) {
      Context.current().heartbeat({ checked });
      try {
        await client.workflow.getHandle(siteWorkflowId(site.id)).describe();
        continue;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
      const provision = await forkEm(deps.orm).findOne(
        Operation,
        { siteId: site.id, kind: 'provision' },
        { orderBy: { createdAt: 'asc' } },
      );
      // The api writes both in one transaction; a site without one was not made by it.
      if (!provision) continue;
      await startSiteWorkflow(client, deps.config, site, provision.id);
      await audit(site);
      started.push(site.id);
    }
    return { checked: sites.length, started };
  }

  /** The request's audit event, which the api writes only once the workflow has started. */
  async function audit(site: Site): Promise<void> {
    const dedupeKey = `request/${site.id}`;
    const em = forkEm(deps.orm);
    if (await em.findOne(SiteEvent, { dedupeKey })) return;
    try {
      await em.persistAndFlush(
        new SiteEvent({
          siteId: site.id,
          actor: site.owner,
          action: 'site.requested',
          summary:
            `site "${site.name}" requested; its workflow was started by the site-request ` +
            'repair, the api having stopped before it did',
          workflowId: siteWorkflowId(site.id),
          dedupeKey,
        }),
      );
    } catch (error) {
      // Written meanwhile by the api, for a repeated request.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  return { startStrandedSites };
}

export type SiteRequestActivities = ReturnType<typeof createSiteRequestActivities>;
