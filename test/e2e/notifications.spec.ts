import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueNotification } from '../../activities/notify/queue';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { Notification, SiteRole } from '../../libs/domain';
import { notificationDeliveryScheduleId } from '../../libs/temporal/names';
import { ensureNotificationDeliverySchedule } from '../../libs/temporal/notification-delivery-schedule';
import type { deliverNotifications } from '../../workflows/notifications';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { type RequestSiteData, requestSiteMutation } from '../helpers/graphql-documents';
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Notifications by e-mail end to end: Berth (api and worker, MAIL=smtp) with its
 * `notification-delivery` schedule, a real SMTP server on loopback that wants a login, and a site
 * requested through GraphQL. The site's ready notification reaches its people by e-mail and reads
 * as SENT in the operators' outbox; a recipient the server refuses fails that notification alone;
 * a temporary refusal is retried, and the message arrives once.
 */

const operator: DevTokenOptions = {
  userId: 'olivia',
  operator: true,
  scopes: ['sites:read', 'sites:write', 'operator'],
};
const login = { user: 'berth', pass: 'smtp pass: do not log' };

interface OutboxData {
  notifications: {
    edges: {
      node: {
        id: string;
        kind: string | null;
        status: string;
        recipients: string[];
        audience: string | null;
        deliveredTo: string[] | null;
        attempts: number;
        lastError: string | null;
        sentAt: string | null;
        failedAt: string | null;
      };
    }[];
  };
}

const outboxQuery = /* GraphQL */ `
  query Outbox($filter: NotificationFilterInput) {
    notifications(first: 20, filter: $filter) {
      edges {
        node {
          id
          kind
          status
          recipients
          audience
          deliveredTo
          attempts
          lastError
          sentAt
          failedAt
        }
      }
    }
  }
`;

describe.each(databaseKinds)('notifications by e-mail on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db, smtp] = await Promise.all([
      startTemporal(),
      startDatabase(kind),
      startSmtpServer({ login }),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`notifications-${kind}`),
      env: {
        MAIL: 'smtp',
        SMTP_URL: smtp.url,
        SMTP_TIMEOUT_MS: '5000',
        MAIL_FROM: 'Web hosting <hosting@berth.test>',
        BERTH_NOTIFY_INTERVAL_SECONDS: '1',
        BERTH_NOTIFY_RETRY_SECONDS: '1',
      },
    });
    // What the worker's main does at start-up.
    await ensureNotificationDeliverySchedule(berth.temporal, berth.config);
  });
  afterEach(() => {
    if (smtp) smtp.rules = {};
  });
  afterAll(async () => {
    await berth?.temporal.schedule
      .getHandle(notificationDeliveryScheduleId)
      .delete()
      .catch(() => undefined);
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), smtp?.stop()]);
  });

  const mailsOf = (notificationId: string): ReceivedMail[] =>
    smtp.messages.filter((mail) => mail.headers['message-id'] === `<${notificationId}@berth.test>`);

  async function outbox(filter: Record<string, unknown>) {
    const response = await berth.graphql<OutboxData>(outboxQuery, { filter }, operator);
    if (!response.data) throw new Error(JSON.stringify(response));
    return response.data.notifications.edges.map((edge) => edge.node);
  }

  /** Queues a notification as an activity would, in a transaction of its own. */
  async function queue(recipients: string[]): Promise<string> {
    const row = await forkEm(db.orm).transactional((em) =>
      queueNotification(em, {
        kind: 'host-failover',
        siteId: null,
        recipients,
        params: { siteName: 'Outbox test', from: 'esx-1', to: 'esx-2' },
        dedupeKey: `e2e/${randomUUID()}`,
      }),
    );
    return row!.id;
  }

  function settled(id: string) {
    return eventually(
      `notification ${id} being sent or failing`,
      () => forkEm(db.orm).findOneOrFail(Notification, id, { disableIdentityMap: true }),
      (row) => row.status !== 'queued',
      60_000,
    );
  }

  it.skipIf(skip)(
    "e-mails a new site's people once it is ready, and shows it sent to operators",
    async () => {
      const contact = `${uniqueName('webmaster')}@example.org`;
      const name = uniqueName('Mailed');
      const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name, contactEmail: contact },
      });
      const result = response.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
      const siteId = result.site.id;
      // The webmasters group (alice and bob in the example directory) administers it too.
      await forkEm(db.orm).persistAndFlush(
        new SiteRole({
          id: randomUUID(),
          siteId,
          subjectType: 'group',
          subject: 'webmasters',
          role: 'admin',
          grantedBy: 'olivia',
        }),
      );

      const [mail] = await eventually(
        `the ready notification of site ${siteId} arriving`,
        () =>
          Promise.resolve(
            smtp.messages.filter(
              (m) =>
                m.headers['x-berth-notification'] === 'site-ready' &&
                m.headers.subject === `Your site ${name} is ready`,
            ),
          ),
        (found) => found.length > 0,
        90_000,
      );
      expect(mail).toMatchObject({ from: 'hosting@berth.test', user: 'berth' });
      expect([...mail!.to].sort()).toEqual(
        [contact, 'alice@example.org', 'bob@example.org'].sort(),
      );
      expect(mail!.headers.from).toBe('Web hosting <hosting@berth.test>');
      expect(mail!.headers['auto-submitted']).toBe('auto-generated');
      expect(mail!.text).toContain(name);

      const [row] = await eventually(
        `the ready notification of site ${siteId} reading as sent`,
        () => outbox({ siteId, kind: 'SITE_READY' }),
        (rows) => rows[0]?.status === 'SENT',
      );
      expect(row).toMatchObject({
        kind: 'SITE_READY',
        recipients: [contact],
        audience: 'SITE',
        attempts: 1,
        lastError: null,
        failedAt: null,
      });
      expect(row!.deliveredTo?.sort()).toEqual([...mail!.to].sort());
      expect(mail!.headers['message-id']).toBe(`<${row!.id}@berth.test>`);
      expect(await outbox({ siteId, status: 'QUEUED' })).toEqual([]);
      // One message: the delivery ran every second meanwhile.
      expect(mailsOf(row!.id)).toHaveLength(1);
    },
  );

  it.skipIf(skip)(
    'fails a notification whose recipient the server refuses, without holding up the others',
    async () => {
      smtp.rules = {
        recipient: (address) =>
          address.endsWith('@refused.test')
            ? { code: 550, message: '5.1.1 mailbox unavailable' }
            : undefined,
      };
      const refused = await queue(['nobody@refused.test']);
      const fine = await queue(['somebody@example.org']);

      const [failed, sent] = await Promise.all([settled(refused), settled(fine)]);

      expect(failed.status).toBe('failed');
      expect(failed.lastError).toContain('550 5.1.1 mailbox unavailable');
      expect(sent.status).toBe('sent');
      expect(mailsOf(refused)).toEqual([]);
      expect(mailsOf(fine).map((mail) => mail.to)).toEqual([['somebody@example.org']]);
      const [shown] = await outbox({ status: 'FAILED' }).then((rows) =>
        rows.filter((row) => row.id === refused),
      );
      expect(shown).toMatchObject({ status: 'FAILED', attempts: 1, sentAt: null });
    },
  );

  it.skipIf(skip)(
    'tries again after a temporary refusal, and the message arrives once',
    async () => {
      let refusals = 0;
      smtp.rules = {
        message: (mail) => {
          if (!mail.to.includes('retried@example.org') || refusals > 0) return undefined;
          refusals += 1;
          return { code: 451, message: '4.3.0 try again later' };
        },
      };
      const id = await queue(['retried@example.org']);

      const row = await settled(id);

      expect(row.status).toBe('sent');
      expect(row.attempts).toBe(2);
      expect(refusals).toBe(1);
      expect(mailsOf(id)).toHaveLength(1);
      expect(
        smtp.refused.filter((m) => m.headers['message-id'] === `<${id}@berth.test>`),
      ).toHaveLength(1);

      // Another delivery run, as the schedule makes every second, sends nothing again.
      const workflowId = uniqueName('deliver-notifications');
      const run = await berth.temporal.workflow.execute<typeof deliverNotifications>(
        'deliverNotifications',
        {
          workflowId,
          taskQueue: berth.config.temporal.taskQueue,
          args: [{ limit: 100, cancellationWarningHours: [] }],
        },
      );
      expect(run.errors).toBe(0);
      if (recordingHistories) {
        await recordHistory(berth, temporal.address, workflowId, 'deliver-notifications');
      }
      expect(mailsOf(id)).toHaveLength(1);
    },
  );
});
