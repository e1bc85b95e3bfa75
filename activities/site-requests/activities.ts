import { Context } from '@temporalio/activity';
import { type BerthConfig } from '../../libs/config';
import { type Em, forkEm, type Orm } from '../../libs/db/orm';
import { Operation, requestEventKey, Site, SiteEvent } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowState, startSiteWorkflow } from '../../libs/temporal/site-start';
import { applyTransition } from '../records/activities';
import { recordSiteRequested } from '../records/site-requested';

/** Stranded requests handled per repair, oldest first; the next repair takes the rest. */
export const maxSitesPerRepair = 200;

/** How the repair's `site.requested` events say the request got there. */
const startedByRepair =
  'its workflow was started by the site-request repair, the api having stopped first';
const recordedByRepair = 'recorded by the site-request repair, the api having stopped first';

/** Requested sites read per query while looking for stranded ones. */
const pageSize = 500;

export interface StrandedSitesReport {
  /** Stranded requests looked at: still `requested` after the wait, and never recorded. */
  checked: number;
  /** Their workflow had not started: this repair started it. */
  started: string[];
  /** Their workflow was running (the api stopped between starting and recording it): recorded. */
  recorded: string[];
  /** Their workflow had closed without building the site: the site and its request failed. */
  failed: string[];
}

/**
 * The repair of site requests whose api stopped between writing the site's rows and starting its
 * workflow (a crash, a deployment): such a site would stay `requested`, with a running provision
 * operation, for ever. A request repeated with its idempotency key mends itself; this finds the
 * others.
 *
 * A request is recorded by its `site.requested` event (dedupe key `request/<siteId>`), which the
 * api writes only once the workflow has started. So a stranded request is a site still
 * `requested` after the wait, with a running provision operation and no such event; a site whose
 * workflow ran and closed (and was then forgotten by Temporal) is never taken for one.
 */
export function createSiteRequestActivities(deps: {
  orm: Orm;
  config: BerthConfig;
  temporal: TemporalClientSource;
}) {
  /**
   * Starts the workflow of each stranded request (`olderThanSeconds` after it was made) that has
   * none, with the input the api would have given it, and records it. Safe to repeat and to run
   * twice at once: a start joins a running workflow, and the event is written once.
   */
  async function startStrandedSites(input: {
    olderThanSeconds: number;
  }): Promise<StrandedSitesReport> {
    const before = new Date(Date.now() - input.olderThanSeconds * 1000);
    const stranded = await strandedRequests(before);
    const client = await deps.temporal.get();
    const report: StrandedSitesReport = { checked: 0, started: [], recorded: [], failed: [] };
    for (const { site, operation } of stranded) {
      Context.current().heartbeat({ siteId: site.id });
      report.checked += 1;
      const state = await siteWorkflowState(client, site.id);
      if (state === 'none') {
        await startSiteWorkflow(client, deps.config, site, operation.id);
        await recordSiteRequested(deps.orm, site, startedByRepair);
        report.started.push(site.id);
      } else if (state === 'running') {
        await recordSiteRequested(deps.orm, site, recordedByRepair);
        report.recorded.push(site.id);
      } else {
        await forkEm(deps.orm).transactional((em) =>
          applyTransition(em, {
            siteId: site.id,
            to: 'failed',
            action: 'site.failed',
            summary: 'provisioning failed: its workflow closed before the site was built',
            finish: {
              operationId: operation.id,
              status: 'failed',
              error: 'the site workflow closed before the site was built',
            },
          }),
        );
        report.failed.push(site.id);
      }
    }
    return report;
  }

  /** Stranded requests made before `before`, oldest first, at most maxSitesPerRepair. */
  async function strandedRequests(before: Date): Promise<{ site: Site; operation: Operation }[]> {
    const em = forkEm(deps.orm);
    const found: { site: Site; operation: Operation }[] = [];
    let after: Site | undefined;
    while (found.length < maxSitesPerRepair) {
      const sites = await em.find(
        Site,
        {
          status: 'requested',
          createdAt: { $lt: before },
          ...(after
            ? {
                $or: [
                  { createdAt: { $gt: after.createdAt } },
                  { createdAt: after.createdAt, id: { $gt: after.id } },
                ],
              }
            : {}),
        },
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit: pageSize },
      );
      if (sites.length === 0) break;
      after = sites.at(-1);
      found.push(...(await unrecorded(em, sites)));
      if (sites.length < pageSize) break;
    }
    return found.slice(0, maxSitesPerRepair);
  }

  /** Of these sites, those with no request event and a running provision operation. */
  async function unrecorded(
    em: Em,
    sites: Site[],
  ): Promise<{ site: Site; operation: Operation }[]> {
    const recorded = new Set(
      (
        await em.find(
          SiteEvent,
          { dedupeKey: { $in: sites.map((site) => requestEventKey(site.id)) } },
          { fields: ['dedupeKey'] },
        )
      ).map((event) => event.dedupeKey),
    );
    const waiting = sites.filter((site) => !recorded.has(requestEventKey(site.id)));
    const operations = waiting.length
      ? await em.find(
          Operation,
          { siteId: { $in: waiting.map((site) => site.id) }, kind: 'provision', status: 'running' },
          { orderBy: { createdAt: 'asc' } },
        )
      : [];
    const bySite = new Map<string, Operation>();
    for (const operation of operations) {
      if (operation.siteId !== null && !bySite.has(operation.siteId)) {
        bySite.set(operation.siteId, operation);
      }
    }
    return waiting.flatMap((site) => {
      const operation = bySite.get(site.id);
      return operation ? [{ site, operation }] : [];
    });
  }

  return { startStrandedSites };
}

export type SiteRequestActivities = ReturnType<typeof createSiteRequestActivities>;
