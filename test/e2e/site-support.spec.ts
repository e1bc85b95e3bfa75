import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleDigest, sitePeople } from '../../activities/ansible/site-data';
import { exampleDirectoryFile } from '../../activities/directory/create-directory';
import { FileDirectory } from '../../activities/directory/file/file-directory';
import { type EndedSupportReport } from '../../activities/support/activities';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { ConfigurationRun, Operation, SiteEvent, SiteRole, SiteSupport } from '../../libs/domain';
import { supportExpiryScheduleId } from '../../libs/temporal/names';
import { ensureSupportExpirySchedule } from '../../libs/temporal/support-expiry-schedule';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { operationFinished, provisionedSite } from '../helpers/sites';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * Operators' support of a site (MWS3's supporters): an operator asks for a while on a site's
 * servers, a configuration run gives them an admin account there, and when the time is up the
 * `site-support-expiry` workflow removes it and runs the configuration again. The site's roles,
 * and so its last-admin rule, know nothing of it.
 */

const olivia: DevTokenOptions = { userId: 'olivia', operator: true };

interface Answer {
  __typename: string;
  operation?: { id: string; kind: string };
  code?: string;
  message?: string;
  field?: string | null;
}

describe.each(databaseKinds)('site support on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  const directory = new FileDirectory(exampleDirectoryFile);

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`site-support-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function mutate(
    name: 'startSiteSupport' | 'endSiteSupport' | 'revokeSiteRole',
    input: Record<string, unknown>,
    as: DevTokenOptions = olivia,
  ): Promise<Answer> {
    const inputType = {
      startSiteSupport: 'StartSiteSupportInput',
      endSiteSupport: 'SiteChangeInput',
      revokeSiteRole: 'SiteRoleInput',
    }[name];
    const response = await berth.graphql<{ result: Answer }>(
      `mutation ($input: ${inputType}!) {
        result: ${name}(input: $input) {
          __typename
          ... on SiteOperationPayload { operation { id kind } }
          ... on UserError { code message field }
        }
      }`,
      { input },
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  /** A lifecycle change by an operator, waited for. */
  async function siteChange(name: 'disableSite' | 'deleteSite', siteId: string) {
    const response = await berth.graphql<{ result: Answer }>(
      `mutation ($input: SiteChangeInput!) {
        result: ${name}(input: $input) { __typename ... on SiteOperationPayload { operation { id kind } } }
      }`,
      { input: { siteId } },
      olivia,
    );
    const operation = response.data?.result.operation;
    if (!operation) throw new Error(JSON.stringify(response));
    expect(await operationFinished(berth, operation.id)).toMatchObject({ status: 'SUCCEEDED' });
  }

  /** Waits for the answer's configuration run; returns the people that run applied. */
  async function applied(answer: Answer): Promise<string | null> {
    if (!answer.operation) throw new Error(`refused: ${JSON.stringify(answer)}`);
    expect(answer.operation.kind).toBe('CONFIGURE');
    expect(await operationFinished(berth, answer.operation.id)).toMatchObject({
      status: 'SUCCEEDED',
    });
    const [run] = await forkEm(db.orm).find(ConfigurationRun, {
      operationId: answer.operation.id,
      status: 'succeeded',
    });
    return run?.peopleDigest ?? null;
  }

  /** The digest of the site's people as a run would apply them now, and their user ids. */
  async function peopleNow(siteId: string) {
    const people = await sitePeople(db.orm, siteId, directory);
    return {
      digest: peopleDigest(people),
      admins: people.users.filter((user) => user.admin).map((user) => user.uid),
    };
  }

  function sweep(): Promise<EndedSupportReport> {
    return berth.temporal.workflow.execute('endExpiredSupport', {
      workflowId: uniqueName('site-support-expiry'),
      taskQueue: berth.config.temporal.taskQueue,
      args: [],
    });
  }

  it.skipIf(skip)(
    'lets an operator onto the servers for a while, and takes them off when the time is up',
    async () => {
      const siteId = await provisionedSite(berth, 'Support');
      expect((await peopleNow(siteId)).admins).toEqual(['alice']);

      const started = await mutate('startSiteSupport', {
        siteId,
        minutes: 30,
        idempotencyKey: 'support-1',
      });
      const runPeople = await applied(started);
      const withOlivia = await peopleNow(siteId);
      expect(withOlivia.admins).toEqual(['alice', 'olivia']);
      expect(runPeople).toBe(withOlivia.digest);
      const [row] = await forkEm(db.orm).find(SiteSupport, { siteId });
      expect(row!.userId).toBe('olivia');
      expect(row!.until.getTime() - Date.now()).toBeGreaterThan(29 * 60_000);
      expect(row!.until.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
      const [event] = await forkEm(db.orm).find(SiteEvent, { siteId, action: 'support.started' });
      expect(event).toMatchObject({ actor: 'olivia' });
      expect(event!.summary).toContain('(30 minutes)');

      // The same key answers with the same operation; the site's roles know nothing of it, so
      // alice is still the only admin and may not be revoked.
      const again = await mutate('startSiteSupport', {
        siteId,
        minutes: 30,
        idempotencyKey: 'support-1',
      });
      expect(again.operation?.id).toBe(started.operation!.id);
      expect(await forkEm(db.orm).count(SiteRole, { siteId, subject: 'olivia' })).toBe(0);
      const revoke = await mutate(
        'revokeSiteRole',
        { siteId, user: 'alice', role: 'ADMIN' },
        { userId: 'alice' },
      );
      expect(revoke.code).toBe('LAST_ADMIN');

      // Out of range: a typed error, nothing written.
      for (const minutes of [1, 481]) {
        const response = await berth.graphql(
          `mutation ($input: StartSiteSupportInput!) {
            startSiteSupport(input: $input) { __typename }
          }`,
          { input: { siteId, minutes } },
          olivia,
        );
        expect(response.errors?.[0]?.extensions?.code, String(minutes)).toBe('BAD_USER_INPUT');
      }
      expect(await forkEm(db.orm).count(SiteSupport, { siteId })).toBe(1);

      // Its time is up: a run made before the sweep leaves olivia out already, and the sweep
      // removes the row and runs the configuration, which takes her account away.
      await forkEm(db.orm).nativeUpdate(
        SiteSupport,
        { siteId },
        { until: new Date(Date.now() - 1) },
      );
      expect((await peopleNow(siteId)).admins).toEqual(['alice']);
      const report = await sweep();
      expect(report).toEqual({ ended: [`${siteId}/olivia`], configured: [siteId], deferred: [] });
      expect(await forkEm(db.orm).count(SiteSupport, { siteId })).toBe(0);
      const ended = await forkEm(db.orm).find(SiteEvent, { siteId, action: 'support.ended' });
      expect(ended).toMatchObject([{ actor: 'system' }]);
      const [expiry] = await forkEm(db.orm).find(Operation, {
        siteId,
        idempotencyKey: { $like: 'support-expiry/%' },
      });
      expect(expiry).toMatchObject({ kind: 'configure', requestedBy: 'system' });
      const operation = { id: expiry!.id, kind: 'CONFIGURE' };
      expect(await applied({ __typename: 'SiteOperationPayload', operation })).toBe(
        (await peopleNow(siteId)).digest,
      );
      expect(await sweep()).toEqual({ ended: [], configured: [], deferred: [] });
    },
    180_000,
  );

  it.skipIf(skip)(
    'ends a support when its operator asks, and says when there is none',
    async () => {
      const siteId = await provisionedSite(berth, 'Support end');
      await applied(await mutate('startSiteSupport', { siteId }));
      const [row] = await forkEm(db.orm).find(SiteSupport, { siteId });
      // The default is an hour, as in MWS3.
      expect(row!.until.getTime() - Date.now()).toBeGreaterThan(59 * 60_000);

      const runPeople = await applied(await mutate('endSiteSupport', { siteId }));
      expect(runPeople).toBe((await peopleNow(siteId)).digest);
      expect((await peopleNow(siteId)).admins).toEqual(['alice']);
      expect(await forkEm(db.orm).count(SiteSupport, { siteId })).toBe(0);
      expect(await mutate('endSiteSupport', { siteId })).toMatchObject({
        code: 'SUPPORT_NOT_FOUND',
        message: 'olivia is not supporting the site',
        field: null,
      });
      // An unknown site: typed, and nothing written.
      const unknown = '00000000-0000-4000-8000-000000000000';
      expect(await mutate('startSiteSupport', { siteId: unknown })).toMatchObject({
        code: 'SITE_NOT_FOUND',
      });
      expect(await forkEm(db.orm).count(SiteSupport, { siteId: unknown })).toBe(0);
    },
  );

  it.skipIf(skip)(
    'runs from now when asked again, keeps one row for starts at once, and undoes a refused one',
    async () => {
      const siteId = await provisionedSite(berth, 'Support again');
      await applied(await mutate('startSiteSupport', { siteId, minutes: 120 }));
      // Asked again (another request, not a repeat): the time runs from now, even if shorter.
      await applied(await mutate('startSiteSupport', { siteId, minutes: 10 }));
      const [row] = await forkEm(db.orm).find(SiteSupport, { siteId });
      expect(row!.until.getTime() - Date.now()).toBeLessThanOrEqual(10 * 60_000);
      // Three at once: each is a run, and one row is left.
      const answers = await Promise.all(
        [20, 30, 40].map((minutes) => mutate('startSiteSupport', { siteId, minutes })),
      );
      for (const answer of answers) await applied(answer);
      expect(await forkEm(db.orm).count(SiteSupport, { siteId })).toBe(1);

      // A disabled site refuses the run: the support is as it was, to the millisecond.
      const before = await forkEm(db.orm).findOneOrFail(SiteSupport, { siteId });
      await siteChange('disableSite', siteId);
      expect(await mutate('startSiteSupport', { siteId, minutes: 300 })).toMatchObject({
        code: 'ILLEGAL_TRANSITION',
      });
      const after = await forkEm(db.orm).findOneOrFail(SiteSupport, { siteId });
      expect([after.id, after.until.getTime()]).toEqual([before.id, before.until.getTime()]);
    },
    180_000,
  );

  it.skipIf(skip)(
    'ends the supports of disabled and deleted sites without a run, and says so in their logs',
    async () => {
      const [disabled, deleted] = await Promise.all([
        provisionedSite(berth, 'Support disabled'),
        provisionedSite(berth, 'Support deleted'),
      ]);
      for (const siteId of [disabled, deleted]) {
        await applied(await mutate('startSiteSupport', { siteId }));
      }
      await siteChange('disableSite', disabled);
      await siteChange('deleteSite', deleted);
      await forkEm(db.orm).nativeUpdate(
        SiteSupport,
        { siteId: { $in: [disabled, deleted] } },
        { until: new Date(Date.now() - 1) },
      );
      const report = await sweep();
      expect(report.ended.sort()).toEqual([`${disabled}/olivia`, `${deleted}/olivia`].sort());
      expect(report).toMatchObject({ configured: [], deferred: [] });
      for (const siteId of [disabled, deleted]) {
        expect(await forkEm(db.orm).count(SiteSupport, { siteId })).toBe(0);
        expect(
          await forkEm(db.orm).count(SiteEvent, { siteId, action: 'support.ended' }),
          siteId,
        ).toBe(1);
        // No operation left behind by the refused run.
        expect(
          await forkEm(db.orm).count(Operation, {
            siteId,
            idempotencyKey: { $like: 'support-expiry/%' },
          }),
        ).toBe(0);
      }
    },
    180_000,
  );

  it.skipIf(skip)('is swept by a schedule every five minutes', async () => {
    await ensureSupportExpirySchedule(berth.temporal, berth.config);
    const schedule = berth.temporal.schedule.getHandle(supportExpiryScheduleId);
    try {
      const description = await schedule.describe();
      expect(description.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'endExpiredSupport',
        taskQueue: berth.config.temporal.taskQueue,
      });
      expect(description.spec.intervals).toMatchObject([{ every: 5 * 60_000 }]);
    } finally {
      await schedule.delete();
    }
  });
});
