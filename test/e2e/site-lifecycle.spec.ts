import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDnsRecordSet } from '../../activities/network/dns/simulated/simulated-dns.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import { HostKey, NetworkConfig, Operation, SiteEvent, Vm } from '../../libs/domain';
import { provisionWorkflowId, siteWorkflowId } from '../../libs/temporal/names';
import { siteStateQuery } from '../../workflows/site.messages';
import { type BerthStack, startBerth } from '../helpers/berth';
import { findInHistory } from '../helpers/history-text';
import { recordHistory, recordingHistories } from '../helpers/histories';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type OperationData,
  operationQuery,
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const operator: DevTokenOptions = { userId: 'olivia', operator: true };

type ChangeResult =
  | { __typename: 'SiteOperationPayload'; operation: { id: string; kind: string } }
  | { __typename: string; code: string; message: string };

function changeMutation(name: string, inputType = 'SiteChangeInput'): string {
  return `mutation Change($input: ${inputType}!) {
    result: ${name}(input: $input) {
      __typename
      ... on SiteOperationPayload { operation { id kind } }
      ... on UserError { code message }
    }
  }`;
}

describe.each(databaseKinds)('the site lifecycle on %s', (kind) => {
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
      taskQueue: uniqueName(`lifecycle-${kind}`),
      // Runs long enough (7 tasks of 100 ms) for the concurrent requests to arrive during one.
      env: { BERTH_CANCELLATION_GRACE_SECONDS: '3', BERTH_SIMULATED_ANSIBLE_TASK_MS: '100' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function readySite(): Promise<string> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Lifecycle'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    await statusOf(result.site.id, 'READY');
    return result.site.id;
  }

  async function statusOf(siteId: string, status: string) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId }, operator)).data?.site,
      (site) => site?.status === status,
    );
  }

  async function change(
    name: string,
    input: Record<string, unknown>,
    as?: DevTokenOptions,
    inputType?: string,
  ): Promise<ChangeResult> {
    const response = await berth.graphql<{ result: ChangeResult }>(
      changeMutation(name, inputType),
      { input },
      as,
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function finished(result: ChangeResult) {
    if (!('operation' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    return eventually(
      `operation ${result.operation.kind} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: result.operation.id })).data
          ?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
  }

  async function powerState(siteId: string) {
    const state = await berth.temporal.workflow
      .getHandle(siteWorkflowId(siteId))
      .query(siteStateQuery);
    return (await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId: state.vmId! })).powerState;
  }

  it.skipIf(skip)(
    'disables, enables, suspends, unsuspends, cancels and reverts, audited',
    async () => {
      const siteId = await readySite();

      expect(await finished(await change('disableSite', { siteId }))).toMatchObject({
        status: 'SUCCEEDED',
      });
      await statusOf(siteId, 'DISABLED');
      expect(await powerState(siteId)).toBe('poweredOff');

      // Refused by the workflow's validator: nothing recorded.
      const operationsBefore = await forkEm(db.orm).count(Operation, { siteId });
      expect(await change('disableSite', { siteId })).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(operationsBefore);

      await finished(await change('enableSite', { siteId }));
      await statusOf(siteId, 'READY');
      expect(await powerState(siteId)).toBe('poweredOn');

      // Suspension is an operator's: alice is refused, olivia is not.
      const bySiteAdmin = await berth.graphql(changeMutation('suspendSite', 'SuspendSiteInput'), {
        input: { siteId, reason: 'abuse report' },
      });
      expect(bySiteAdmin.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await finished(
        await change(
          'suspendSite',
          { siteId, reason: 'abuse report' },
          operator,
          'SuspendSiteInput',
        ),
      );
      await statusOf(siteId, 'SUSPENDED');
      // Update arguments sit in history encrypted: the raw history (read without Berth's codec)
      // does not hold the reason, while Berth's own client reads it back.
      const rawHistory = await temporal.client.workflow
        .getHandle(siteWorkflowId(siteId))
        .fetchHistory();
      expect(findInHistory(rawHistory, 'abuse report')).toEqual([]);
      const decoded = await berth.temporal.workflow
        .getHandle(siteWorkflowId(siteId))
        .query(siteStateQuery);
      expect(decoded.status).toBe('suspended');
      expect(await change('enableSite', { siteId })).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await finished(await change('unsuspendSite', { siteId }, operator));
      await statusOf(siteId, 'DISABLED');

      await finished(await change('cancelSite', { siteId }));
      await statusOf(siteId, 'CANCELLED');
      await finished(await change('revertSiteCancellation', { siteId }, operator));
      await statusOf(siteId, 'DISABLED');
      await finished(
        await change('setSiteRenewal', { siteId, renews: false }, undefined, 'SetSiteRenewalInput'),
      );

      // Each event is its asker's: alice's own changes, olivia's as the operator.
      const audit = (
        await forkEm(db.orm).find(SiteEvent, { siteId }, { orderBy: { id: 'asc' } })
      ).map((e) => [e.actor, e.action, e.summary]);
      expect(audit).toEqual(
        expect.arrayContaining([
          ['alice', 'vm.power-off', 'power off'],
          ['alice', 'site.disabled', 'disabled by alice'],
          ['alice', 'vm.power-on', 'power on'],
          ['alice', 'site.enabled', 'enabled by alice'],
          ['olivia', 'site.updated', 'suspension reason set'],
          ['olivia', 'site.suspended', 'suspended by olivia: abuse report'],
          ['olivia', 'site.updated', 'suspension reason cleared'],
          ['olivia', 'site.unsuspended', 'unsuspended by olivia; still disabled'],
          ['alice', 'site.cancelled', expect.stringMatching(/^cancelled by alice; deleted after /)],
          ['alice', 'site.updated', expect.stringMatching(/^deletion due /)],
          ['olivia', 'site.updated', 'deletion called off'],
          ['olivia', 'site.cancellation-reverted', 'cancellation reverted by olivia'],
          ['alice', 'site.updated', 'will not renew'],
        ]),
      );

      if (recordingHistories && kind === 'sqlite') {
        // site-lifecycle.json stays as recorded before the pool top-up moved (replayed as is).
        const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
        await recordHistory(
          berth,
          temporal.address,
          provisionWorkflowId(vm.id),
          'provision-vm-forget-token',
        );
      }

      // Deleted by an operator, and audited as hers.
      await finished(await change('deleteSite', { siteId }, operator));
      await statusOf(siteId, 'DELETED');
      const deleted = await forkEm(db.orm).find(SiteEvent, { siteId, action: 'site.deleted' });
      expect(deleted.map((e) => [e.actor, e.summary])).toEqual([['olivia', 'deleted by olivia']]);
    },
  );

  it.skipIf(skip)(
    'coalesces 20 concurrent reconfigurations into a few serial, audited runs',
    async () => {
      const siteId = await readySite();
      const handle = berth.temporal.workflow.getHandle(siteWorkflowId(siteId));
      const before = (await handle.query(siteStateQuery)).configuration;

      const results = await Promise.all(
        Array.from({ length: 20 }, () => change('reconfigureSite', { siteId })),
      );
      // While runs are under way, the workflow says it holds every operation not yet ended (read
      // after its answer: an operation still running then was running when it answered).
      const held = (await handle.query(siteStateQuery)).heldOperations ?? [];
      const ids = results.map((result) => {
        if (!('operation' in result)) throw new Error(JSON.stringify(result));
        return result.operation.id;
      });
      const unfinished = await forkEm(db.orm).find(Operation, { id: ids, status: 'running' });
      expect(held).toEqual(expect.arrayContaining(unfinished.map((operation) => operation.id)));
      const operations = await Promise.all(results.map(finished));
      expect(operations.every((op) => op?.status === 'SUCCEEDED')).toBe(true);
      await statusOf(siteId, 'READY');

      const after = (await handle.query(siteStateQuery)).configuration;
      const runs = after.runs - before.runs;
      // How many runs depends on how the requests spread over time (each is a database write and
      // an Update); with 700 ms runs they share a handful, never one each.
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(runs).toBeLessThanOrEqual(10);
      expect(after.coalesced - before.coalesced).toBe(20 - runs);
      console.log(`20 concurrent reconfigurations: ${runs} runs, ${20 - runs} coalesced`);

      // The audit log shows each run, in series: every run ends (configured) or hands over to a
      // queued follow-up before the next one starts, and the last one ends.
      const actions = (await forkEm(db.orm).find(SiteEvent, { siteId }, { orderBy: { id: 'asc' } }))
        .map((event) => event.action)
        .filter((action) => action.startsWith('site.configur'));
      expect(actions.filter((action) => action === 'site.configuring')).toHaveLength(runs);
      let running = false;
      for (const action of actions) {
        if (action === 'site.configuring') {
          expect(running, actions.join(' ')).toBe(false);
          running = true;
        } else {
          expect(running, actions.join(' ')).toBe(true);
          running = false;
        }
      }
      expect(actions.at(-1)).toBe('site.configured');
    },
  );

  it.skipIf(skip)(
    'deletes a cancelled site after its grace period, leaving nothing behind',
    async () => {
      const siteId = await readySite();
      const { vmId } = await berth.temporal.workflow
        .getHandle(siteWorkflowId(siteId))
        .query(siteStateQuery);
      await finished(await change('cancelSite', { siteId }));
      await statusOf(siteId, 'DELETED');
      const em = forkEm(db.orm);
      expect(await em.count(SimulatedVm, { vmId: vmId! })).toBe(0);
      // Its name and addresses are on hold, its records out of DNS, its host keys forgotten.
      const network = await em.findOneOrFail(NetworkConfig, { siteId });
      expect(network.state).toBe('held');
      expect(network.holdUntil!.getTime()).toBeGreaterThan(Date.now());
      expect(await em.count(SimulatedDnsRecordSet, { name: network.hostname })).toBe(0);
      expect(await em.count(HostKey, { vmId: vmId! })).toBe(0);
      expect(await change('enableSite', { siteId })).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    },
  );

  it.skipIf(skip)('returns the same operation for a repeated idempotency key', async () => {
    const siteId = await readySite();
    const idempotencyKey = uniqueName('quarantine');
    const first = await change('quarantineSite', { siteId, idempotencyKey });
    const second = await change('quarantineSite', { siteId, idempotencyKey });
    expect(second).toEqual(first);
    await finished(first);
    await statusOf(siteId, 'QUARANTINED');
    expect(await change('releaseSiteQuarantine', { siteId, idempotencyKey })).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it.skipIf(skip)("hides another user's site, and refuses a missing or bad token", async () => {
    const siteId = await readySite();
    expect(await change('disableSite', { siteId }, { userId: 'bob' })).toMatchObject({
      code: 'SITE_NOT_FOUND',
    });
    expect(
      (await berth.graphql<SiteData>(siteQuery, { id: siteId }, { userId: 'bob' })).data?.site,
    ).toBeNull();
    const anonymous = await berth.graphql(siteQuery, { id: siteId }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const response = await fetch(`${berth.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.token' },
      body: JSON.stringify({ query: '{ sites { totalCount } }' }),
    });
    expect(response.status).toBe(401);
  });
});

describe.skipIf(temporalUnavailable())('a long-lived site workflow', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('continue-as-new'),
      env: { BERTH_SITE_HISTORY_EVENTS: '100' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it('continues as new before its history grows large, carrying its state', async () => {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Long-lived'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const siteId = result.site.id;
    const handle = berth.temporal.workflow.getHandle(siteWorkflowId(siteId));
    await eventually(
      'the site becoming ready',
      () => handle.query(siteStateQuery),
      (state) => state.status === 'ready',
    );
    const firstRun = (await handle.describe()).runId;
    const renewal = changeMutation('setSiteRenewal', 'SetSiteRenewalInput');
    for (let i = 0; i < 12; i++) {
      const changed = await berth.graphql<{ result: ChangeResult }>(renewal, {
        input: { siteId, renews: i % 2 === 0 },
      });
      expect(changed.data?.result.__typename).toBe('SiteOperationPayload');
    }
    const later = await eventually(
      'a new run of the site workflow',
      () => handle.describe(),
      (description) => description.runId !== firstRun,
    );
    expect(later.status.name).toBe('RUNNING');
    const state = await handle.query(siteStateQuery);
    expect(state).toMatchObject({ siteId, status: 'ready', renews: false });
    expect(state.hostname).toMatch(/\.sites\.berth\.test$/);
    // The new run still takes changes.
    const after = await berth.graphql<{ result: ChangeResult }>(changeMutation('disableSite'), {
      input: { siteId },
    });
    expect(after.data?.result.__typename).toBe('SiteOperationPayload');
    await eventually(
      'the site becoming disabled in the new run',
      () => handle.query(siteStateQuery),
      (s) => s.status === 'disabled',
    );
  });
});
