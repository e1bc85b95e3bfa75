import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QueuedUpgradesReport } from '../../activities/upgrade-queue/activities';
import { forkEm } from '../../libs/db/orm';
import { Operation, SiteEvent } from '../../libs/domain';
import { ensureUpgradeQueueSchedule } from '../../libs/temporal/upgrade-queue-schedule';
import { upgradeQueueScheduleId } from '../../libs/temporal/names';
import { queuedUpgradeStep } from '../../libs/upgrades/upgrade-queue';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { type OperationData, operationQuery } from '../helpers/graphql-documents';
import { operationFinished, provisionedSite } from '../helpers/sites';
import { siteState, type TestServerMutation, testServerMutation } from '../helpers/test-servers';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * The fleet's cap on OS upgrades at once (BERTH_MAX_PENDING_UPGRADES, here 1): past it an upgrade
 * is a QUEUED operation that no workflow has seen, a repeat is answered with it, calling it off
 * withdraws it, and the `upgrade-queue` workflow starts the oldest once a running upgrade ends.
 */
describe.each(databaseKinds)('the upgrade queue on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName(`upgrade-queue-${kind}`),
      env: { BERTH_MAX_PENDING_UPGRADES: '1' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const mutate = (name: TestServerMutation, input: Record<string, unknown>) =>
    testServerMutation(berth, name, input);

  async function operation(id: string) {
    const response = await berth.graphql<OperationData>(operationQuery, { id });
    if (!response.data?.operation) throw new Error(JSON.stringify(response));
    return response.data.operation;
  }

  function waitingForApproval(operationId: string) {
    return eventually(
      `upgrade ${operationId} waiting for approval`,
      () => operation(operationId),
      (op) => op.step === 'waiting for approval',
    );
  }

  function startQueued(): Promise<QueuedUpgradesReport> {
    return berth.temporal.workflow.execute('startQueuedUpgrades', {
      workflowId: uniqueName('upgrade-queue'),
      taskQueue: berth.config.temporal.taskQueue,
      args: [],
    });
  }

  /** What a queued upgrade must not have touched: the workflow, the site's operations. */
  async function untouched(siteId: string) {
    return {
      upgrade: (await siteState(berth, siteId)).upgrade ?? null,
      testServer: (await siteState(berth, siteId)).testServer ?? null,
      running: await forkEm(db.orm).count(Operation, { siteId, status: 'running' }),
    };
  }

  /** The cap is fleet-wide: each test starts with no upgrade running or queued in the database. */
  async function noUpgrades() {
    const left = await forkEm(db.orm).count(Operation, {
      kind: 'upgrade',
      status: { $in: ['queued', 'running'] },
    });
    expect(left, 'upgrades an earlier test left running or queued').toBe(0);
  }

  /**
   * The cap reached: a site whose upgrade runs (waiting for approval), and new sites with the
   * given name prefixes, provisioned at once.
   */
  async function fleetAtCap<const Prefixes extends string[]>(
    ...prefixes: Prefixes
  ): Promise<{ busy: string; runningId: string; sites: { [K in keyof Prefixes]: string } }> {
    await noUpgrades();
    const [busy, ...sites] = await Promise.all(
      ['Upgrade busy', ...prefixes].map((prefix) => provisionedSite(berth, prefix)),
    );
    const running = await mutate('upgradeSite', { siteId: busy });
    if (!running.operation) throw new Error(JSON.stringify(running));
    await waitingForApproval(running.operation.id);
    return {
      busy: busy!,
      runningId: running.operation.id,
      sites: sites as { [K in keyof Prefixes]: string },
    };
  }

  it.skipIf(skip)(
    'queues upgrades past the cap, withdraws one called off, and starts the oldest when room frees',
    async () => {
      await noUpgrades();
      const [first, second] = await Promise.all([
        provisionedSite(berth, 'Upgrade first'),
        provisionedSite(berth, 'Upgrade second'),
      ]);
      const running = await mutate('upgradeSite', { siteId: first });
      if (!running.operation) throw new Error(JSON.stringify(running));
      await waitingForApproval(running.operation.id);

      // The cap is reached: the second site's upgrade waits, and no workflow has seen it.
      const queued = await mutate('upgradeSite', { siteId: second, idempotencyKey: 'upgrade-1' });
      expect(queued).toMatchObject({ __typename: 'SiteOperationPayload' });
      const queuedId = queued.operation!.id;
      expect(await operation(queuedId)).toMatchObject({
        status: 'QUEUED',
        progress: 0,
        step: queuedUpgradeStep,
        finishedAt: null,
      });
      expect(await untouched(second)).toEqual({ upgrade: null, testServer: null, running: 0 });
      expect(
        await forkEm(db.orm).count(SiteEvent, { siteId: second, action: 'upgrade.queued' }),
      ).toBe(1);

      // A repeat, with its key or without one, is the same queued operation; a reused key with
      // other input is refused.
      for (const input of [{ idempotencyKey: 'upgrade-1' }, {}]) {
        const again = await mutate('upgradeSite', { siteId: second, ...input });
        expect(again.operation?.id, JSON.stringify(input)).toBe(queuedId);
      }
      const reused = await mutate('createTestServer', {
        siteId: second,
        idempotencyKey: 'upgrade-1',
      });
      expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await forkEm(db.orm).count(Operation, { siteId: second, kind: 'upgrade' })).toBe(1);

      // No room yet: the queue's run starts nothing.
      expect(await startQueued()).toEqual({
        running: 1,
        started: [],
        failed: [],
        deferred: [],
        queued: 1,
      });
      expect((await operation(queuedId)).status).toBe('QUEUED');

      // Called off while queued: withdrawn at once, with an operation that says so.
      const withdrawn = await mutate('cancelSiteUpgrade', { siteId: second });
      expect(withdrawn.operation?.kind).toBe('CANCEL_UPGRADE');
      expect(await operation(withdrawn.operation!.id)).toMatchObject({ status: 'SUCCEEDED' });
      expect(await operation(queuedId)).toMatchObject({
        status: 'FAILED',
        error: 'called off by alice before it started',
      });
      expect(await untouched(second)).toEqual({ upgrade: null, testServer: null, running: 0 });
      // Nothing left to call off: the workflow refuses, as before queues.
      expect((await mutate('cancelSiteUpgrade', { siteId: second })).code).toBe(
        'ILLEGAL_TRANSITION',
      );

      // Asked again, it queues again; the first site's upgrade ends, and the queue starts it.
      const requeued = await mutate('upgradeSite', { siteId: second });
      const requeuedId = requeued.operation!.id;
      expect((await operation(requeuedId)).status).toBe('QUEUED');
      expect((await mutate('cancelSiteUpgrade', { siteId: first })).operation).toBeDefined();
      expect(await operationFinished(berth, running.operation.id)).toMatchObject({
        status: 'FAILED',
      });
      expect(await startQueued()).toEqual({
        running: 0,
        started: [requeuedId],
        failed: [],
        deferred: [],
        queued: 0,
      });
      await waitingForApproval(requeuedId);
      expect((await siteState(berth, second)).upgrade).toMatchObject({
        operationId: requeuedId,
        image: 'debian-13',
      });
      expect(
        await forkEm(db.orm).count(SiteEvent, { siteId: second, action: 'upgrade.dequeued' }),
      ).toBe(1);
      // Now it runs, a third request waits behind it.
      const third = await mutate('upgradeSite', { siteId: first });
      expect((await operation(third.operation!.id)).status).toBe('QUEUED');
      await mutate('cancelSiteUpgrade', { siteId: first });
      await mutate('cancelSiteUpgrade', { siteId: second });
      expect(await operationFinished(berth, requeuedId)).toMatchObject({ status: 'FAILED' });
    },
    240_000,
  );

  it.skipIf(skip)(
    'fails a queued upgrade whose site can no longer take it, and says why',
    async () => {
      const { busy, runningId, sites } = await fleetAtCap('Upgrade disabled');
      const [disabled] = sites;
      const queued = await mutate('upgradeSite', { siteId: disabled });
      expect((await operation(queued.operation!.id)).status).toBe('QUEUED');

      // The site is disabled while its upgrade waits; the workflow refuses it when it is sent.
      const disabling = await berth.graphql<{ result: { operation?: { id: string } } }>(
        `mutation ($input: SiteChangeInput!) {
          result: disableSite(input: $input) { ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId: disabled } },
      );
      expect(await operationFinished(berth, disabling.data!.result.operation!.id)).toMatchObject({
        status: 'SUCCEEDED',
      });
      await mutate('cancelSiteUpgrade', { siteId: busy });
      await operationFinished(berth, runningId);
      const report = await startQueued();
      expect(report).toMatchObject({ started: [], failed: [queued.operation!.id], queued: 0 });
      const failed = await operation(queued.operation!.id);
      expect(failed.status).toBe('FAILED');
      expect(failed.error).toMatch(/^not started: a disabled site cannot be changed by upgrade/);
      expect(await untouched(disabled)).toEqual({ upgrade: null, testServer: null, running: 0 });
      expect(
        await forkEm(db.orm).count(SiteEvent, { siteId: disabled, action: 'upgrade.not-started' }),
      ).toBe(1);
    },
    240_000,
  );

  it.skipIf(skip)(
    'gives a site one queued upgrade however many ask at once, and counts it for operators',
    async () => {
      const { busy, runningId, sites } = await fleetAtCap('Upgrade crowd');
      const [site] = sites;

      const answers = await Promise.all(
        Array.from({ length: 6 }, () => mutate('upgradeSite', { siteId: site })),
      );
      const ids = new Set(answers.map((answer) => answer.operation?.id));
      expect(ids.size, JSON.stringify(answers)).toBe(1);
      expect(
        await forkEm(db.orm).find(
          Operation,
          { siteId: site, kind: 'upgrade' },
          { fields: ['status'] },
        ),
      ).toMatchObject([{ status: 'queued' }]);

      const statistics = await berth.graphql<{
        fleetStatistics: {
          operations: { kind: string; queued: number; running: number }[];
        };
      }>(
        '{ fleetStatistics { operations { kind queued running } } }',
        {},
        { userId: 'olivia', operator: true },
      );
      expect(
        statistics.data?.fleetStatistics.operations.find((row) => row.kind === 'UPGRADE'),
      ).toMatchObject({ queued: 1, running: 1 });

      await mutate('cancelSiteUpgrade', { siteId: site });
      await mutate('cancelSiteUpgrade', { siteId: busy });
      await operationFinished(berth, runningId);
    },
    240_000,
  );

  it.skipIf(skip)(
    'fails the queued upgrade of a deleted site at once, and delivers one whose sending stopped',
    async () => {
      const { busy, runningId, sites } = await fleetAtCap('Upgrade doomed', 'Upgrade stranded');
      const [doomed, stranded] = sites;
      const doomedUpgrade = (await mutate('upgradeSite', { siteId: doomed })).operation!.id;
      const strandedUpgrade = (await mutate('upgradeSite', { siteId: stranded })).operation!.id;

      // An operator deletes the site while its upgrade waits for room.
      const deletion = await berth.graphql<{ result: { operation?: { id: string } } }>(
        `mutation ($input: SiteChangeInput!) {
          result: deleteSite(input: $input) { ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId: doomed } },
        { userId: 'olivia', operator: true },
      );
      expect(await operationFinished(berth, deletion.data!.result.operation!.id)).toMatchObject({
        status: 'SUCCEEDED',
      });
      // As a worker stopped between claiming an upgrade and sending it would leave it.
      await forkEm(db.orm).nativeUpdate(
        Operation,
        { id: strandedUpgrade },
        { status: 'running', step: 'starting' },
      );

      // No room (the busy site's upgrade runs): the deleted site's upgrade fails all the same,
      // and the claimed one is delivered, since its workflow does not hold it.
      const report = await startQueued();
      expect(report).toMatchObject({
        started: [strandedUpgrade],
        failed: [doomedUpgrade],
        deferred: [],
        queued: 0,
      });
      expect(await operation(doomedUpgrade)).toMatchObject({
        status: 'FAILED',
        error: 'not started: the site was deleted',
      });
      await waitingForApproval(strandedUpgrade);
      // Were it still `starting` (say its run ended before its workflow reported progress), the
      // next run would ask the workflow, find it held, and not send it again: a resend would be
      // refused ("already waiting") and fail a live upgrade.
      await forkEm(db.orm).nativeUpdate(Operation, { id: strandedUpgrade }, { step: 'starting' });
      expect(await startQueued()).toMatchObject({ started: [], failed: [], deferred: [] });
      expect(await operation(strandedUpgrade)).toMatchObject({ status: 'RUNNING' });
      expect((await siteState(berth, stranded)).upgrade?.operationId).toBe(strandedUpgrade);

      await mutate('cancelSiteUpgrade', { siteId: stranded });
      await mutate('cancelSiteUpgrade', { siteId: busy });
      await operationFinished(berth, strandedUpgrade);
      await operationFinished(berth, runningId);
    },
    240_000,
  );

  it.skipIf(skip)('is run by a schedule every BERTH_UPGRADE_QUEUE_MINUTES', async () => {
    await ensureUpgradeQueueSchedule(berth.temporal, berth.config);
    const schedule = berth.temporal.schedule.getHandle(upgradeQueueScheduleId);
    try {
      const description = await schedule.describe();
      expect(description.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'startQueuedUpgrades',
        taskQueue: berth.config.temporal.taskQueue,
      });
      expect(description.spec.intervals).toMatchObject([
        { every: berth.config.os.upgradeQueueMinutes * 60_000 },
      ]);
    } finally {
      await schedule.delete();
    }
  });
});
