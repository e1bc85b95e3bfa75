import { Context } from '@temporalio/activity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { SiteSupport } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { requestConfiguration } from '../records/request-configuration';

/** Supports ended per sweep at most; the next sweep takes the rest. */
export const maxSupportsPerSweep = 200;

export interface EndedSupportReport {
  /** `siteId/userId` of each support whose time was up and which this sweep removed. */
  ended: string[];
  /** Of those, the sites given a configuration run that takes the accounts away. */
  configured: string[];
}

/**
 * The `site-support-expiry` schedule's work: removes operators' site supports whose time is up
 * (libs/domain/site-support.entity.ts) and asks each site's workflow for a configuration run,
 * which takes their accounts off its servers. A site whose status refuses a run (disabled,
 * deleted) gets none; its next run leaves the account out anyway, since a run's people are only
 * the supports still in time.
 */
export function createSupportActivities(deps: { orm: Orm; temporal: TemporalClientSource }) {
  async function endExpiredSupport(): Promise<EndedSupportReport> {
    const now = new Date();
    const expired = await forkEm(deps.orm).find(
      SiteSupport,
      { until: { $lte: now } },
      { orderBy: [{ until: 'asc' }, { id: 'asc' }], limit: maxSupportsPerSweep },
    );
    const report: EndedSupportReport = { ended: [], configured: [] };
    const { workflowExecution } = Context.current().info;
    for (const support of expired) {
      Context.current().heartbeat(support.id);
      // The run first, then the row: a run leaves out supports whose time is up whether their
      // rows are there or not, and a retry after a stop in between finds the row and asks again
      // under the same key, which is the same operation.
      const result = await requestConfiguration(deps, {
        siteId: support.siteId,
        idempotencyKey: `support-expiry/${support.id}/${support.until.getTime()}`,
        event: {
          action: 'support.ended',
          summary: `${support.userId}'s support of the site ended: its time was up`,
          workflowId: workflowExecution?.workflowId ?? null,
          runId: workflowExecution?.runId ?? null,
        },
      });
      // Guarded: an operator may have asked for more time since it was read.
      const removed = await forkEm(deps.orm).nativeDelete(SiteSupport, {
        id: support.id,
        until: { $lte: now },
      });
      if (removed === 1) report.ended.push(`${support.siteId}/${support.userId}`);
      if (result.requested) report.configured.push(support.siteId);
    }
    return report;
  }

  return { endExpiredSupport };
}

export type SupportActivities = ReturnType<typeof createSupportActivities>;
