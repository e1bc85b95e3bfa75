import { Context } from '@temporalio/activity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { SiteEvent, SiteSupport } from '../../libs/domain';
import { describeFailure } from '../../libs/failures';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { requestConfiguration } from '../records/request-configuration';

/** Supports ended per sweep at most; the next sweep takes the rest. */
export const maxSupportsPerSweep = 200;

export interface EndedSupportReport {
  /** `siteId/userId` of each support whose time was up and which this sweep removed. */
  ended: string[];
  /** Of those, the sites given a configuration run that takes the accounts away. */
  configured: string[];
  /** Supports whose site's workflow could not be reached: the next sweep tries again. */
  deferred: string[];
}

/**
 * The `site-support-expiry` schedule's work: ends operators' site supports whose time is up
 * (libs/domain/site-support.entity.ts). For each, it asks the site's workflow for a configuration
 * run (which leaves out every support whose time is up), then removes the row and writes the
 * site event that says so. A site that refuses a run (disabled, deleted) gets none; its next run
 * leaves the account out all the same. One support's failure does not hold up the others; the
 * sweep fails (and is retried) only when it could end none of those it tried.
 */
export function createSupportActivities(deps: { orm: Orm; temporal: TemporalClientSource }) {
  async function endExpiredSupport(): Promise<EndedSupportReport> {
    const now = new Date();
    const expired = await forkEm(deps.orm).find(
      SiteSupport,
      { until: { $lte: now } },
      { orderBy: [{ until: 'asc' }, { id: 'asc' }], limit: maxSupportsPerSweep },
    );
    const report: EndedSupportReport = { ended: [], configured: [], deferred: [] };
    const { workflowExecution } = Context.current().info;
    for (const support of expired) {
      Context.current().heartbeat(support.id);
      const who = `${support.siteId}/${support.userId}`;
      // The run first, then the row: a retry after a stop in between finds the row and asks again
      // under the same key, which is the same operation.
      let requested: boolean;
      try {
        ({ requested } = await requestConfiguration(deps, {
          siteId: support.siteId,
          idempotencyKey: `support-expiry/${support.id}/${support.until.getTime()}`,
        }));
      } catch (error) {
        Context.current().log.warn(
          'asking for a run to end a support failed; the next sweep tries again',
          {
            support: who,
            error: describeFailure(error),
          },
        );
        report.deferred.push(who);
        continue;
      }
      if (requested) report.configured.push(support.siteId);
      // The row and its event together. Guarded: an operator may have asked for more time since
      // it was read, and then the support goes on.
      const removed = await forkEm(deps.orm).transactional(async (tx) => {
        const count = await tx.nativeDelete(SiteSupport, { id: support.id, until: { $lte: now } });
        if (count === 1) {
          tx.persist(
            new SiteEvent({
              siteId: support.siteId,
              actor: 'system',
              action: 'support.ended',
              summary: `${support.userId}'s support of the site ended: its time was up`,
              workflowId: workflowExecution?.workflowId ?? null,
              runId: workflowExecution?.runId ?? null,
              dedupeKey: `support.ended/${support.id}/${support.until.getTime()}`,
            }),
          );
        }
        return count;
      });
      if (removed === 1) report.ended.push(who);
    }
    if (report.deferred.length > 0 && report.ended.length === 0) {
      throw new Error(`no expired support could be ended (${report.deferred.length} tried)`);
    }
    return report;
  }

  return { endExpiredSupport };
}

export type SupportActivities = ReturnType<typeof createSupportActivities>;
