import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type BerthConfig } from '../../libs/config';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Operation, Site, SiteEvent } from '../../libs/domain';
import { type TemporalClientSource } from '../../libs/temporal/lazy-client';
import { siteWorkflowId } from '../../libs/temporal/names';
import { upgradeRoom, upgradeTarget } from '../../libs/upgrades/upgrade-queue';
import { changeSiteUpdate } from '../../workflows/site.messages';

/** Queued upgrades sent per run at most; the next run sends more if there is room. */
export const maxUpgradesPerRun = 50;

export interface QueuedUpgradesReport {
  /** Upgrades running when the run began, and the room it found. */
  running: number;
  /** Operations sent to their sites' workflows, which accepted them. */
  started: string[];
  /** Operations that could not start (site deleted, not due, refused), failed with the reason. */
  failed: string[];
  /** Still queued after the run. */
  queued: number;
}

/**
 * The `upgrade-queue` schedule's work (libs/upgrades): sends the oldest queued upgrades to their
 * sites' workflows while fewer than BERTH_MAX_PENDING_UPGRADES upgrades run. Each operation is
 * claimed (queued → running) before it is sent, so two runs, or a site admin calling it off at
 * the same moment, never both act on it; its id is the Update id, so a resend is one upgrade.
 */
export function createUpgradeQueueActivities(deps: {
  orm: Orm;
  config: BerthConfig;
  temporal: TemporalClientSource;
}) {
  async function startQueuedUpgrades(): Promise<QueuedUpgradesReport> {
    const em = forkEm(deps.orm);
    const { running, room } = await upgradeRoom(em, deps.config.os.maxPendingUpgrades);
    const report: QueuedUpgradesReport = { running, started: [], failed: [], queued: 0 };
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
      Context.current().heartbeat(operation.id);
      const outcome = await start(operation);
      if (outcome === 'started') report.started.push(operation.id);
      else if (outcome === 'failed') report.failed.push(operation.id);
    }
    report.queued = await forkEm(deps.orm).count(Operation, { kind: 'upgrade', status: 'queued' });
    return report;
  }

  async function start(operation: Operation): Promise<'started' | 'failed' | 'skipped'> {
    const siteId = operation.siteId!;
    const claimed = await forkEm(deps.orm).nativeUpdate(
      Operation,
      { id: operation.id, status: 'queued' },
      { status: 'running', step: 'starting', updatedAt: new Date() },
    );
    // Called off, or taken by another run, since it was read.
    if (claimed !== 1) return 'skipped';
    const em = forkEm(deps.orm);
    const site = await em.findOne(Site, siteId, { fields: ['status'] });
    if (!site || site.status === 'deleted') {
      await fail(operation, 'not started: the site was deleted');
      return 'failed';
    }
    const image = await upgradeTarget(em, siteId, deps.config.os.upgrades);
    if (image === undefined) {
      await fail(operation, 'not started: the site’s server runs an OS image with no upgrade');
      return 'failed';
    }
    try {
      await (
        await deps.temporal.get()
      ).workflow
        .getHandle(siteWorkflowId(siteId))
        .executeUpdate(changeSiteUpdate, {
          updateId: operation.id,
          args: [
            {
              operationId: operation.id,
              actor: operation.requestedBy,
              change: { kind: 'upgrade', image },
            },
          ],
        });
    } catch (error) {
      if (
        error instanceof WorkflowUpdateFailedError &&
        error.cause instanceof ApplicationFailure &&
        (error.cause.type === 'IllegalTransition' || error.cause.type === 'InvalidChange')
      ) {
        await fail(operation, `not started: ${error.cause.message}`);
        return 'failed';
      }
      // Not known to be accepted: queued again, for this run's retry or the next run.
      await forkEm(deps.orm).nativeUpdate(
        Operation,
        { id: operation.id, status: 'running', step: 'starting' },
        { status: 'queued', step: operation.step, updatedAt: new Date() },
      );
      throw error;
    }
    const { workflowExecution } = Context.current().info;
    await forkEm(deps.orm).persistAndFlush(
      new SiteEvent({
        siteId,
        actor: 'system',
        action: 'upgrade.dequeued',
        summary: `queued upgrade to ${image} started: there was room`,
        workflowId: workflowExecution?.workflowId ?? null,
        runId: workflowExecution?.runId ?? null,
        dedupeKey: `upgrade.dequeued/${operation.id}`,
      }),
    );
    return 'started';
  }

  /** Ends a claimed operation that cannot start, with why, and audits it. */
  async function fail(operation: Operation, error: string): Promise<void> {
    const now = new Date();
    await forkEm(deps.orm).transactional(async (tx) => {
      await tx.nativeUpdate(
        Operation,
        { id: operation.id, status: 'running' },
        { status: 'failed', step: 'not started', error, finishedAt: now, updatedAt: now },
      );
      tx.persist(
        new SiteEvent({
          siteId: operation.siteId!,
          actor: 'system',
          action: 'upgrade.not-started',
          summary: `queued upgrade ${error}`.slice(0, 500),
          dedupeKey: `upgrade.not-started/${operation.id}`,
        }),
      );
    });
  }

  return { startQueuedUpgrades };
}

export type UpgradeQueueActivities = ReturnType<typeof createUpgradeQueueActivities>;
