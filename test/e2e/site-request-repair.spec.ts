import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StrandedSitesReport } from '../../activities/site-requests/activities';
import { forkEm } from '../../libs/db/orm';
import { Operation, Site, SiteEvent, SiteRole } from '../../libs/domain';
import { searchAttributes, siteWorkflowId } from '../../libs/temporal/names';
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
 * The `site-request-repair` schedule's workflow: a site whose api stopped between writing its rows
 * and starting its workflow (made here by writing the rows as requestSite does, and no workflow)
 * gets its workflow, once, and becomes ready; younger requests, and sites whose workflow exists,
 * are left alone.
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
  async function strandedRequest(
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

  function repair(): Promise<StrandedSitesReport> {
    return berth.temporal.workflow.execute('repairSiteRequests', {
      workflowId: uniqueName('site-request-repair'),
      taskQueue: berth.config.temporal.taskQueue,
      args: [{}],
    });
  }

  async function workflowExists(siteId: string): Promise<boolean> {
    try {
      await berth.temporal.workflow.getHandle(siteWorkflowId(siteId)).describe();
      return true;
    } catch {
      return false;
    }
  }

  it.skipIf(skip)(
    'starts the workflow of a request the api left behind, once, and nothing else',
    async () => {
      const stranded = await strandedRequest(20);
      const young = await strandedRequest(1);
      // A site with a workflow, made to look stranded: the repair must see its workflow.
      const requested = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('Running'), contactEmail: 'alice@example.org' },
      });
      const result = requested.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(requested));
      const running = result.site.id;
      await eventually(
        `site ${running} becoming ready`,
        () => forkEm(db.orm).findOneOrFail(Site, running),
        (site) => site.status === 'ready',
      );
      await forkEm(db.orm).nativeUpdate(
        Site,
        { id: running },
        { status: 'requested', createdAt: new Date(Date.now() - 30 * 60_000) },
      );
      const eventsOfRunning = await forkEm(db.orm).count(SiteEvent, { siteId: running });
      expect(await workflowExists(stranded.site.id)).toBe(false);

      const first = await repair();
      expect(first.started).toEqual([stranded.site.id]);
      expect(first.checked).toBe(2);

      // The stranded site is provisioned as if the api had started it.
      const ready = await eventually(
        `site ${stranded.site.id} becoming ready`,
        () => forkEm(db.orm).findOneOrFail(Site, stranded.site.id),
        (site) => site.status === 'ready',
      );
      expect(ready.owner).toBe('alice');
      const operation = await eventually(
        'its provision operation finishing',
        () => forkEm(db.orm).findOneOrFail(Operation, stranded.operation.id),
        (row) => row.status !== 'running',
      );
      expect(operation.status).toBe('succeeded');
      const description = await berth.temporal.workflow
        .getHandle(siteWorkflowId(stranded.site.id))
        .describe();
      expect(description.typedSearchAttributes.get(searchAttributes.siteId)).toBe(stranded.site.id);
      const requestedEvents = await forkEm(db.orm).find(SiteEvent, {
        siteId: stranded.site.id,
        action: 'site.requested',
      });
      expect(requestedEvents).toHaveLength(1);
      expect(requestedEvents[0]).toMatchObject({ actor: 'alice' });
      expect(requestedEvents[0]!.summary).toContain('site-request repair');

      // Left alone: the young request, and the site whose workflow exists.
      expect(await workflowExists(young.site.id)).toBe(false);
      expect(await forkEm(db.orm).count(SiteEvent, { siteId: running })).toBe(eventsOfRunning);

      // Again: nothing more to start, and no second event.
      const second = await repair();
      expect(second.started).toEqual([]);
      expect(
        await forkEm(db.orm).count(SiteEvent, {
          siteId: stranded.site.id,
          action: 'site.requested',
        }),
      ).toBe(1);
    },
  );
});
