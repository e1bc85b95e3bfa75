import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestinfo, vsphereVmName } from '../../activities/hypervisor/vsphere/vsphere-hypervisor';
import { forkEm } from '../../libs/db/orm';
import { temporal as proto } from '@temporalio/proto';
import { HostKey, NetworkConfig, Operation, Vm } from '../../libs/domain';
import { backupName } from '../../libs/domain/backup-retention';
import { provisionWorkflowId } from '../../libs/temporal/names';
import { type SiteState } from '../../workflows/site.messages';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { operationFinished, provisionedSite } from '../helpers/sites';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { siteState, type TestServerMutation, testServerMutation } from '../helpers/test-servers';
import { uniqueName } from '../helpers/test-names';
import {
  startVcsim,
  templateName,
  type Vcsim,
  vcsimUnavailable,
  vsphereEnv,
} from '../helpers/vcsim';
import { startVcsimGuests, type VcsimGuests } from '../helpers/vcsim-guests';

/** A server as the site workflow holds it: production or the test server. */
type Server = Pick<SiteState, 'vmId' | 'hostname' | 'ipv4' | 'ipv6'>;

/**
 * The walking skeleton on a real hypervisor API: with HYPERVISOR=vsphere, a site requested
 * through GraphQL gets a VM cloned in vcsim, customised with its host name and address, whose
 * "first boot" (startVcsimGuests) calls the API back; deleting the site destroys the VM. govc,
 * against the same simulator, sees exactly the VMs Berth's database has. A site's test server is a
 * second VM, cloned from production, whose guestinfo identity is swapped with production's by a
 * switch; backups are snapshots of the production VM.
 */
describe.skipIf(temporalUnavailable() ?? vcsimUnavailable())('a site on vSphere (vcsim)', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let vcsim: Vcsim;
  let guests: VcsimGuests;
  let berth: BerthStack;
  const operator = { userId: 'olivia', operator: true };

  beforeAll(async () => {
    [temporal, db, vcsim] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      startVcsim(),
    ]);
    guests = startVcsimGuests(vcsim);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('vsphere-site'),
      env: vsphereEnv(vcsim),
    });
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await guests?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), vcsim?.stop()]);
  });

  /** Berth's VMs as govc lists them in the simulator, by name. */
  async function vmsInVcsim(): Promise<string[]> {
    const found = await vcsim.govc('find', '/DC0/vm', '-type', 'm', '-name', 'berth-*');
    return found
      .split('\n')
      .filter(Boolean)
      .map((path) => path.split('/').at(-1)!)
      .filter((name) => name !== templateName)
      .sort();
  }

  async function vmsInDatabase(): Promise<string[]> {
    const vms = await forkEm(db.orm).find(Vm, {});
    return vms.map((vm) => vsphereVmName(vm.id)).sort();
  }

  async function requestSite(): Promise<{ siteId: string }> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('vSphere site'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    return { siteId: result.site.id };
  }

  /** What govc sees of a VM: its power, and the Berth id and identity its guestinfo holds. */
  async function vmInVcsim(vmId: string) {
    const info = JSON.parse(
      await vcsim.govc('vm.info', '-e', '-json', `/DC0/vm/${vsphereVmName(vmId)}`),
    ) as {
      virtualMachines: {
        config: { extraConfig: { key: string; value: string }[] };
        runtime: { powerState: string };
      }[];
    };
    const vm = info.virtualMachines[0];
    if (!vm) throw new Error(`vcsim has no VM ${vsphereVmName(vmId)}`);
    const values = new Map(vm.config.extraConfig.map((option) => [option.key, option.value]));
    return {
      powerState: vm.runtime.powerState,
      vmId: values.get(guestinfo.vmId),
      hostname: values.get(guestinfo.hostname),
      ipv4: values.get(guestinfo.ipv4),
      ipv6: values.get(guestinfo.ipv6),
    };
  }

  /** The VM a VM was cloned from, by vcsim's event log ("Clone of berth-<id> completed"). */
  async function clonedFromInVcsim(vmId: string): Promise<string | undefined> {
    const events = await vcsim.govc('events', `/DC0/vm/${vsphereVmName(vmId)}`);
    return /Clone of berth-([0-9a-f-]{36}) completed/.exec(events)?.[1];
  }

  /** The names of a VM's snapshots as `govc snapshot.tree` prints them, one a line. */
  async function snapshotsInVcsim(vmId: string): Promise<string[]> {
    const tree = await vcsim.govc('snapshot.tree', '-vm', `/DC0/vm/${vsphereVmName(vmId)}`);
    return tree
      .split('\n')
      .map((line) => line.replace(/^[\s.|`-]*/, '').trim())
      .filter(Boolean);
  }

  /** Makes one of the test-server changes and waits for its operation, which must succeed. */
  async function applied(name: TestServerMutation, input: Record<string, unknown>) {
    const result = await testServerMutation(berth, name, input);
    if (!result.operation) throw new Error(`${name} refused: ${JSON.stringify(result)}`);
    const operation = await operationFinished(berth, result.operation.id);
    expect(operation?.status, JSON.stringify(operation)).toBe('SUCCEEDED');
  }

  async function deleteSite(siteId: string): Promise<void> {
    const deleted = await berth.graphql<{ deleteSite: { __typename: string } }>(
      'mutation D($siteId: ID!) { deleteSite(input: { siteId: $siteId }) { __typename } }',
      { siteId },
      operator,
    );
    expect(deleted.data?.deleteSite.__typename).toBe('SiteOperationPayload');
    await eventually(
      'the site DELETED',
      async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId }, operator)).data?.site,
      (deletedSite) => deletedSite?.status === 'DELETED',
      30_000,
    );
  }

  it('provisions sites on cloned, customised VMs and removes them with the site', async () => {
    const sites = await Promise.all([requestSite(), requestSite(), requestSite()]);
    const ready = await Promise.all(
      sites.map(({ siteId }) =>
        eventually(
          `site ${siteId} READY`,
          async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId })).data?.site,
          (site) => site?.status === 'READY' || site?.status === 'FAILED',
          60_000,
        ),
      ),
    );
    expect(ready.map((site) => site?.status)).toEqual(['READY', 'READY', 'READY']);
    expect(await vmsInVcsim()).toEqual(await vmsInDatabase());
    expect(await vmsInVcsim()).toHaveLength(3);

    // The guest was customised with the site's name and address, and it was its callback that
    // finished the install.
    const site = ready[0]!;
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId: site.id });
    expect(guests.reported.has(vm.id)).toBe(true);
    expect(guests.fetchedKeys.has(vm.id)).toBe(true);
    const info = JSON.parse(await vcsim.govc('vm.info', '-json', vsphereVmName(vm.id))) as {
      virtualMachines: {
        guest: { hostName: string; ipAddress: string };
        runtime: { powerState: string };
      }[];
    };
    const guest = info.virtualMachines[0]!;
    expect(guest.runtime.powerState).toBe('poweredOn');
    expect(guest.guest.hostName).toBe(site.hostname!.split('.')[0]);
    expect(guest.guest.ipAddress).toBe(site.ipv4);
    expect(vm.hypervisorRef).toMatch(/^vm-/);

    await deleteSite(site.id);
    expect(await vmsInVcsim()).not.toContain(vsphereVmName(vm.id));
    expect(await vmsInVcsim()).toEqual(await vmsInDatabase());
    expect(await vmsInVcsim()).toHaveLength(2);
  });

  it('makes a test server as a second VM, swaps identities with it, backs up and removes it', async () => {
    const siteId = await provisionedSite(berth, 'vSphere test server');
    const production = await siteState(berth, siteId);
    const productionVmId = production.vmId!;
    const identity = ({ vmId, hostname, ipv4, ipv6 }: Server) => ({ vmId, hostname, ipv4, ipv6 });

    // The test server is a second, running VM of its own Berth id, name and addresses.
    await applied('createTestServer', { siteId });
    const test = (await siteState(berth, siteId)).testServer!;
    expect(test.vmId).not.toBe(productionVmId);
    expect(await vmsInVcsim()).toEqual(
      expect.arrayContaining([vsphereVmName(productionVmId), vsphereVmName(test.vmId)]),
    );
    expect(await vmInVcsim(test.vmId)).toEqual({ powerState: 'poweredOn', ...identity(test) });
    expect(await clonedFromInVcsim(test.vmId)).toBe(productionVmId);
    expect(await vmInVcsim(productionVmId)).toEqual({
      powerState: 'poweredOn',
      ...identity(production),
    });
    expect(await vmsInVcsim()).toEqual(await vmsInDatabase());

    // A switch reboots both guests through VMware Tools (RebootGuest). A Berth template runs
    // open-vm-tools; vcsim runs no tools in its VMs, but sets a property named with `SET.`.
    for (const vmId of [productionVmId, test.vmId]) {
      await vcsim.govc(
        'vm.change',
        '-vm',
        `/DC0/vm/${vsphereVmName(vmId)}`,
        '-e',
        'SET.guest.toolsRunningStatus=guestToolsRunning',
      );
    }

    // Switched: each VM keeps its Berth id and takes the other's name and addresses.
    await applied('switchTestServer', { siteId });
    const switched = await siteState(berth, siteId);
    expect([switched.vmId, switched.testServer?.vmId]).toEqual([test.vmId, productionVmId]);
    expect(await vmInVcsim(test.vmId)).toEqual({
      powerState: 'poweredOn',
      ...identity(production),
      vmId: test.vmId,
    });
    expect(await vmInVcsim(productionVmId)).toEqual({
      powerState: 'poweredOn',
      ...identity(test),
      vmId: productionVmId,
    });

    // A backup is a snapshot of the production VM (now the former test server), named by date.
    const today = backupName(new Date());
    await applied('backUpSite', { siteId });
    expect(await snapshotsInVcsim(test.vmId)).toEqual([today]);

    await applied('deleteTestServer', { siteId });
    expect((await siteState(berth, siteId)).testServer).toBeNull();
    expect(await vmsInVcsim()).not.toContain(vsphereVmName(productionVmId));
    expect(await vmsInVcsim()).toContain(vsphereVmName(test.vmId));
    expect(await vmsInVcsim()).toEqual(await vmsInDatabase());

    // vcsim copies the VM as it is, not at the snapshot (see the hypervisor contract spec): this
    // shows the restore's calls succeed and make a new test server, not what its disks hold.
    await applied('restoreBackup', { siteId, date: today });
    const restored = (await siteState(berth, siteId)).testServer!;
    expect([productionVmId, test.vmId]).not.toContain(restored.vmId);
    expect(await clonedFromInVcsim(restored.vmId)).toBe(test.vmId);
    expect(await vmInVcsim(restored.vmId)).toEqual({
      powerState: 'poweredOn',
      ...identity(restored),
    });

    // Deleting the site removes both of its VMs.
    await deleteSite(siteId);
    const left = await vmsInVcsim();
    for (const vmId of [productionVmId, test.vmId, restored.vmId]) {
      expect(left).not.toContain(vsphereVmName(vmId));
    }
    expect(left).toEqual(await vmsInDatabase());
  }, 240_000);

  it('fails a site at once, without retrying, when vSphere refuses the credentials', async () => {
    const otherDb = await startDatabase('sqlite');
    const refused = await startBerth({
      db: otherDb,
      temporal,
      taskQueue: uniqueName('vsphere-refused'),
      env: { ...vsphereEnv(vcsim), VSPHERE_PASSWORD: 'not-the-password' },
    });
    try {
      const response = await refused.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('Refused site'), contactEmail: 'alice@example.org' },
      });
      const result = response.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
      const site = await eventually(
        'the site FAILED',
        async () => (await refused.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
        (found) => found?.status === 'FAILED' || found?.status === 'READY',
        30_000,
      );
      expect(site?.status).toBe('FAILED');
      const operation = await forkEm(otherDb.orm).findOneOrFail(Operation, result.operation.id);
      expect(operation.error).toMatch(/^HypervisorDenied: creating server .* InvalidLogin/);
      expect(operation.error).not.toContain('not-the-password');
      // The build undid what it had done: no VM record or host keys are left, and the addresses
      // it took are on hold (the held row still names the VM).
      const network = await forkEm(otherDb.orm).findOneOrFail(NetworkConfig, {
        siteId: result.site.id,
      });
      expect(network.state).toBe('held');
      expect(await forkEm(otherDb.orm).count(Vm, { id: network.vmId })).toBe(0);
      expect(await forkEm(otherDb.orm).count(HostKey, { vmId: network.vmId })).toBe(0);
      // One attempt: the failure said a retry cannot help, and Temporal believed it.
      const history = await refused.temporal.workflow
        .getHandle(provisionWorkflowId(network.vmId))
        .fetchHistory();
      const events = history.events ?? [];
      // createVm's events (the compensations' destroyVm was refused the same way).
      const scheduled = events.find(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'createVm',
      )!;
      const ofCreate = (id: unknown) => String(id) === String(scheduled.eventId);
      const started = events.filter((event) =>
        ofCreate(event.activityTaskStartedEventAttributes?.scheduledEventId),
      );
      const failed = events.filter((event) =>
        ofCreate(event.activityTaskFailedEventAttributes?.scheduledEventId),
      );
      // History keeps only an activity's last attempt: that it was the first is the proof.
      expect(failed).toHaveLength(1);
      expect(started.at(-1)!.activityTaskStartedEventAttributes!.attempt).toBe(1);
      expect(failed[0]!.activityTaskFailedEventAttributes!.retryState).toBe(
        proto.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
      );
    } finally {
      await refused.stop();
      await otherDb.stop();
    }
  });
});
