import { Context } from '@temporalio/activity';
import { type BerthConfig } from '../../libs/config';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Operation, Site, SiteEvent } from '../../libs/domain';
import { describeFailure } from '../../libs/failures';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowId } from '../../libs/temporal/names';
import { siteChangeRefusal } from '../../libs/temporal/site-change-refusal';
import { upgradeRoom, upgradeTarget } from '../../libs/upgrades/upgrade-queue';
import { changeSiteUpdate, siteStateQuery } from '../../workflows/site.messages';

/** Queued upgrades sent per run at most; the next run sends more if there is room. */
export const maxUpgradesPerRun = 50;

/** The step a claimed upgrade shows until its workflow reports progress. */
export const startingStep = 'starting';

export interface QueuedUpgradesReport {
  /** Upgrades running when the run began (claimed ones not yet delivered included). */
  running: number;
  /** Operations this run delivered to their sites' workflows, which accepted them. */
  started: string[];
  /** Operations that cannot start (site deleted, not due, refused), failed with the reason. */
  failed: string[];
  /** Claimed, but their workflow could not be reached: the next run delivers them. */
  deferred: string[];
  /** Still queued after the run. */
  queued: number;
}

type Outcome = 'started' | 'held' | 'failed' | 'deferred' | 'skipped';

/**
 * The `upgrade-queue` schedule's work (libs/upgrades). Each run:
 * 1. fails the queued upgrades of deleted sites, which would otherwise wait (and make every new
 *    upgrade wait behind them) until their turn;
 * 2. delivers upgrades claimed earlier but not known to have arrived (a worker stopped between
 *    claiming and sending, or the engine did not answer): the workflow is asked first whether it
 *    holds the operation, and sent it only if not, so nothing is sent twice after its
 *    continue-as-new (when Temporal no longer recognises the Update id);
 * 3. claims (queued → running, step `starting`) the oldest queued upgrades there is room for
 *    under BERTH_MAX_PENDING_UPGRADES, and delivers each as the site's `upgrade` Update, with the
 *    operation's id as the Update id. A claim is a guarded write, so two runs, or a site admin
 *    calling the upgrade off at that moment, never both act on one operation.
 * One operation's failure does not hold up the others; the run fails (and is retried) only when
 * it could deliver none of what it tried.
 */
export function createUpgradeQueueActivities(deps: {
  orm: Orm;
  config: BerthConfig;
  temporal: TemporalClientSource;
}) {
  async function startQueuedUpgrades(): Promise<QueuedUpgradesReport> {
    const report: QueuedUpgradesReport = {
      running: 0,
      started: [],
      failed: [],
      deferred: [],
      queued: 0,
    };
    const note = (operation: Operation, outcome: Outcome) => {
      if (outcome === 'started' || outcome === 'failed' || outcome === 'deferred') {
        report[outcome].push(operation.id);
      }
    };

    for (const operation of await queuedOnDeletedSites()) {
      if (await claim(operation)) {
        await fail(operation, 'not started: the site was deleted');
        note(operation, 'failed');
      }
    }
    const em = forkEm(deps.orm);
    const claimed = await em.find(
      Operation,
      { kind: 'upgrade', status: 'running', step: startingStep },
      { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], limit: maxUpgradesPerRun },
    );
    for (const operation of claimed) note(operation, await deliver(operation));

    const { running, room } = await upgradeRoom(em, deps.config.os.maxPendingUpgrades);
    report.running = running;
    const waiting =
      room === 0
        ? []
        : await em.find(
            Operation,
            { kind: 'upgrade', status: 'queued' },
            {
              orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
              limit: Math.min(room, maxUpgradesPerRun),
            },
          );
    for (const operation of waiting) {
      if (await claim(operation)) note(operation, await deliver(operation));
    }
    report.queued = await forkEm(deps.orm).count(Operation, { kind: 'upgrade', status: 'queued' });
    if (report.deferred.length > 0 && report.started.length === 0 && report.failed.length === 0) {
      throw new Error(`no queued upgrade could be delivered (${report.deferred.length} tried)`);
    }
    return report;
  }

  async function queuedOnDeletedSites(): Promise<Operation[]> {
    const em = forkEm(deps.orm);
    const queued = await em.find(Operation, { kind: 'upgrade', status: 'queued' });
    if (queued.length === 0) return [];
    const siteIds = [...new Set(queued.map((operation) => operation.siteId!))];
    const live = await em.find(
      Site,
      { id: { $in: siteIds }, status: { $ne: 'deleted' } },
      { fields: ['id'] },
    );
    const liveIds = new Set(live.map((site) => site.id));
    return queued.filter((operation) => !liveIds.has(operation.siteId!));
  }

  /** queued → running, step `starting`: false when it was called off or taken meanwhile. */
  async function claim(operation: Operation): Promise<boolean> {
    const claimed = await forkEm(deps.orm).nativeUpdate(
      Operation,
      { id: operation.id, status: 'queued' },
      { status: 'running', step: startingStep, updatedAt: new Date() },
    );
    return claimed === 1;
  }

  /** Sends a claimed upgrade to its site's workflow, unless the workflow holds it already. */
  async function deliver(operation: Operation): Promise<Outcome> {
    Context.current().heartbeat(operation.id);
    const siteId = operation.siteId!;
    const em = forkEm(deps.orm);
    const site = await em.findOne(Site, siteId, { fields: ['status'] });
    if (!site || site.status === 'deleted') {
      await fail(operation, 'not started: the site was deleted');
      return 'failed';
    }
    const handle = (await deps.temporal.get()).workflow.getHandle(siteWorkflowId(siteId));
    try {
      const state = await handle.query(siteStateQuery);
      if (state.heldOperations?.includes(operation.id)) return 'held';
      // Decided now, not when it was queued: an operator may have changed the plan meanwhile.
      const image = await upgradeTarget(em, siteId, deps.config.os.upgrades);
      if (image === undefined) {
        await fail(operation, 'not started: the site’s server runs an OS image with no upgrade');
        return 'failed';
      }
      await handle.executeUpdate(changeSiteUpdate, {
        updateId: operation.id,
        args: [
          {
            operationId: operation.id,
            actor: operation.requestedBy,
            change: { kind: 'upgrade', image },
          },
        ],
      });
      await audit(operation, 'upgrade.dequeued', `queued upgrade to ${image} started`);
      return 'started';
    } catch (error) {
      const refused = siteChangeRefusal(error);
      if (refused !== undefined) {
        await fail(operation, `not started: ${refused}`);
        return 'failed';
      }
      // Not known to have arrived: it stays claimed, and the next run asks the workflow again.
      Context.current().log.warn('delivering a queued upgrade failed; the next run tries again', {
        operationId: operation.id,
        siteId,
        error: describeFailure(error),
      });
      return 'deferred';
    }
  }

  /** Ends a claimed operation that cannot start, with why, and audits it. */
  async function fail(operation: Operation, error: string): Promise<void> {
    const now = new Date();
    await forkEm(deps.orm).nativeUpdate(
      Operation,
      { id: operation.id, status: 'running' },
      { status: 'failed', step: 'not started', error, finishedAt: now, updatedAt: now },
    );
    await audit(operation, 'upgrade.not-started', `queued upgrade ${error}`);
  }

  async function audit(operation: Operation, action: string, summary: string): Promise<void> {
    const { workflowExecution } = Context.current().info;
    const em = forkEm(deps.orm);
    const dedupeKey = `${action}/${operation.id}`;
    // Once per operation, whichever attempt of the run gets here first.
    if (await em.findOne(SiteEvent, { dedupeKey })) return;
    await em.persistAndFlush(
      new SiteEvent({
        siteId: operation.siteId!,
        actor: 'system',
        action,
        summary: summary.slice(0, 500),
        workflowId: workflowExecution?.workflowId ?? null,
        runId: workflowExecution?.runId ?? null,
        dedupeKey,
      }),
    );
  }

  return { startQueuedUpgrades };
}

export type UpgradeQueueActivities = ReturnType<typeof createUpgradeQueueActivities>;
