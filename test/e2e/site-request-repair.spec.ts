import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSiteRequestActivities,
  type StrandedSitesReport,
} from '../../activities/site-requests/activities';
import { forkEm } from '../../libs/db/orm';
import { Operation, Site, SiteEvent, SiteRole } from '../../libs/domain';
import { searchAttributes, siteWorkflowId } from '../../libs/temporal/names';
import { startSiteWorkflow } from '../../libs/temporal/site-start';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { type RequestSiteData, requestSiteMutation } from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * The `site-request-repair` schedule: a site whose api stopped between writing its rows and
 * starting its workflow (made here by writing the rows as requestSite does) gets its workflow
 * and becomes ready; one whose api stopped just after starting it gets its record; one whose
 * workflow closed without building it fails; younger requests, and recorded ones, are left alone.
 */
describe.each(databaseKinds)('repairing stranded site requests on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`repair-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** The rows requestSite writes before it starts the workflow, `ageMinutes` old. */
  async function unstartedRequest(
    ageMinutes: number,
  ): Promise<{ site: Site; operation: Operation }> {
    const createdAt = new Date(Date.now() - ageMinutes * 60_000);
    const site = new Site({
      id: randomUUID(),
      name: uniqueName('Stranded'),
      description: '',
      owner: 'alice',
      contactEmail: 'alice@example.org',
    });
    site.createdAt = createdAt;
    const operation = new Operation({
      id: randomUUID(),
      siteId: site.id,
      kind: 'provision',
      workflowId: siteWorkflowId(site.id),
    });
    operation.createdAt = createdAt;
    const admin = new SiteRole({
      id: randomUUID(),
      siteId: site.id,
      subjectType: 'user',
      subject: 'alice',
      role: 'admin',
      grantedBy: 'alice',
    });
    await forkEm(db.orm).transactional((tx) => {
      tx.persist([site, operation, admin]);
    });
    return { site, operation };
  }

  /** The repair's activity, run here while no worker serves the sites' workflows. */
  function repairNow(): Promise<StrandedSitesReport> {
    const { startStrandedSites } = createSiteRequestActivities({
      orm: db.orm,
      config: berth.config,
      temporal: { get: () => Promise.resolve(berth.temporal) },
    });
    return new MockActivityEnvironment().run(startStrandedSites, { olderThanSeconds: 600 });
  }

  /** The repair as the schedule runs it. */
  function repairWorkflow(): Promise<StrandedSitesReport> {
    return berth.temporal.workflow.execute('repairSiteRequests', {
      workflowId: uniqueName('site-request-repair'),
      taskQueue: berth.config.temporal.taskQueue,
      args: [{}],
    });
  }

  async function describeSite(siteId: string) {
    try {
      return await berth.temporal.workflow.getHandle(siteWorkflowId(siteId)).describe();
    } catch {
      return undefined;
    }
  }

  function requestEvents(siteId: string) {
    return forkEm(db.orm).find(SiteEvent, { siteId, action: 'site.requested' });
  }

  function statusOf(siteId: string, status: Site['status']) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      () => forkEm(db.orm).findOneOrFail(Site, siteId),
      (site) => site.status === status,
    );
  }

  it.skipIf(skip)(
    'starts, records or fails each stranded request once, and leaves the others alone',
    async () => {
      // A recorded site, made to look stranded: its request event says it was started.
      const requested = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('Recorded'), contactEmail: 'alice@example.org' },
      });
      const result = requested.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(requested));
      const recordedSite = result.site.id;
      await statusOf(recordedSite, 'ready');
      await forkEm(db.orm).nativeUpdate(
        Site,
        { id: recordedSite },
        { status: 'requested', createdAt: new Date(Date.now() - 30 * 60_000) },
      );
      const runOfRecorded = (await describeSite(recordedSite))?.runId;

      // With no worker, workflows started here stay where they are, so each site stays requested.
      await berth.stopWorker();
      const unstarted = await unstartedRequest(20);
      const young = await unstartedRequest(1);
      const unrecorded = await unstartedRequest(20);
      await startSiteWorkflow(
        berth.temporal,
        berth.config,
        unrecorded.site,
        unrecorded.operation.id,
      );
      const closed = await unstartedRequest(20);
      await startSiteWorkflow(berth.temporal, berth.config, closed.site, closed.operation.id);
      await berth.temporal.workflow.getHandle(siteWorkflowId(closed.site.id)).terminate('test');
      const runOfUnrecorded = (await describeSite(unrecorded.site.id))?.runId;
      const runOfClosed = (await describeSite(closed.site.id))?.runId;
      expect(await describeSite(unstarted.site.id)).toBeUndefined();

      const first = await repairNow();
      expect(first).toEqual({
        checked: 3,
        started: [unstarted.site.id],
        recorded: [unrecorded.site.id],
        failed: [closed.site.id],
      });
      const started = await describeSite(unstarted.site.id);
      expect(started?.status.name).toBe('RUNNING');
      expect(started?.typedSearchAttributes.get(searchAttributes.siteId)).toBe(unstarted.site.id);
      expect((await describeSite(unrecorded.site.id))?.runId).toBe(runOfUnrecorded);
      expect((await describeSite(closed.site.id))?.runId).toBe(runOfClosed);
      expect(await describeSite(young.site.id)).toBeUndefined();
      expect((await describeSite(recordedSite))?.runId).toBe(runOfRecorded);
      for (const { site } of [unstarted, unrecorded]) {
        const events = await requestEvents(site.id);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ actor: 'alice' });
        expect(events[0]!.summary).toContain('site-request repair');
      }
      expect(await requestEvents(recordedSite)).toHaveLength(1);
      // The closed one failed, with its request, through the status machine.
      expect(await forkEm(db.orm).findOneOrFail(Site, closed.site.id)).toMatchObject({
        status: 'failed',
      });
      expect(await forkEm(db.orm).findOneOrFail(Operation, closed.operation.id)).toMatchObject({
        status: 'failed',
      });

      // Again, with the sites still requested: every one is recorded or failed now.
      expect(await repairNow()).toEqual({ checked: 0, started: [], recorded: [], failed: [] });
      expect(await requestEvents(unstarted.site.id)).toHaveLength(1);

      // With the worker back, the started and recorded requests are built.
      await berth.startWorker();
      for (const { site, operation } of [unstarted, unrecorded]) {
        await statusOf(site.id, 'ready');
        const provision = await eventually(
          `operation ${operation.id} finishing`,
          () => forkEm(db.orm).findOneOrFail(Operation, operation.id),
          (row) => row.status !== 'running',
        );
        expect(provision.status).toBe('succeeded');
      }
      expect(await repairWorkflow()).toEqual({ checked: 0, started: [], recorded: [], failed: [] });
      expect(await describeSite(young.site.id)).toBeUndefined();
    },
  );
});
