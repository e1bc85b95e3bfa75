import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedSnapshot } from '../../activities/hypervisor/simulated/simulated-snapshot.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../libs/db/orm';
import {
  HostKey,
  NetworkConfig,
  Notification,
  Operation,
  SiteBackup,
  SiteEvent,
  Vm,
} from '../../libs/domain';
import { backupName, backupsToKeep } from '../../libs/domain/backup-retention';
import { cloneWorkflowId, siteWorkflowId, switchWorkflowId } from '../../libs/temporal/names';
import { type BerthStack, startBerth, workflowBundle } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { operationFinished, provisionedSite } from '../helpers/sites';
import {
  siteFootprint,
  siteState,
  type TestServerMutation,
  testServerMutation,
} from '../helpers/test-servers';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

interface SiteServers {
  site: {
    hostname: string;
    ipv4: string;
    testServer: { hostname: string; ipv4: string; image: string; status: string } | null;
    backups: { name: string }[];
  };
}

/**
 * A site's test server, nightly backups and OS upgrades (issue #8 items 1 to 3) end to end through
 * GraphQL, the site workflow and its child workflows, on the simulated hypervisor, DNS and
 * Ansible of the embedded profile: made by cloning production, swapped with it, deleted; a backup
 * taken and restored to a new test server; an upgrade tried on the test server, approved and done
 * to production under a snapshot, or called off, or left to time out. Refusals are typed and
 * write nothing.
 */
describe.each(databaseKinds)('test servers, backups and upgrades on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`test-servers-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const mutate = (name: TestServerMutation, input: Record<string, unknown>) =>
    testServerMutation(berth, name, input);

  /** Makes the change and waits for its operation, which must succeed. */
  async function applied(name: TestServerMutation, input: Record<string, unknown>) {
    const result = await mutate(name, input);
    if (!result.operation) throw new Error(`refused: ${JSON.stringify(result)}`);
    const operation = await operationFinished(berth, result.operation.id);
    expect(operation?.status, JSON.stringify(operation)).toBe('SUCCEEDED');
    return result.operation.id;
  }

  async function servers(siteId: string) {
    const response = await berth.graphql<SiteServers>(
      `query ($id: ID!) {
        site(id: $id) {
          hostname ipv4
          testServer { hostname ipv4 image status }
          backups { name }
        }
      }`,
      { id: siteId },
    );
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.site;
  }

  /** A refused request must leave the operations and the audit log as they were. */
  async function refusedWithNothingWritten(
    siteId: string,
    name: TestServerMutation,
    input: Record<string, unknown>,
    code: string,
  ) {
    const em = forkEm(db.orm);
    const before = {
      operations: await em.count(Operation, { siteId }),
      events: await em.count(SiteEvent, { siteId }),
      footprint: await siteFootprint(db.orm, siteId),
    };
    const result = await mutate(name, { siteId, ...input });
    expect(result.code, JSON.stringify(result)).toBe(code);
    expect({
      operations: await em.count(Operation, { siteId }),
      events: await em.count(SiteEvent, { siteId }),
      footprint: await siteFootprint(db.orm, siteId),
    }).toEqual(before);
  }

  it.skipIf(skip)(
    'clones production into a test server, swaps the two, and deletes the test server',
    async () => {
      const siteId = await provisionedSite(berth, 'Test server');
      const production = await servers(siteId);
      expect(production.testServer).toBeNull();
      const [productionVm] = (await siteFootprint(db.orm, siteId)).vms;

      await applied('createTestServer', { siteId });
      const made = await servers(siteId);
      expect(made.hostname).toBe(production.hostname);
      expect(made.testServer).toMatchObject({ image: 'debian-12', status: 'ready' });
      expect(made.testServer!.hostname).not.toBe(production.hostname);
      const state = await siteState(berth, siteId);
      const testVmId = state.testServer!.vmId;
      // The clone is a copy of production's disks under its own name and addresses.
      const clone = await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId: testVmId });
      expect(clone).toMatchObject({
        clonedFrom: productionVm!.id,
        clonedSnapshot: null,
        hostname: made.testServer!.hostname,
        ipv4: made.testServer!.ipv4,
        powerState: 'poweredOn',
      });
      // Its disk holds production's host keys, so those are the keys Berth publishes for it.
      const keysOf = async (vmId: string) =>
        (await forkEm(db.orm).find(HostKey, { vmId }, { orderBy: { type: 'asc' } })).map(
          (key) => key.publicKey,
        );
      expect(await keysOf(testVmId)).toEqual(await keysOf(productionVm!.id));
      expect(await keysOf(testVmId)).toHaveLength(3);
      await refusedWithNothingWritten(siteId, 'createTestServer', {}, 'TEST_SERVER_EXISTS');

      // Swapped: the tested server answers to production's name and addresses, and DNS follows.
      await applied('switchTestServer', { siteId });
      const swapped = await servers(siteId);
      expect(swapped.hostname).toBe(production.hostname);
      expect(swapped.testServer!.hostname).toBe(made.testServer!.hostname);
      const after = await siteState(berth, siteId);
      expect(after.vmId).toBe(testVmId);
      expect(after.testServer!.vmId).toBe(productionVm!.id);
      const em = forkEm(db.orm);
      expect(await em.findOneOrFail(SimulatedVm, { vmId: testVmId })).toMatchObject({
        hostname: production.hostname,
        ipv4: production.ipv4,
      });
      expect(await em.findOneOrFail(SimulatedVm, { vmId: productionVm!.id })).toMatchObject({
        hostname: made.testServer!.hostname,
        ipv4: made.testServer!.ipv4,
      });
      expect(
        await em.findOneOrFail(NetworkConfig, { hostname: production.hostname }),
      ).toMatchObject({ vmId: testVmId, state: 'allocated' });
      expect((await em.findOneOrFail(Vm, testVmId)).service).toBe('production');

      await applied('deleteTestServer', { siteId });
      expect((await servers(siteId)).testServer).toBeNull();
      const left = await siteFootprint(db.orm, siteId);
      expect(left.vms.map((vm) => vm.id)).toEqual([testVmId]);
      expect(left.machines.map((vm) => vm.vmId)).toEqual([testVmId]);
      expect(left.strayMachines).toBe(0);
      expect(left.addresses.map((row) => row.hostname)).toEqual([production.hostname]);
      expect(left.dns.some((set) => set.includes(made.testServer!.hostname))).toBe(false);
      await refusedWithNothingWritten(siteId, 'switchTestServer', {}, 'NO_TEST_SERVER');
      await refusedWithNothingWritten(siteId, 'deleteTestServer', {}, 'NO_TEST_SERVER');
      if (recordingHistories && kind === 'sqlite') {
        // The replay fixtures of the test server's workflows (test/integration/workflows).
        await recordHistory(berth, temporal.address, cloneWorkflowId(testVmId), 'clone-server');
        const switched = await forkEm(db.orm).findOneOrFail(Operation, {
          siteId,
          kind: 'switch-test-server',
        });
        await recordHistory(
          berth,
          temporal.address,
          switchWorkflowId(switched.id),
          'switch-servers',
        );
        await recordHistory(berth, temporal.address, siteWorkflowId(siteId), 'site-test-server');
      }
    },
    180_000,
  );

  it.skipIf(skip)(
    'powers the test server off with a suspended site and on again when it is back',
    async () => {
      const siteId = await provisionedSite(berth, 'Suspended');
      await applied('createTestServer', { siteId });
      const state = await siteState(berth, siteId);
      const operator = { userId: 'olivia', operator: true };
      const lifecycle = async (name: string, input: Record<string, unknown>, as = operator) => {
        const inputType = name === 'suspendSite' ? 'SuspendSiteInput' : 'SiteChangeInput';
        const response = await berth.graphql<{ result: { operation?: { id: string } } }>(
          `mutation Change($input: ${inputType}!) {
            result: ${name}(input: $input) { ... on SiteOperationPayload { operation { id } } }
          }`,
          { input: { siteId, ...input } },
          as,
        );
        const operation = await operationFinished(berth, response.data!.result.operation!.id);
        expect(operation?.status).toBe('SUCCEEDED');
      };
      const powerStates = async () =>
        (
          await forkEm(db.orm).find(SimulatedVm, {
            vmId: { $in: [state.vmId!, state.testServer!.vmId] },
          })
        ).map((vm) => vm.powerState);

      await lifecycle('suspendSite', { reason: 'abuse report' });
      expect(await powerStates()).toEqual(['poweredOff', 'poweredOff']);
      await lifecycle('unsuspendSite', {});
      expect(await powerStates()).toEqual(['poweredOff', 'poweredOff']);
      await lifecycle('enableSite', {});
      expect(await powerStates()).toEqual(['poweredOn', 'poweredOn']);
    },
    120_000,
  );

  it.skipIf(skip)(
    'takes a backup and restores it to a new test server',
    async () => {
      const siteId = await provisionedSite(berth, 'Backups');
      const today = backupName(new Date());
      await applied('backUpSite', { siteId });
      // A second one the same day is the same backup.
      await applied('backUpSite', { siteId });
      expect((await servers(siteId)).backups).toEqual([{ name: today }]);
      const productionVmId = (await siteState(berth, siteId)).vmId!;
      expect(
        (await forkEm(db.orm).find(SimulatedSnapshot, { vmId: productionVmId })).map(
          (row) => row.name,
        ),
      ).toEqual([today]);

      await refusedWithNothingWritten(
        siteId,
        'restoreBackup',
        { date: '2020-01-01' },
        'BACKUP_NOT_FOUND',
      );
      await applied('restoreBackup', { siteId, date: today });
      const testVmId = (await siteState(berth, siteId)).testServer!.vmId;
      expect(await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId: testVmId })).toMatchObject({
        clonedFrom: productionVmId,
        clonedSnapshot: today,
      });
      await refusedWithNothingWritten(
        siteId,
        'restoreBackup',
        { date: today },
        'TEST_SERVER_EXISTS',
      );
    },
    180_000,
  );

  it.skipIf(skip)(
    'upgrades the test server, waits for approval, then upgrades production under a snapshot',
    async () => {
      const siteId = await provisionedSite(berth, 'Upgrade');
      const started = await mutate('upgradeSite', { siteId });
      if (!started.operation) throw new Error(JSON.stringify(started));
      const upgradeId = started.operation.id;
      // The first half finishes with the operation still running, waiting for the admins.
      const waiting = await eventually(
        'the upgrade waiting for approval',
        async () => (await forkEm(db.orm).findOneOrFail(Operation, upgradeId)).step,
        (step) => step === 'waiting for approval',
      );
      expect(waiting).toBe('waiting for approval');
      expect((await servers(siteId)).testServer).toMatchObject({ image: 'debian-13' });
      const notice = await forkEm(db.orm).findOneOrFail(Notification, {
        siteId,
        kind: 'upgrade-waiting-for-approval',
      });
      expect(notice.body).toContain((await servers(siteId)).testServer!.hostname);
      await refusedWithNothingWritten(siteId, 'upgradeSite', {}, 'ILLEGAL_TRANSITION');
      await refusedWithNothingWritten(siteId, 'deleteTestServer', {}, 'ILLEGAL_TRANSITION');

      await applied('approveSiteUpgrade', { siteId });
      const upgrade = await operationFinished(berth, upgradeId);
      expect(upgrade?.status).toBe('SUCCEEDED');
      const state = await siteState(berth, siteId);
      expect(state.upgrade).toBeNull();
      // The test server was made for the upgrade, and went with it; production runs the new OS
      // and kept no snapshot.
      expect(state.testServer).toBeNull();
      const footprint = await siteFootprint(db.orm, siteId);
      expect(footprint.vms).toEqual([
        expect.objectContaining({ id: state.vmId, service: 'production', image: 'debian-13' }),
      ]);
      expect(footprint.snapshots).toEqual([]);
      expect(footprint.strayMachines).toBe(0);
      // Nothing further is due from debian-13.
      await refusedWithNothingWritten(siteId, 'upgradeSite', {}, 'UPGRADE_NOT_DUE');
      await refusedWithNothingWritten(siteId, 'approveSiteUpgrade', {}, 'ILLEGAL_TRANSITION');
      if (recordingHistories && kind === 'sqlite') {
        await recordHistory(berth, temporal.address, siteWorkflowId(siteId), 'site-upgrade');
      }
    },
    180_000,
  );

  it.skipIf(skip)(
    'an upgrade called off removes the test server made for it and keeps one that was there',
    async () => {
      const siteId = await provisionedSite(berth, 'Upgrade off');
      const before = await siteFootprint(db.orm, siteId);
      const started = await mutate('upgradeSite', { siteId });
      await eventually(
        'the upgrade waiting for approval',
        async () => (await forkEm(db.orm).findOneOrFail(Operation, started.operation!.id)).step,
        (step) => step === 'waiting for approval',
      );
      await applied('cancelSiteUpgrade', { siteId });
      const upgrade = await operationFinished(berth, started.operation!.id);
      expect(upgrade).toMatchObject({ status: 'FAILED' });
      expect(upgrade?.error).toMatch(/called off by alice/);
      expect(await siteFootprint(db.orm, siteId)).toEqual(before);

      // With a test server already there, the upgrade uses it and leaves it when called off.
      await applied('createTestServer', { siteId });
      const testVmId = (await siteState(berth, siteId)).testServer!.vmId;
      const again = await mutate('upgradeSite', { siteId });
      await eventually(
        'the second upgrade waiting for approval',
        async () => (await forkEm(db.orm).findOneOrFail(Operation, again.operation!.id)).step,
        (step) => step === 'waiting for approval',
      );
      await applied('cancelSiteUpgrade', { siteId });
      expect((await siteState(berth, siteId)).testServer?.vmId).toBe(testVmId);
    },
    180_000,
  );
});

/**
 * The wait for approval is a durable timer in the site workflow: with the wait and the reminder
 * configured to seconds, the reminder is queued and then the upgrade is called off on its own.
 */
describe('an upgrade nobody approves', () => {
  const skip = temporalUnavailable() ?? databaseUnavailable('sqlite');
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('upgrade-timeout'),
      // 3 s to the reminder, 6 s to the end of the wait.
      env: { BERTH_UPGRADE_REMINDER_DAYS: '0.0000348', BERTH_UPGRADE_APPROVAL_DAYS: '0.0000695' },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it.skipIf(skip)(
    'is reminded about, then called off, and its test server removed',
    async () => {
      const siteId = await provisionedSite(berth, 'Unapproved');
      const before = await siteFootprint(db.orm, siteId);
      const started = await testServerMutation(berth, 'upgradeSite', { siteId });
      const upgrade = await operationFinished(berth, started.operation!.id);
      expect(upgrade).toMatchObject({ status: 'FAILED' });
      expect(upgrade?.error).toMatch(/called off by system/);
      const notices = await forkEm(db.orm).find(Notification, {
        siteId,
        kind: 'upgrade-waiting-for-approval',
      });
      expect(notices.map((row) => row.dedupeKey).sort()).toEqual([
        `upgrade-approval/${started.operation!.id}`,
        `upgrade-approval/${started.operation!.id}/reminder`,
      ]);
      expect(await siteFootprint(db.orm, siteId)).toEqual(before);
    },
    120_000,
  );
});

/**
 * Nightly backups come from the site workflow's own durable timer: with the backup time set a
 * few seconds ahead (and no spread), a site takes its backup as `system` at that time, and the
 * retention policy prunes the older ones, on the hypervisor and in the records.
 */
describe('the nightly backup', () => {
  const skip = temporalUnavailable() ?? databaseUnavailable('sqlite');
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    // The workflow bundle too, so that the test's own clock starts with the api.
    [temporal, db] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      workflowBundle(),
    ]);
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  it.skipIf(skip)(
    'is taken at its time by the site workflow and prunes what the policy does not keep',
    async () => {
      // Due 45 s from now: enough for the api to start and a site to be ready before, even on a
      // busy machine (the time is read when the site is requested, the timer set when it is ready).
      const due = new Date(Date.now() + 45_000);
      berth = await startBerth({
        db,
        temporal,
        taskQueue: uniqueName('nightly-backups'),
        env: {
          BERTH_BACKUP_TIME: due.toISOString().slice(11, 19),
          BERTH_BACKUP_SPREAD_MINUTES: '0',
          BERTH_BACKUP_KEEP_DAILY: '3',
          BERTH_BACKUP_KEEP_WEEKLY: '2',
        },
      });
      const siteId = await provisionedSite(berth, 'Nightly');
      const vmId = (await siteState(berth, siteId)).vmId!;
      expect((await siteState(berth, siteId)).nextBackupMs).toBe(
        Date.parse(`${due.toISOString().slice(0, 19)}Z`),
      );
      // Twenty earlier nights, as if the site had been backed up every night before today.
      const today = backupName(due);
      const earlier = Array.from({ length: 20 }, (_, i) =>
        backupName(new Date(due.getTime() - (i + 1) * 86_400_000)),
      );
      const em = forkEm(db.orm);
      for (const name of earlier) {
        em.persist(
          new SiteBackup({
            id: randomUUID(),
            siteId,
            vmId,
            name,
            takenAt: new Date(`${name}T02:00:00Z`),
          }),
        );
        em.persist(
          new SimulatedSnapshot({
            id: randomUUID(),
            vmId,
            name,
            cpus: 1,
            memoryMb: 1024,
            diskGb: 10,
            powerState: 'poweredOn',
          }),
        );
      }
      await em.flush();

      const kept = [...backupsToKeep([today, ...earlier], { keepDaily: 3, keepWeekly: 2 })].sort();
      expect(kept.length).toBeLessThan(21);
      await eventually(
        'the nightly backup and its pruning',
        async () =>
          (await forkEm(db.orm).find(SiteBackup, { siteId }, { orderBy: { name: 'asc' } })).map(
            (row) => row.name,
          ),
        (names) => JSON.stringify(names) === JSON.stringify(kept),
        120_000,
      );
      const snapshots = await forkEm(db.orm).find(SimulatedSnapshot, { vmId });
      expect(snapshots.map((row) => row.name).sort()).toEqual(kept);
      if (recordingHistories) {
        await recordHistory(berth, temporal.address, siteWorkflowId(siteId), 'site-backups');
      }
      const events = await forkEm(db.orm).find(SiteEvent, { siteId, action: 'backup.taken' });
      expect(events.map((row) => row.actor)).toEqual(['system']);
      // The next one is due a day later.
      expect((await siteState(berth, siteId)).nextBackupMs).toBe(
        Date.parse(`${due.toISOString().slice(0, 19)}Z`) + 86_400_000,
      );
    },
    200_000,
  );
});
