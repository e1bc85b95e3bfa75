import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileDirectory } from '../../../activities/directory/file/file-directory';
import { createNotifyActivities } from '../../../activities/notify/activities';
import { queueNotification } from '../../../activities/notify/queue';
import { SimulatedMailer } from '../../../activities/notify/simulated/simulated-mailer';
import { forkEm } from '../../../libs/db/orm';
import { Notification } from '../../../libs/domain';
import { createLogger } from '../../../libs/logger';
import type { deliverNotifications } from '../../../workflows/notifications';
import { workflowBundle } from '../../helpers/berth';
import { startDatabase, type TestDatabase } from '../../helpers/databases';
import { directoryFixtureFile } from '../../helpers/slapd';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../../helpers/temporal';
import { uniqueName } from '../../helpers/test-names';

/**
 * The `deliverNotifications` workflow on a real Temporal server, with the notify activities on
 * SQLite and the simulated mailer (which refuses `.invalid` addresses): a run sends what is due,
 * oldest first, up to its limit and no further; the next run sends the rest; a run with nothing
 * due sends nothing, so repeated runs never mail anything twice.
 */
describe.skipIf(temporalUnavailable())('deliverNotifications', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
  });
  afterAll(async () => {
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it('sends what is due, oldest first, in runs of bounded size', async () => {
    const delivered: string[] = [];
    const mailer = new SimulatedMailer(createLogger({ level: 'silent', name: 'test' }));
    const send = mailer.send.bind(mailer);
    mailer.send = async (mail) => {
      const receipt = await send(mail);
      delivered.push(mail.messageId);
      return receipt;
    };
    const activities = createNotifyActivities({
      orm: db.orm,
      mailer,
      directory: new FileDirectory(directoryFixtureFile),
      from: 'Berth <berth@berth.test>',
      operatorGroup: 'berth-operators',
      maxAttempts: 3,
      retrySeconds: 60,
    });
    const recipients = [
      'nobody@nowhere.invalid',
      'first@example.org',
      'second@example.org',
      'third@example.org',
      'fourth@example.org',
    ];
    const ids: string[] = [];
    const base = Date.now() - 60_000;
    for (const [index, address] of recipients.entries()) {
      const row = await forkEm(db.orm).transactional((em) =>
        queueNotification(em, {
          kind: 'host-failover',
          siteId: null,
          recipients: [address],
          params: { siteName: 'Batch', from: 'esx-1', to: 'esx-2' },
          dedupeKey: `batch/${randomUUID()}`,
        }),
      );
      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: row!.id },
        { createdAt: new Date(base + index * 1000) },
      );
      ids.push(row!.id);
    }
    const taskQueue = uniqueName('deliver-notifications');
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    const run = (limit: number) =>
      temporal.client.workflow.execute<typeof deliverNotifications>('deliverNotifications', {
        taskQueue,
        workflowId: uniqueName('deliver-notifications'),
        args: [{ limit, cancellationWarningHours: [168, 24] }],
      });

    const results = await worker.runUntil(async () => [await run(3), await run(10), await run(10)]);

    const none = { sent: 0, failed: 0, deferred: 0, skipped: 0, errors: 0, warningsQueued: 0 };
    expect(results).toEqual([{ ...none, sent: 2, failed: 1 }, { ...none, sent: 2 }, none]);
    // Sends within a batch run at once, in any order; each notification is mailed once.
    expect([...delivered].sort()).toEqual(
      ids
        .slice(1)
        .map((id) => `<${id}@berth.test>`)
        .sort(),
    );
    // The first run took the three oldest.
    expect(delivered.slice(0, 2).sort()).toEqual(
      ids
        .slice(1, 3)
        .map((id) => `<${id}@berth.test>`)
        .sort(),
    );
    const rows = await forkEm(db.orm).find(Notification, { id: { $in: ids } });
    const statusOf = new Map(rows.map((row) => [row.id, row.status]));
    expect(ids.map((id) => statusOf.get(id))).toEqual(['failed', 'sent', 'sent', 'sent', 'sent']);
  });
});
