import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileDirectory } from '../../../activities/directory/file/file-directory';
import {
  createNotifyActivities,
  type SendNotificationResult,
  sendingLeaseMs,
} from '../../../activities/notify/activities';
import { queueNotification } from '../../../activities/notify/queue';
import { SmtpMailer } from '../../../activities/notify/smtp/smtp-mailer';
import {
  createRecordsActivities,
  type TransitionSiteInput,
} from '../../../activities/records/activities';
import { forkEm } from '../../../libs/db/orm';
import {
  NetworkConfig,
  Notification,
  Service,
  Site,
  SiteRole,
  type SiteStatus,
} from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';
import { directoryFixtureFile } from '../../helpers/slapd';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp-server';
import { uniqueName } from '../../helpers/test-names';

/**
 * The delivery activities on a real database and a real SMTP server: a notification is claimed
 * before it is mailed, so two sends of it mail it once; the mail server's answers become its
 * outcome (sent, failed for good, or a later attempt, a limited number of times); its recipients
 * are the site's people as the directory has them when it is sent. Also the two places that queue
 * notifications here: a site's first readiness, and cancelled sites nearing deletion.
 */

const quiet = new DefaultLogger('ERROR');
const environment = () => new MockActivityEnvironment(undefined, { logger: quiet });

describe.each(databaseKinds)('delivering notifications on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let mailer: SmtpMailer;

  beforeAll(async () => {
    if (skip) return;
    [db, smtp] = await Promise.all([startDatabase(kind), startSmtpServer()]);
    mailer = new SmtpMailer({ url: smtp.url, timeoutMs: 5000 });
  });
  afterEach(() => {
    if (smtp) smtp.rules = {};
  });
  afterAll(async () => {
    await mailer?.close();
    await Promise.all([db?.stop(), smtp?.stop()]);
  });

  function activities(
    options: { maxAttempts?: number; directoryFile?: string } = {},
  ): ReturnType<typeof createNotifyActivities> {
    return createNotifyActivities({
      orm: db.orm,
      mailer,
      directory: new FileDirectory(options.directoryFile ?? directoryFixtureFile),
      from: 'Berth <berth@berth.test>',
      operatorGroup: 'berth-operators',
      maxAttempts: options.maxAttempts ?? 3,
      retrySeconds: 60,
    });
  }

  /** A site with a contact address, alice as an admin and the webmasters group (alice, bob). */
  async function aSite(status: SiteStatus = 'ready', contactEmail?: string): Promise<Site> {
    const site = new Site({
      id: randomUUID(),
      name: uniqueName('Notified'),
      description: '',
      owner: 'alice',
      contactEmail: contactEmail ?? `${uniqueName('contact')}@example.org`,
    });
    site.status = status;
    const role = (subjectType: 'user' | 'group', subject: string, name: 'admin' | 'ssh-user') =>
      new SiteRole({
        id: randomUUID(),
        siteId: site.id,
        subjectType,
        subject,
        role: name,
        grantedBy: 'alice',
      });
    await forkEm(db.orm).persistAndFlush([
      site,
      role('user', 'alice', 'admin'),
      role('group', 'webmasters', 'admin'),
      // Not an admin: gets nothing.
      role('user', 'carol', 'ssh-user'),
    ]);
    return site;
  }

  async function queued(
    site: Site | null,
    options: { recipients?: string[]; audience?: 'site' | 'operators' | null } = {},
  ): Promise<Notification> {
    const row = await forkEm(db.orm).transactional((em) =>
      queueNotification(em, {
        kind: 'host-failover',
        siteId: site?.id ?? null,
        params: { siteName: site?.name ?? 'none', from: 'esx-1', to: 'esx-2' },
        dedupeKey: `test/${randomUUID()}`,
        ...options,
      }),
    );
    return row!;
  }

  const send = (id: string, using = activities()): Promise<SendNotificationResult> =>
    environment().run(using.sendNotification, { id });
  const row = (id: string) =>
    forkEm(db.orm).findOneOrFail(Notification, id, { disableIdentityMap: true });
  const mailsOf = (id: string) =>
    smtp.messages.filter((mail) => mail.headers['message-id'] === `<${id}@berth.test>`);

  it.skipIf(skip)(
    "mails a site's notification to its contact and its admins, groups expanded",
    async () => {
      const site = await aSite();
      const notification = await queued(site);
      expect(notification.recipients).toBe(site.contactEmail);

      expect(await send(notification.id)).toEqual({ outcome: 'sent' });

      const [mail, ...more] = mailsOf(notification.id);
      expect(more).toEqual([]);
      expect([...mail!.to].sort()).toEqual(
        [site.contactEmail, 'alice@example.org', 'bob@example.org'].sort(),
      );
      expect(mail!.headers.subject).toBe(notification.subject);
      const after = await row(notification.id);
      expect(after).toMatchObject({
        attempts: 1,
        sendingAt: null,
        failedAt: null,
        lastError: null,
      });
      expect(after.sentAt).toBeInstanceOf(Date);
      expect(after.deliveredTo?.split(',').sort()).toEqual([...mail!.to].sort());
      expect(after.status).toBe('sent');
    },
  );

  it.skipIf(skip)("mails operators' notifications to the operator group's members", async () => {
    const notification = await queued(null, { audience: 'operators' });
    expect(await send(notification.id)).toEqual({ outcome: 'sent' });
    expect(mailsOf(notification.id).map((mail) => mail.to)).toEqual([['olivia@example.org']]);
  });

  it.skipIf(skip)('mails a notification once when two sends run at the same time', async () => {
    const notification = await queued(null, { recipients: ['twice@example.org'] });
    const outcomes = await Promise.all([send(notification.id), send(notification.id)]);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['sent', 'skipped']);
    expect(mailsOf(notification.id)).toHaveLength(1);
    expect((await row(notification.id)).attempts).toBe(1);
    // A retried send of a sent notification answers as it is, and mails nothing.
    expect(await send(notification.id)).toEqual({ outcome: 'sent' });
    expect(mailsOf(notification.id)).toHaveLength(1);
  });

  it.skipIf(skip)(
    'leaves a notification claimed by a send whose outcome is unknown until its lease ends',
    async () => {
      const notification = await queued(null, { recipients: ['lease@example.org'] });
      const using = activities();
      // A send that claimed it and died while the mail server had it.
      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: notification.id },
        { sendingAt: new Date(), attempts: 1 },
      );
      expect(await environment().run(using.dueNotifications, { limit: 1000 })).not.toContain(
        notification.id,
      );
      expect(await send(notification.id, using)).toEqual({ outcome: 'skipped' });
      expect(mailsOf(notification.id)).toHaveLength(0);

      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: notification.id },
        { sendingAt: new Date(Date.now() - sendingLeaseMs - 1000) },
      );
      expect(await environment().run(using.dueNotifications, { limit: 1000 })).toContain(
        notification.id,
      );
      expect(await send(notification.id, using)).toEqual({ outcome: 'sent' });
      expect(mailsOf(notification.id)).toHaveLength(1);
      expect((await row(notification.id)).attempts).toBe(2);
    },
  );

  it.skipIf(skip)(
    'tries again later after a temporary failure, and mails it once in the end',
    async () => {
      const notification = await queued(null, { recipients: ['later@example.org'] });
      const using = activities();
      smtp.rules = { message: () => ({ code: 451, message: '4.3.0 try again later' }) };
      const before = Date.now();

      expect(await send(notification.id, using)).toEqual({ outcome: 'deferred' });

      let after = await row(notification.id);
      expect(after).toMatchObject({ attempts: 1, sentAt: null, failedAt: null, sendingAt: null });
      expect(after.lastError).toContain('451');
      expect(after.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
      expect(after.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      // Not due before its next attempt.
      expect(await environment().run(using.dueNotifications, { limit: 1000 })).not.toContain(
        notification.id,
      );
      expect(await send(notification.id, using)).toEqual({ outcome: 'skipped' });

      smtp.rules = {};
      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: notification.id },
        { nextAttemptAt: new Date(Date.now() - 1000) },
      );
      expect(await send(notification.id, using)).toEqual({ outcome: 'sent' });
      after = await row(notification.id);
      expect(after.attempts).toBe(2);
      expect(mailsOf(notification.id)).toHaveLength(1);
      expect(smtp.refused.filter((m) => m.to.includes('later@example.org'))).toHaveLength(1);
    },
  );

  it.skipIf(skip)('waits twice as long after each further temporary failure', async () => {
    const notification = await queued(null, { recipients: ['doubling@example.org'] });
    const using = activities({ maxAttempts: 10 });
    smtp.rules = { recipient: () => ({ code: 450, message: '4.2.1 mailbox busy' }) };
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = Date.now();
      expect(await send(notification.id, using)).toEqual({ outcome: 'deferred' });
      const after = await row(notification.id);
      waits.push(Math.round((after.nextAttemptAt!.getTime() - started) / 60_000));
      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: notification.id },
        { nextAttemptAt: new Date(Date.now() - 1) },
      );
    }
    expect(waits).toEqual([1, 2, 4]);
  });

  it.skipIf(skip)('gives up once the attempts run out', async () => {
    const notification = await queued(null, { recipients: ['never@example.org'] });
    const using = activities({ maxAttempts: 2 });
    smtp.rules = { recipient: () => ({ code: 421, message: '4.4.2 closing' }) };

    expect(await send(notification.id, using)).toEqual({ outcome: 'deferred' });
    await forkEm(db.orm).nativeUpdate(
      Notification,
      { id: notification.id },
      { nextAttemptAt: null },
    );
    expect(await send(notification.id, using)).toEqual({ outcome: 'failed' });

    const after = await row(notification.id);
    expect(after.status).toBe('failed');
    expect(after).toMatchObject({ attempts: 2, sentAt: null, sendingAt: null });
    expect(after.lastError).toMatch(/^gave up after 2 attempts: .*421/);
    expect(await send(notification.id, using)).toEqual({ outcome: 'failed' });
  });

  it.skipIf(skip)(
    'fails a notification the server refuses for good, and not the ones after it',
    async () => {
      const refused = await queued(null, { recipients: ['nobody@refused.test'] });
      const fine = await queued(null, { recipients: ['somebody@example.org'] });
      smtp.rules = {
        recipient: (address) =>
          address.endsWith('@refused.test')
            ? { code: 550, message: '5.1.1 no such user' }
            : undefined,
      };

      expect(await send(refused.id)).toEqual({ outcome: 'failed' });
      expect(await send(fine.id)).toEqual({ outcome: 'sent' });

      const failed = await row(refused.id);
      expect(failed).toMatchObject({ attempts: 1, sentAt: null, nextAttemptAt: null });
      expect(failed.failedAt).toBeInstanceOf(Date);
      expect(failed.lastError).toContain('550 5.1.1 no such user');
      expect(mailsOf(refused.id)).toHaveLength(0);
      expect(mailsOf(fine.id)).toHaveLength(1);
      const due = await environment().run(activities().dueNotifications, { limit: 1000 });
      expect(due).not.toContain(refused.id);
      expect(due).not.toContain(fine.id);
    },
  );

  it.skipIf(skip)(
    'sends to the recipients a server takes, and notes the ones it refuses',
    async () => {
      const site = await aSite('ready', 'gone@refused.test');
      const notification = await queued(site);
      smtp.rules = {
        recipient: (address) =>
          address.endsWith('@refused.test')
            ? { code: 550, message: '5.1.1 no such user' }
            : undefined,
      };

      expect(await send(notification.id)).toEqual({ outcome: 'sent' });

      const after = await row(notification.id);
      expect(after.deliveredTo?.split(',').sort()).toEqual([
        'alice@example.org',
        'bob@example.org',
      ]);
      expect(after.lastError).toMatch(/^refused gone@refused\.test: 550/);
    },
  );

  it.skipIf(skip)(
    'mails a recipient the server put off in a later attempt, and the others only once',
    async () => {
      const site = await aSite('ready', 'greylisted@later.test');
      const notification = await queued(site);
      smtp.rules = {
        recipient: (address) =>
          address.endsWith('@later.test')
            ? { code: 451, message: '4.7.1 greylisted, try again later' }
            : undefined,
      };

      expect(await send(notification.id)).toEqual({ outcome: 'deferred' });
      let after = await row(notification.id);
      expect(after).toMatchObject({ attempts: 1, sentAt: null, failedAt: null });
      expect(after.deliveredTo?.split(',').sort()).toEqual([
        'alice@example.org',
        'bob@example.org',
      ]);
      expect(after.lastError).toMatch(/^refused greylisted@later\.test: 451/);
      expect(after.nextAttemptAt).toBeInstanceOf(Date);

      smtp.rules = {};
      await forkEm(db.orm).nativeUpdate(
        Notification,
        { id: notification.id },
        { nextAttemptAt: new Date(Date.now() - 1000) },
      );
      expect(await send(notification.id)).toEqual({ outcome: 'sent' });
      after = await row(notification.id);
      expect(after).toMatchObject({ attempts: 2, lastError: null });
      expect(after.deliveredTo?.split(',').sort()).toEqual([
        'alice@example.org',
        'bob@example.org',
        'greylisted@later.test',
      ]);
      // Each address got it once, the same message (one Message-ID) in two sends.
      expect(mailsOf(notification.id).map((mail) => [...mail.to].sort())).toEqual([
        ['alice@example.org', 'bob@example.org'],
        ['greylisted@later.test'],
      ]);
      expect(await send(notification.id)).toEqual({ outcome: 'sent' });
      expect(mailsOf(notification.id)).toHaveLength(2);
    },
  );

  it.skipIf(skip)(
    'waits for a directory that cannot list the recipients, rather than leave them out',
    async () => {
      const site = await aSite();
      const notification = await queued(site);
      // A directory file that was there when the adapter started, and is gone now.
      const folder = await mkdtemp(join(tmpdir(), 'berth-directory-'));
      const file = join(folder, 'directory.yml');
      await copyFile(directoryFixtureFile, file);
      const using = activities({ directoryFile: file });
      await rm(folder, { recursive: true, force: true });

      expect(await send(notification.id, using)).toEqual({ outcome: 'deferred' });

      const after = await row(notification.id);
      expect(after).toMatchObject({ attempts: 1, sentAt: null, failedAt: null, sendingAt: null });
      expect(after.lastError).toContain('the directory could not list the recipients');
      expect(mailsOf(notification.id)).toHaveLength(0);
    },
  );

  it.skipIf(skip)('queues a ready notification once, when a site first becomes ready', async () => {
    const site = await aSite('installing');
    const vmId = randomUUID();
    await forkEm(db.orm).persistAndFlush([
      new Service({ id: randomUUID(), siteId: site.id, kind: 'production', vmId }),
      new NetworkConfig({
        id: randomUUID(),
        vmId,
        siteId: site.id,
        hostNumber: null,
        hostname: `${uniqueName('web')}.sites.berth.test`,
        ipv4PoolId: 'pool-4',
        ipv4Offset: 1,
        ipv4: '192.0.2.9',
        ipv6PoolId: 'pool-6',
        ipv6Offset: 1,
        ipv6: '2001:db8::9',
      }),
    ]);
    const records = createRecordsActivities({ orm: db.orm });
    const ready: TransitionSiteInput = {
      siteId: site.id,
      to: 'ready',
      action: 'site.ready',
      summary: 'server is ready',
    };
    const workflowEnvironment = () =>
      new MockActivityEnvironment(
        { workflowExecution: { workflowId: `site/${site.id}`, runId: randomUUID() } },
        { logger: quiet },
      );

    await workflowEnvironment().run(records.transitionSite, ready);
    await workflowEnvironment().run(records.transitionSite, ready);
    // Ready again later (after a configuration run) is not "ready" news.
    const configuring: TransitionSiteInput = {
      ...ready,
      to: 'configuring',
      action: 'site.configuring',
    };
    await workflowEnvironment().run(records.transitionSite, configuring);
    await workflowEnvironment().run(records.transitionSite, ready);

    const told = await forkEm(db.orm).find(Notification, { siteId: site.id });
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      kind: 'site-ready',
      dedupeKey: `site-ready/${site.id}`,
      audience: 'site',
      recipients: site.contactEmail,
      sentAt: null,
    });
    expect(told[0]!.subject).toBe(`Your site ${site.name} is ready`);
    const hostname = (await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId })).hostname;
    expect(told[0]!.body.replace(/\n/g, ' ')).toContain(hostname);
  });

  it.skipIf(skip)(
    'warns a cancelled site at the nearest lead time before its deletion, once',
    async () => {
      const soon = await aSite('cancelled');
      const later = await aSite('cancelled');
      const far = await aSite('cancelled');
      const hour = 3600_000;
      await forkEm(db.orm).nativeUpdate(
        Site,
        { id: soon.id },
        { deleteAfter: new Date(Date.now() + 20 * hour) },
      );
      await forkEm(db.orm).nativeUpdate(
        Site,
        { id: later.id },
        { deleteAfter: new Date(Date.now() + 100 * hour) },
      );
      await forkEm(db.orm).nativeUpdate(
        Site,
        { id: far.id },
        { deleteAfter: new Date(Date.now() + 500 * hour) },
      );
      const using = activities();
      const warn = (): Promise<{ queued: number }> =>
        environment().run(using.queueCancellationWarnings, { leadHours: [168, 24] });

      const first = await warn();
      const again = await warn();

      const warnings = await forkEm(db.orm).find(
        Notification,
        { kind: 'cancellation-warning', siteId: { $in: [soon.id, later.id, far.id] } },
        { orderBy: { dedupeKey: 'asc' } },
      );
      expect(first.queued).toBe(2);
      expect(again.queued).toBe(0);
      const keys = warnings.map((w) => w.dedupeKey.replace(/\/\d+\//, '/<time>/'));
      expect(keys.sort()).toEqual(
        [
          `cancellation-warning/${soon.id}/<time>/24h`,
          `cancellation-warning/${later.id}/<time>/168h`,
        ].sort(),
      );
      expect(warnings.every((w) => w.audience === 'site')).toBe(true);
    },
  );
});
