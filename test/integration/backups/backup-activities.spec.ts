import { type Info } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupActivities } from '../../../activities/backups/activities';
import { SimulatedHypervisor } from '../../../activities/hypervisor/simulated/simulated-hypervisor';
import { createRecordsActivities } from '../../../activities/records/activities';
import { forkEm } from '../../../libs/db/orm';
import { backupName, backupsToKeep } from '../../../libs/domain/backup-retention';
import { SiteBackup, SiteEvent, SiteSnapshot } from '../../../libs/domain';
import { createLogger } from '../../../libs/logger';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';
import { testVmSpec } from '../../helpers/vm-spec';

/**
 * The nightly backup activities on the simulated hypervisor and a real database: a backup is
 * taken once however often its activity runs, pruning leaves exactly what the retention policy
 * keeps on the hypervisor and in the rows, and a restore finds the backup it names or is refused.
 */

const quiet = new DefaultLogger('ERROR');
const policy = { keepDaily: 7, keepWeekly: 4 };

/** One activity execution: its retries share the run and activity ids, so the dedupe key. */
function execution(): MockActivityEnvironment {
  const info: Partial<Info> = {
    activityId: randomUUID(),
    workflowExecution: { workflowId: `site-${randomUUID()}`, runId: randomUUID() },
  };
  return new MockActivityEnvironment(info, { logger: quiet });
}

/** Runs an activity in `attempt` (a new execution unless given), typed as the activity is. */
function run<I, O>(
  activity: (input: I) => Promise<O>,
  input: I,
  attempt = execution(),
): Promise<O> {
  return attempt.run<[I], O, typeof activity>(activity, input);
}

/** `count` consecutive days ending on `last`, as the ISO times nightly backups fall due. */
function nights(last: string, count: number): string[] {
  const end = new Date(`${last}T02:00:00Z`).getTime();
  return Array.from({ length: count }, (_, i) =>
    new Date(end - (count - 1 - i) * 86_400_000).toISOString(),
  );
}

describe.each(databaseKinds)('backup activities on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;
  let hypervisor: SimulatedHypervisor;
  let activities: ReturnType<typeof createBackupActivities>;

  beforeAll(async () => {
    if (skip) return;
    db = await startDatabase(kind);
    hypervisor = new SimulatedHypervisor(db.orm, {
      // No install finishes: these tests are about the machine's snapshots.
      installDelayMs: 600_000,
      log: createLogger({ level: 'silent', name: 'backups' }),
    });
    activities = createBackupActivities({ hypervisor, orm: db.orm, policy });
  });
  afterAll(async () => {
    await hypervisor?.close();
    await db?.stop();
  });

  /** A new site with one server on the hypervisor. */
  async function aServer(siteId: string = randomUUID()): Promise<{ siteId: string; vmId: string }> {
    const { vmId } = await hypervisor.createVm(testVmSpec('backups', { siteId }));
    return { siteId, vmId };
  }

  async function snapshotNames(vmId: string): Promise<string[]> {
    return (await hypervisor.listSnapshots(vmId)).map((snapshot) => snapshot.name).sort();
  }

  async function rowNames(siteId: string, vmId: string): Promise<string[]> {
    const rows = await forkEm(db.orm).find(SiteBackup, { siteId, vmId });
    return rows.map((row) => row.name).sort();
  }

  async function events(siteId: string, action: string): Promise<SiteEvent[]> {
    return forkEm(db.orm).find(SiteEvent, { siteId, action }, { orderBy: { id: 'asc' } });
  }

  async function take(server: { siteId: string; vmId: string }, at: string) {
    return run(activities.takeSiteBackup, { ...server, at });
  }

  it.skipIf(skip)('takes a backup once, whatever the retries', async () => {
    const server = await aServer();
    const attempt = execution();
    const input = { ...server, at: '2026-12-05T02:17:00.000Z' };
    for (let retry = 0; retry < 3; retry++) {
      expect(await run(activities.takeSiteBackup, input, attempt)).toEqual({
        name: '2026-12-05',
        taken: true,
      });
    }
    expect(await snapshotNames(server.vmId)).toEqual(['2026-12-05']);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(['2026-12-05']);
    const taken = await events(server.siteId, 'backup.taken');
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ actor: 'system', summary: 'nightly backup 2026-12-05 taken' });
  });

  it.skipIf(skip)('takes nothing new for a date the server has a backup of', async () => {
    const server = await aServer();
    expect(await take(server, '2026-12-05T02:00:00.000Z')).toEqual({
      name: '2026-12-05',
      taken: true,
    });
    // Another run on the same night, later in the day.
    expect(await take(server, '2026-12-05T21:00:00.000Z')).toEqual({
      name: '2026-12-05',
      taken: false,
    });
    expect(await snapshotNames(server.vmId)).toEqual(['2026-12-05']);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(['2026-12-05']);
    expect(await events(server.siteId, 'backup.taken')).toHaveLength(1);
  });

  it.skipIf(skip)('takes a backup once when two runs take it at the same time', async () => {
    const server = await aServer();
    const at = '2026-12-06T02:00:00.000Z';
    const results = await Promise.all([take(server, at), take(server, at)]);
    expect(results.map((result) => result.taken).sort()).toEqual([false, true]);
    expect(await snapshotNames(server.vmId)).toEqual(['2026-12-06']);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(['2026-12-06']);
    expect(await events(server.siteId, 'backup.taken')).toHaveLength(1);
  });

  it.skipIf(skip)('names a backup by the UTC date it fell due', async () => {
    const server = await aServer();
    const { name } = await take(server, '2026-12-05T23:30:00-02:00');
    expect(name).toBe('2026-12-06');
    expect(await snapshotNames(server.vmId)).toEqual(['2026-12-06']);
  });

  it.skipIf(skip)('refuses, for good, to back up a server the hypervisor lacks', async () => {
    const server = { siteId: randomUUID(), vmId: randomUUID() };
    const error = await take(server, '2026-12-05T02:00:00.000Z').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'HypervisorNotFound', nonRetryable: true });
    expect(await rowNames(server.siteId, server.vmId)).toEqual([]);
  });

  it.skipIf(skip)('prunes a server’s backups to exactly the policy’s set', async () => {
    const server = await aServer();
    const dueTimes = nights('2026-12-20', 40);
    for (const at of dueTimes) await take(server, at);
    const dates = dueTimes.map((at) => backupName(new Date(at)));
    const kept = [...backupsToKeep(dates, policy)].sort();
    // 7 daily backups, and the newest of the three weeks before (Sundays).
    expect(kept).toEqual(['2026-11-29', '2026-12-06', '2026-12-13', ...dates.slice(-7)]);
    // The same site's other server keeps its own backups, whatever this one's pruning does.
    const other = await aServer(server.siteId);
    for (const at of nights('2026-11-01', 3)) await take(other, at);

    const attempt = execution();
    const input = { ...server, actor: 'alice' };
    const { removed } = await run(activities.pruneSiteBackups, input, attempt);

    expect(removed).toEqual(dates.filter((date) => !kept.includes(date)));
    expect(removed).toHaveLength(30);
    expect(await snapshotNames(server.vmId)).toEqual(kept);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(kept);
    const removals = await events(server.siteId, 'backup.removed');
    expect(removals.map((event) => event.summary)).toEqual(
      removed.map((name) => `backup ${name} removed by the retention policy`),
    );
    expect(removals.every((event) => event.actor === 'alice')).toBe(true);
    expect(await snapshotNames(other.vmId)).toEqual(['2026-10-30', '2026-10-31', '2026-11-01']);

    // A retry, and a later run, find nothing more to remove.
    expect(await run(activities.pruneSiteBackups, input, attempt)).toEqual({ removed: [] });
    expect(await run(activities.pruneSiteBackups, input)).toEqual({ removed: [] });
    expect(await snapshotNames(server.vmId)).toEqual(kept);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(kept);
    expect(await events(server.siteId, 'backup.removed')).toHaveLength(30);
  });

  it.skipIf(skip)('prunes a backup the hypervisor already let go of', async () => {
    // A retry after the snapshot went but before its row did.
    const server = await aServer();
    for (const at of nights('2026-12-20', 9)) await take(server, at);
    await hypervisor.removeSnapshot(server.vmId, '2026-12-12');
    const { removed } = await run(activities.pruneSiteBackups, {
      ...server,
      actor: 'system',
    });
    expect(removed).toEqual(['2026-12-12']);
    expect(await rowNames(server.siteId, server.vmId)).toEqual(await snapshotNames(server.vmId));
    expect(await rowNames(server.siteId, server.vmId)).toHaveLength(8);
  });

  it.skipIf(skip)('finds the server of a backup, the newest-taken of several', async () => {
    const first = await aServer();
    await take(first, '2026-12-05T02:00:00.000Z');
    expect(
      await run(activities.checkBackupExists, {
        siteId: first.siteId,
        name: '2026-12-05',
      }),
    ).toEqual({ vmId: first.vmId });
    // After a switch to the test server, that server's backup of the same date.
    const second = await aServer(first.siteId);
    await take(second, '2026-12-05T23:00:00.000Z');
    expect(
      await run(activities.checkBackupExists, {
        siteId: first.siteId,
        name: '2026-12-05',
      }),
    ).toEqual({ vmId: second.vmId });
  });

  it.skipIf(skip)('refuses, for good, a backup the site does not have', async () => {
    const server = await aServer();
    await take(server, '2026-12-05T02:00:00.000Z');
    for (const input of [
      { siteId: server.siteId, name: '2026-12-04' },
      // Another site's backup is not this one's.
      { siteId: randomUUID(), name: '2026-12-05' },
    ]) {
      const error = await run(activities.checkBackupExists, input).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({
        type: 'SnapshotRefused',
        nonRetryable: true,
        message: `the site has no backup of ${input.name}`,
      });
    }
  });

  it.skipIf(skip)('forgets the backups and snapshots of a destroyed server', async () => {
    const server = await aServer();
    const other = await aServer(server.siteId);
    await take(server, '2026-12-05T02:00:00.000Z');
    await take(other, '2026-12-05T02:00:00.000Z');
    await forkEm(db.orm).persistAndFlush(
      new SiteSnapshot({ id: randomUUID(), ...server, name: 'before-upgrade', createdBy: 'alice' }),
    );
    await hypervisor.destroyVm(server.vmId);
    const records = createRecordsActivities({ orm: db.orm });
    await run(records.forgetServer, { vmId: server.vmId });
    await run(records.forgetServer, { vmId: server.vmId });
    expect(await rowNames(server.siteId, server.vmId)).toEqual([]);
    expect(await forkEm(db.orm).count(SiteSnapshot, { vmId: server.vmId })).toBe(0);
    expect(await rowNames(other.siteId, other.vmId)).toEqual(['2026-12-05']);
  });
});
