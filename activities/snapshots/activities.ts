import { Context } from '@temporalio/activity';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { forkEm, type Orm } from '../../libs/db/orm';
import { SiteEvent, SiteSnapshot } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { heartbeat, hypervisorFailure } from '../hypervisor/activities';
import { type Hypervisor } from '../hypervisor/port';

export interface SiteSnapshotInput {
  siteId: string;
  vmId: string;
  name: string;
  actor: string;
}

/**
 * Snapshots of a site's server, taken, reverted to and removed on the hypervisor and recorded in
 * `site_snapshot` with an audit event. Each step is idempotent, so a retried activity or a
 * replayed workflow repeats nothing: the hypervisor keeps one snapshot per name, and the row and
 * the event are written once.
 */
export function createSnapshotActivities(deps: {
  hypervisor: Hypervisor;
  orm: Orm;
  maxPerSite: number;
}) {
  /** Takes the snapshot unless the site is at its limit or the name is another server's. */
  async function takeSiteSnapshot(input: SiteSnapshotInput): Promise<void> {
    const em = forkEm(deps.orm);
    const existing = await em.findOne(SiteSnapshot, { siteId: input.siteId, name: input.name });
    if (existing && existing.vmId !== input.vmId) {
      throw failure('SnapshotRefused', `the site already has a snapshot named ${input.name}`);
    }
    if (!existing) {
      const count = await em.count(SiteSnapshot, { siteId: input.siteId });
      if (count >= deps.maxPerSite) {
        throw failure(
          'SnapshotRefused',
          `the site has ${count} snapshots, the most it may keep; delete one first`,
        );
      }
    }
    try {
      await deps.hypervisor.createSnapshot(input.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(
        `taking snapshot ${input.name} of server ${input.vmId} failed`,
        error,
      );
    }
    if (existing) return;
    try {
      await forkEm(deps.orm).transactional((tx) => {
        tx.persist(
          new SiteSnapshot({
            id: randomUUID(),
            siteId: input.siteId,
            vmId: input.vmId,
            name: input.name,
            createdBy: input.actor,
          }),
        );
        tx.persist(
          audit(input, 'snapshot.created', `snapshot ${input.name} taken by ${input.actor}`),
        );
      });
    } catch (error) {
      // A retry after the row was written: it is there, and so is its event.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  /** Returns the server to the snapshot; the workflow powers it on and configures it after. */
  async function revertToSiteSnapshot(input: SiteSnapshotInput): Promise<void> {
    const em = forkEm(deps.orm);
    const row = await em.findOne(SiteSnapshot, { siteId: input.siteId, name: input.name });
    if (!row || row.vmId !== input.vmId) {
      throw failure('SnapshotRefused', `the site has no snapshot named ${input.name}`);
    }
    try {
      await deps.hypervisor.revertSnapshot(input.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(
        `reverting server ${input.vmId} to snapshot ${input.name} failed`,
        error,
      );
    }
    await appendOnce(
      audit(
        input,
        'snapshot.reverted',
        `server reverted to snapshot ${input.name} by ${input.actor}`,
      ),
    );
  }

  /** Removes the snapshot from the hypervisor, then its row; a missing one is already removed. */
  async function removeSiteSnapshot(input: SiteSnapshotInput): Promise<void> {
    const em = forkEm(deps.orm);
    const row = await em.findOne(SiteSnapshot, { siteId: input.siteId, name: input.name });
    if (!row) return;
    try {
      await deps.hypervisor.removeSnapshot(row.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(
        `removing snapshot ${input.name} of server ${row.vmId} failed`,
        error,
      );
    }
    await forkEm(deps.orm).transactional(async (tx) => {
      await tx.nativeDelete(SiteSnapshot, { id: row.id });
      tx.persist(
        audit(input, 'snapshot.deleted', `snapshot ${input.name} deleted by ${input.actor}`),
      );
    });
  }

  /** Once per activity execution, whatever its retries (the key names the workflow's call). */
  async function appendOnce(event: SiteEvent): Promise<void> {
    const em = forkEm(deps.orm);
    if (event.dedupeKey && (await em.findOne(SiteEvent, { dedupeKey: event.dedupeKey }))) return;
    await em.persistAndFlush(event);
  }

  return { takeSiteSnapshot, revertToSiteSnapshot, removeSiteSnapshot };
}

export type SnapshotActivities = ReturnType<typeof createSnapshotActivities>;

/** An audit event by the user who asked, attributed to the workflow run and activity. */
function audit(input: SiteSnapshotInput, action: string, summary: string): SiteEvent {
  const { activityId, workflowExecution } = Context.current().info;
  const runId = workflowExecution?.runId ?? null;
  return new SiteEvent({
    siteId: input.siteId,
    actor: input.actor,
    action,
    summary: summary.slice(0, 500),
    workflowId: workflowExecution?.workflowId ?? null,
    runId,
    dedupeKey: runId ? `${runId}/${activityId}` : null,
  });
}
