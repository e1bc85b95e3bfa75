import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../libs/db/orm';
import { siteWorkflowId } from '../../libs/temporal/names';
import { Operation, SiteEvent, SiteSnapshot, Vm } from '../../libs/domain';
import { SimulatedSnapshot } from '../../activities/hypervisor/simulated/simulated-snapshot.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { operationFinished, provisionedSite } from '../helpers/sites';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

type SnapshotMutation = 'createSiteSnapshot' | 'revertSiteSnapshot' | 'deleteSiteSnapshot';

interface SnapshotResult {
  __typename: string;
  operation?: { id: string; kind: string };
  code?: string;
  field?: string | null;
}

function snapshotMutation(name: SnapshotMutation): string {
  return `mutation Snapshot($input: SiteSnapshotInput!) {
    result: ${name}(input: $input) {
      __typename
      ... on SiteOperationPayload { operation { id kind } }
      ... on UserError { code field }
    }
  }`;
}

/**
 * Snapshots of a site's server (issue #8 item 3) on the simulated hypervisor, end to end through
 * GraphQL and the site workflow: taken, listed, reverted to (the server gets the snapshot's state
 * back and is configured again), deleted; refused past the limit, for a taken or missing name,
 * and for names that are not slugs, each refusal writing nothing.
 */
describe.each(databaseKinds)('site snapshots on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  /** A ready site the tests that must change nothing share. */
  let shared: Promise<string> | undefined;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`snapshots-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const readySite = () => provisionedSite(berth, 'Snapshots');

  async function mutate(name: SnapshotMutation, input: Record<string, unknown>) {
    const response = await berth.graphql<{ result: SnapshotResult }>(snapshotMutation(name), {
      input,
    });
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  const operationDone = (operationId: string) => operationFinished(berth, operationId);

  /** Makes the change and waits for its operation, which must succeed. */
  async function applied(name: SnapshotMutation, input: Record<string, unknown>) {
    const result = await mutate(name, input);
    if (!result.operation) throw new Error(`refused: ${JSON.stringify(result)}`);
    const operation = await operationDone(result.operation.id);
    expect(operation?.status, JSON.stringify(operation)).toBe('SUCCEEDED');
    return operation!;
  }

  async function listed(siteId: string): Promise<string[]> {
    const response = await berth.graphql<{ site: { snapshots: { name: string }[] } }>(
      'query ($id: ID!) { site(id: $id) { snapshots { name createdBy } } }',
      { id: siteId },
    );
    return response.data!.site.snapshots.map((snapshot) => snapshot.name);
  }

  /** What a refused request must leave as it was. */
  async function written(siteId: string) {
    const em = forkEm(db.orm);
    return {
      snapshots: await em.count(SiteSnapshot, { siteId }),
      operations: await em.count(Operation, { siteId }),
      events: await em.count(SiteEvent, { siteId }),
    };
  }

  async function hypervisorSnapshots(siteId: string): Promise<string[]> {
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
    const rows = await forkEm(db.orm).find(SimulatedSnapshot, { vmId: vm.id });
    return rows.map((row) => row.name).sort();
  }

  it.skipIf(skip)(
    'takes, lists, reverts to and deletes snapshots, audited',
    async () => {
      const siteId = await readySite();
      await applied('createSiteSnapshot', { siteId, name: 'before-upgrade' });
      expect(await listed(siteId)).toEqual(['before-upgrade']);
      expect(await hypervisorSnapshots(siteId)).toEqual(['before-upgrade']);

      // The server changes after the snapshot (it is switched off here); reverting brings back
      // the snapshot's state, and the site, being ready, has its server on again.
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      await forkEm(db.orm).nativeUpdate(SimulatedVm, { vmId: vm.id }, { powerState: 'poweredOff' });
      const reverted = await applied('revertSiteSnapshot', { siteId, name: 'before-upgrade' });
      expect((await forkEm(db.orm).findOneOrFail(Operation, reverted.id)).kind).toBe(
        'revert-snapshot',
      );
      const simulated = await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId: vm.id });
      expect(simulated.powerState).toBe('poweredOn');

      await applied('deleteSiteSnapshot', { siteId, name: 'before-upgrade' });
      expect(await listed(siteId)).toEqual([]);
      expect(await hypervisorSnapshots(siteId)).toEqual([]);

      const events = await forkEm(db.orm).find(
        SiteEvent,
        { siteId, action: { $like: 'snapshot.%' } },
        { orderBy: { id: 'asc' } },
      );
      expect(events.map((event) => [event.action, event.actor])).toEqual([
        ['snapshot.created', 'alice'],
        ['snapshot.reverted', 'alice'],
        ['snapshot.deleted', 'alice'],
      ]);
      if (recordingHistories && kind === 'sqlite') {
        // Once the revert's configuration run has finished too.
        await eventually(
          'the site settling',
          () => forkEm(db.orm).count(Operation, { siteId, status: 'running' }),
          (running) => running === 0,
        );
        await recordHistory(berth, temporal.address, siteWorkflowId(siteId), 'site-snapshots');
      }
    },
    120_000,
  );

  it.skipIf(skip)(
    'refuses past the limit, a taken or missing name, writing nothing',
    async () => {
      const siteId = await readySite();
      await applied('createSiteSnapshot', { siteId, name: 'one' });
      await applied('createSiteSnapshot', { siteId, name: 'two' });
      const before = await written(siteId);

      expect(await mutate('createSiteSnapshot', { siteId, name: 'three' })).toMatchObject({
        code: 'SNAPSHOT_LIMIT',
      });
      expect(await mutate('createSiteSnapshot', { siteId, name: 'one' })).toMatchObject({
        code: 'SNAPSHOT_EXISTS',
        field: 'name',
      });
      for (const change of ['revertSiteSnapshot', 'deleteSiteSnapshot'] as const) {
        expect(await mutate(change, { siteId, name: 'none' })).toMatchObject({
          code: 'SNAPSHOT_NOT_FOUND',
          field: 'name',
        });
      }
      expect(await written(siteId)).toEqual(before);
      expect(await hypervisorSnapshots(siteId)).toEqual(['one', 'two']);
    },
    120_000,
  );

  it.skipIf(skip)('answers a repeated request with its first operation', async () => {
    const siteId = await readySite();
    const input = { siteId, name: 'once', idempotencyKey: uniqueName('snapshot-key') };
    const first = await mutate('createSiteSnapshot', input);
    await operationDone(first.operation!.id);
    // The snapshot exists now, but the repeat is the same request, not a second one.
    expect(await mutate('createSiteSnapshot', input)).toMatchObject({
      operation: { id: first.operation!.id },
    });
    expect(await forkEm(db.orm).count(SiteSnapshot, { siteId })).toBe(1);
  });

  it
    .skipIf(skip)
    .each([
      '2026-12-04',
      'Before',
      'a b',
      '-x',
      '../etc',
      'x'.repeat(51),
      "{{ lookup('pipe','id') }}",
    ])('refuses the name %j, writing nothing', async (name) => {
    shared ??= readySite();
    const siteId = await shared;
    const before = await written(siteId);
    const response = await berth.graphql(snapshotMutation('createSiteSnapshot'), {
      input: { siteId, name },
    });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await written(siteId)).toEqual(before);
  });

  it.skipIf(skip)("hides another user's site", async () => {
    const siteId = await readySite();
    const response = await berth.graphql<{ result: SnapshotResult }>(
      snapshotMutation('createSiteSnapshot'),
      { input: { siteId, name: 'mine' } },
      { userId: 'bob' },
    );
    expect(response.data?.result).toMatchObject({ code: 'SITE_NOT_FOUND' });
    expect(await forkEm(db.orm).count(SiteSnapshot, { siteId })).toBe(0);
  });
});
