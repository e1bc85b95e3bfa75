import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { forkEm, type Orm } from '../../libs/db/orm';
import { type BackupPolicy, backupName, backupsToKeep } from '../../libs/domain/backup-retention';
import { SiteBackup, SiteEvent } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { heartbeat, hypervisorFailure } from '../hypervisor/activities';
import { type Hypervisor } from '../hypervisor/port';

export interface TakeSiteBackupInput {
  siteId: string;
  vmId: string;
  /** When the backup is due, an ISO time the workflow chose: its UTC date names the backup. */
  at: string;
  /** Who asked: `system` for the nightly one, the user for one taken on demand. */
  actor?: string;
}

export interface TakeSiteBackupResult {
  name: string;
  /** False when the server already had a backup of that date (another run took it). */
  taken: boolean;
}

export interface PruneSiteBackupsInput {
  siteId: string;
  vmId: string;
  actor: string;
}

export interface CheckBackupExistsInput {
  siteId: string;
  /** `YYYY-MM-DD`. */
  name: string;
}

/**
 * Nightly backups of a site's servers: snapshots on the hypervisor named by their UTC date,
 * recorded in `site_backup` with an audit event, and pruned to the retention policy. Called by
 * the site workflow; each activity is idempotent, so a retry or a replay repeats nothing: the
 * hypervisor keeps one snapshot per name, and each row and event is written once.
 */
export function createBackupActivities(deps: {
  hypervisor: Hypervisor;
  orm: Orm;
  policy: BackupPolicy;
}) {
  /** Takes the server's backup of the date of `at`, unless it has one of that date already. */
  async function takeSiteBackup(input: TakeSiteBackupInput): Promise<TakeSiteBackupResult> {
    const name = backupName(new Date(input.at));
    const key = { siteId: input.siteId, vmId: input.vmId, name };
    const actor = input.actor ?? 'system';
    const taken = audit(
      input.siteId,
      actor,
      'backup.taken',
      name,
      actor === 'system' ? `nightly backup ${name} taken` : `backup ${name} taken by ${actor}`,
    );
    if (await forkEm(deps.orm).findOne(SiteBackup, key)) return { name, taken: await wrote(taken) };
    try {
      await deps.hypervisor.createSnapshot(input.vmId, name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(`taking backup ${name} of server ${input.vmId} failed`, error);
    }
    try {
      await forkEm(deps.orm).transactional((tx) => {
        tx.persist(new SiteBackup({ id: randomUUID(), ...key, takenAt: new Date() }));
        tx.persist(taken);
      });
    } catch (error) {
      // Another run wrote the row first (with its own event): the backup is there, not ours.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return { name, taken: await wrote(taken) };
    }
    return { name, taken: true };
  }

  /**
   * Removes the server's backups the policy does not keep: from the hypervisor, then the row
   * with its event. Returns those this call removed; a repeated call finds them gone.
   */
  async function pruneSiteBackups(input: PruneSiteBackupsInput): Promise<{ removed: string[] }> {
    const rows = await forkEm(deps.orm).find(SiteBackup, {
      siteId: input.siteId,
      vmId: input.vmId,
    });
    const keep = backupsToKeep(
      rows.map((row) => row.name),
      deps.policy,
    );
    const removed: string[] = [];
    for (const row of rows.filter((candidate) => !keep.has(candidate.name)).sort(byName)) {
      try {
        await deps.hypervisor.removeSnapshot(row.vmId, row.name, heartbeat());
      } catch (error) {
        throw hypervisorFailure(`removing backup ${row.name} of server ${row.vmId} failed`, error);
      }
      const gone = await forkEm(deps.orm).transactional(async (tx) => {
        if ((await tx.nativeDelete(SiteBackup, { id: row.id })) === 0) return false;
        tx.persist(
          audit(
            input.siteId,
            input.actor,
            'backup.removed',
            row.name,
            `backup ${row.name} removed by the retention policy`,
          ),
        );
        return true;
      });
      if (gone) removed.push(row.name);
    }
    return { removed };
  }

  /** The server whose backup of that date a restore uses: the newest-taken, if several have one. */
  async function checkBackupExists(input: CheckBackupExistsInput): Promise<{ vmId: string }> {
    const row = await forkEm(deps.orm).findOne(
      SiteBackup,
      { siteId: input.siteId, name: input.name },
      { orderBy: [{ takenAt: 'desc' }, { id: 'desc' }] },
    );
    if (!row) throw failure('SnapshotRefused', `the site has no backup of ${input.name}`);
    return { vmId: row.vmId };
  }

  /** Whether this activity execution wrote the event (in the same transaction as its row). */
  async function wrote(event: SiteEvent): Promise<boolean> {
    if (!event.dedupeKey) return false;
    return (await forkEm(deps.orm).count(SiteEvent, { dedupeKey: event.dedupeKey })) > 0;
  }

  return { takeSiteBackup, pruneSiteBackups, checkBackupExists };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;

function byName(a: SiteBackup, b: SiteBackup): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * An audit event attributed to the workflow run and activity; keyed per backup too, since one
 * pruning removes several.
 */
function audit(
  siteId: string,
  actor: string,
  action: string,
  backup: string,
  summary: string,
): SiteEvent {
  const { activityId, workflowExecution } = Context.current().info;
  const runId = workflowExecution?.runId ?? null;
  return new SiteEvent({
    siteId,
    actor,
    action,
    summary: summary.slice(0, 500),
    workflowId: workflowExecution?.workflowId ?? null,
    runId,
    dedupeKey: runId ? `${runId}/${activityId}/${backup}` : null,
  });
}
