import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../libs/db/orm';
import { Operation } from '../../libs/domain';
import { backupName } from '../../libs/domain/backup-retention';
import { type BerthStack, startBerth } from '../helpers/berth';
import { databaseUnavailable, startDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { FaultPlan, type FaultTarget } from '../helpers/faults';
import { operationFinished, provisionedSite } from '../helpers/sites';
import {
  siteFootprint,
  siteState,
  type TestServerMutation,
  testServerMutation,
} from '../helpers/test-servers';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/** Every step of a clone, in order: each has an effect its compensation must take back. */
const cloneSteps: FaultTarget[] = [
  'allocateNetwork',
  'copyHostKeys',
  'publishServerDns',
  'recordTestServer',
  'cloneVm',
  'setVmStatus',
  'configureServer',
].map((activityType) => ({ workflowType: 'cloneServer', activityType }));
cloneSteps.push({ workflowType: 'cloneServer', activityType: 'setVmStatus', occurrence: 2 });

/** Every step of a switch; the servers are handled one after the other, so each twice. */
const switchSteps: FaultTarget[] = [
  { workflowType: 'switchServers', activityType: 'assignServers' },
  ...['setGuestIdentity', 'publishServerDns', 'powerVm', 'setVmPowerState', 'configureServer']
    .flatMap((activityType) => [1, 2].map((occurrence) => ({ activityType, occurrence })))
    .map((step) => ({ workflowType: 'switchServers', ...step })),
];

/** The approved half of an upgrade, in the site workflow. */
const approvedUpgradeSteps: FaultTarget[] = [
  'takeServerSnapshot',
  'upgradeServer',
  'configureServer',
].map((activityType) => ({ workflowType: 'site', activityType }));

const label = (step: FaultTarget) =>
  `${step.workflowType}.${step.activityType}${step.occurrence ? ` #${step.occurrence}` : ''}`;

/**
 * Sagas under failure (issue #8 item 6). A worker interceptor lets one step of a multi-step
 * operation run for real and then fails it for good; the operation must fail, and its
 * compensations must leave the site exactly as it was: the same records, machines, addresses,
 * host keys, DNS record sets and snapshots (test/helpers/test-servers.ts siteFootprint), no VM
 * outside the records, and a site that takes the same operation afterwards. Clone, restore,
 * switch and upgrade, every step.
 */
describe('multi-step operations that fail part way', () => {
  const skip = temporalUnavailable() ?? databaseUnavailable('sqlite');
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  const faults = new FaultPlan();

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('saga-failures'),
      activityInterceptors: [faults.interceptor],
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  /** Sends the change and waits for its operation; returns it as the api shows it. */
  async function finished(name: TestServerMutation, input: Record<string, unknown>) {
    const result = await testServerMutation(berth, name, input);
    if (!result.operation) throw new Error(`refused: ${JSON.stringify(result)}`);
    return (await operationFinished(berth, result.operation.id))!;
  }

  /** Runs `name` with a fault after `step`, which must fail its operation. */
  async function failsAfter(
    siteId: string,
    name: TestServerMutation,
    step: FaultTarget,
    input: Record<string, unknown> = {},
  ) {
    faults.arm(step);
    const operation = await finished(name, { siteId, ...input });
    faults.disarm();
    expect(faults.firedAfter(), 'the fault was injected').toBe(
      `${step.workflowType}.${step.activityType}`,
    );
    expect(operation.status).toBe('FAILED');
    // A failure of a type Berth does not know is reported without its text (it could quote
    // anything): the operation says only that something went wrong inside.
    expect(operation.error).toMatch(/internal error/);
  }

  /** As failsAfter, and the site's footprint and workflow state must be as they were. */
  async function failsCleanly(
    siteId: string,
    name: TestServerMutation,
    step: FaultTarget,
    input: Record<string, unknown> = {},
  ) {
    const before = await siteFootprint(db.orm, siteId);
    const stateBefore = await siteState(berth, siteId);
    await failsAfter(siteId, name, step, input);
    const after = await siteFootprint(db.orm, siteId);
    expect(after).toEqual(before);
    expect(after.strayMachines).toBe(0);
    const stateAfter = await siteState(berth, siteId);
    expect({ ...stateAfter, configuration: null }).toEqual({
      ...stateBefore,
      configuration: null,
    });
  }

  describe('cloning production into a test server', () => {
    let siteId: string;
    beforeAll(async () => {
      if (!skip) siteId = await provisionedSite(berth, 'Clone faults');
    });

    it.skipIf(skip).each(cloneSteps.map((step) => [label(step), step] as const))(
      'a failure after %s leaves nothing behind',
      async (_label, step) => {
        await failsCleanly(siteId, 'createTestServer', step);
      },
      60_000,
    );

    it.skipIf(skip)('and the site still gets its test server afterwards', async () => {
      expect((await finished('createTestServer', { siteId })).status).toBe('SUCCEEDED');
      expect((await siteState(berth, siteId)).testServer).not.toBeNull();
    });
  });

  describe('restoring a backup to a test server', () => {
    let siteId: string;
    const date = backupName(new Date());
    beforeAll(async () => {
      if (skip) return;
      siteId = await provisionedSite(berth, 'Restore faults');
      expect((await finished('backUpSite', { siteId })).status).toBe('SUCCEEDED');
    });

    const restoreSteps: FaultTarget[] = [
      { workflowType: 'site', activityType: 'checkBackupExists' },
      ...cloneSteps,
    ];
    it.skipIf(skip).each(restoreSteps.map((step) => [label(step), step] as const))(
      'a failure after %s leaves nothing behind',
      async (_label, step) => {
        await failsCleanly(siteId, 'restoreBackup', step, { date });
      },
      60_000,
    );

    it.skipIf(skip)('and the backup still restores afterwards', async () => {
      expect((await finished('restoreBackup', { siteId, date })).status).toBe('SUCCEEDED');
    });
  });

  describe('switching the test server and production', () => {
    let siteId: string;
    beforeAll(async () => {
      if (skip) return;
      siteId = await provisionedSite(berth, 'Switch faults');
      expect((await finished('createTestServer', { siteId })).status).toBe('SUCCEEDED');
    });

    it.skipIf(skip).each(switchSteps.map((step) => [label(step), step] as const))(
      'a failure after %s puts both servers back',
      async (_label, step) => {
        await failsCleanly(siteId, 'switchTestServer', step);
      },
      90_000,
    );

    it.skipIf(skip)('and the two still swap afterwards', async () => {
      const before = await siteState(berth, siteId);
      expect((await finished('switchTestServer', { siteId })).status).toBe('SUCCEEDED');
      const after = await siteState(berth, siteId);
      expect([after.vmId, after.testServer?.vmId]).toEqual([before.testServer?.vmId, before.vmId]);
    });
  });

  describe('upgrading', () => {
    let siteId: string;
    beforeAll(async () => {
      if (!skip) siteId = await provisionedSite(berth, 'Upgrade faults');
    });

    /** Starts an upgrade and waits until it asks for approval; its operation id. */
    async function waitingUpgrade(): Promise<string> {
      const started = await testServerMutation(berth, 'upgradeSite', { siteId });
      if (!started.operation) throw new Error(JSON.stringify(started));
      await eventually(
        'the upgrade waiting for approval',
        async () => (await forkEm(db.orm).findOneOrFail(Operation, started.operation!.id)).step,
        (step) => step === 'waiting for approval',
      );
      return started.operation.id;
    }

    it.skipIf(skip)(
      'a failure after upgrading the test server removes the test server made for it',
      async () => {
        // Cloning for the upgrade is the clone above; this is the step after it.
        await failsCleanly(siteId, 'upgradeSite', {
          workflowType: 'site',
          activityType: 'upgradeServer',
        });
      },
      60_000,
    );

    it.skipIf(skip).each(approvedUpgradeSteps.map((step) => [label(step), step] as const))(
      'a failure after %s puts production back as it was, without a snapshot',
      async (_label, step) => {
        const before = await siteFootprint(db.orm, siteId);
        const stateBefore = await siteState(berth, siteId);
        const upgradeId = await waitingUpgrade();
        await failsAfter(siteId, 'approveSiteUpgrade', step);
        const upgrade = await operationFinished(berth, upgradeId);
        expect(upgrade?.status).toBe('FAILED');
        expect(upgrade?.error).toMatch(/internal error/);
        // The whole upgrade is undone: production runs what it ran, its test server is gone.
        expect(await siteFootprint(db.orm, siteId)).toEqual(before);
        const stateAfter = await siteState(berth, siteId);
        expect({ ...stateAfter, configuration: null }).toEqual({
          ...stateBefore,
          configuration: null,
        });
      },
      90_000,
    );

    it.skipIf(skip)(
      'a failure after the last step (removing the snapshot) leaves the upgrade done and no snapshot',
      async () => {
        const upgradeId = await waitingUpgrade();
        faults.arm({ workflowType: 'site', activityType: 'removeServerSnapshot' });
        const approved = await finished('approveSiteUpgrade', { siteId });
        faults.disarm();
        expect(faults.firedAfter()).toBe('site.removeServerSnapshot');
        expect(approved.status).toBe('SUCCEEDED');
        expect((await operationFinished(berth, upgradeId))?.status).toBe('SUCCEEDED');
        const footprint = await siteFootprint(db.orm, siteId);
        expect(footprint.snapshots).toEqual([]);
        expect(footprint.vms).toEqual([expect.objectContaining({ image: 'debian-13' })]);
      },
      90_000,
    );
  });
});
