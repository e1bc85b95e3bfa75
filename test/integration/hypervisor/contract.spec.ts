import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HypervisorError } from '../../../activities/hypervisor/errors';
import { type Hypervisor, type VmSpec } from '../../../activities/hypervisor/port';
import { SimulatedHypervisor } from '../../../activities/hypervisor/simulated/simulated-hypervisor';
import {
  guestinfo,
  VsphereHypervisor,
  vsphereVmName,
} from '../../../activities/hypervisor/vsphere/vsphere-hypervisor';
import { SimulatedVm } from '../../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm } from '../../../libs/db/orm';
import { createLogger } from '../../../libs/logger';
import { startDatabase, type TestDatabase } from '../../helpers/databases';
import { testVmSpec } from '../../helpers/vm-spec';
import { startVcsim, type Vcsim, vcsimUnavailable, vsphereSettings } from '../../helpers/vcsim';

/**
 * The Hypervisor port's contract, run against every adapter: the `simulated` one on SQLite and
 * the `vsphere` one against vcsim (VMware's simulator, started on a loopback port with its own
 * CA). What a workflow relies on holds for both: creation, power and destruction are idempotent,
 * missing VMs give a typed, non-retryable error, and VMs land on the hosts the adapter lists.
 */

interface Subject {
  hypervisor: Hypervisor;
  /** How many VMs with this Berth id exist, counted behind the adapter's back. */
  count(vmId: string): Promise<number>;
  /** The install callback's secret as the VM holds it, read behind the adapter's back. */
  callbackToken(vmId: string): Promise<string>;
  stop(): Promise<void>;
}

const subjects: Record<'simulated' | 'vsphere', () => Promise<Subject>> = {
  async simulated() {
    const db: TestDatabase = await startDatabase('sqlite');
    const hypervisor = new SimulatedHypervisor(db.orm, {
      // The callback goes nowhere: the contract is about the machine, not its installer.
      installDelayMs: 60_000,
      log: createLogger({ level: 'silent', name: 'contract' }),
    });
    return {
      hypervisor,
      count: async (vmId) => ((await hypervisor.getVm(vmId)) ? 1 : 0),
      callbackToken: async (vmId) =>
        (await forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId })).callbackToken,
      async stop() {
        await hypervisor.close();
        await db.stop();
      },
    };
  },
  async vsphere() {
    const vcsim: Vcsim = await startVcsim();
    const hypervisor = new VsphereHypervisor(vsphereSettings(vcsim));
    return {
      hypervisor,
      // govc, not the adapter: the simulator's own inventory, by the name Berth gives VMs.
      count: async (vmId) =>
        (await vcsim.govc('find', '/DC0/vm', '-type', 'm', '-name', vsphereVmName(vmId)))
          .split('\n')
          .filter(Boolean).length,
      callbackToken: async (vmId) => {
        const info = JSON.parse(
          await vcsim.govc('vm.info', '-e', '-json', `/DC0/vm/${vsphereVmName(vmId)}`),
        ) as { virtualMachines: { config: { extraConfig: { key: string; value: string }[] } }[] };
        const entry = info.virtualMachines[0]!.config.extraConfig.find(
          (option) => option.key === guestinfo.callbackToken,
        );
        return entry?.value ?? '';
      },
      async stop() {
        await hypervisor.close();
        await vcsim.stop();
      },
    };
  },
};

function spec(overrides: Partial<VmSpec> = {}): VmSpec {
  return testVmSpec('contract', overrides);
}

async function refusal(call: Promise<unknown>): Promise<HypervisorError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HypervisorError);
  return error as HypervisorError;
}

describe.each(['simulated', 'vsphere'] as const)('the Hypervisor contract: %s', (name) => {
  const skip = name === 'vsphere' ? vcsimUnavailable() : undefined;
  let subject: Subject;
  let hypervisor: Hypervisor;

  beforeAll(async () => {
    if (skip) return;
    subject = await subjects[name]();
    hypervisor = subject.hypervisor;
  }, 120_000);
  afterAll(async () => {
    await subject?.stop();
  });

  it.skipIf(skip)('creates a powered-on VM once, however often it is asked', async () => {
    const wanted = spec();
    const first = await hypervisor.createVm(wanted);
    expect(first).toMatchObject({ vmId: wanted.vmId, powerState: 'poweredOn' });
    const again = await hypervisor.createVm(wanted);
    expect(again.ref).toBe(first.ref);
    expect(await hypervisor.getVm(wanted.vmId)).toMatchObject({ ref: first.ref });
    expect(await subject.count(wanted.vmId)).toBe(1);
  });

  it.skipIf(skip)('hands the callback secret to the VM, and takes it off again', async () => {
    const wanted = spec();
    await hypervisor.createVm(wanted);
    expect(await subject.callbackToken(wanted.vmId)).toBe(wanted.callback.token);
    await hypervisor.forgetCallback(wanted.vmId);
    await hypervisor.forgetCallback(wanted.vmId);
    expect(await subject.callbackToken(wanted.vmId)).toBe('');
    await hypervisor.forgetCallback(randomUUID());
  });

  it.skipIf(skip)('places VMs on the hosts it lists, and counts them there', async () => {
    const hosts = await hypervisor.listHosts();
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    for (const host of hosts) {
      expect(host).toMatchObject({ connectionState: 'connected', inMaintenanceMode: false });
      expect(host.memoryMb).toBeGreaterThan(0);
      expect(host.cpuCores).toBeGreaterThan(0);
    }
    const vm = await hypervisor.createVm(spec());
    expect(hosts.map((host) => host.name)).toContain(vm.host);
    const after = await hypervisor.listHosts();
    const before = hosts.find((host) => host.name === vm.host)!;
    expect(after.find((host) => host.name === vm.host)!.vmCount).toBe(before.vmCount + 1);
  });

  it.skipIf(skip)('keeps a VM off the hosts it is asked to avoid, when another fits', async () => {
    const hosts = (await hypervisor.listHosts()).map((host) => host.name);
    const [kept, ...avoided] = hosts;
    for (let i = 0; i < 2; i++) {
      expect((await hypervisor.createVm(spec({ avoidHosts: avoided }))).host).toBe(kept);
    }
    // With every host avoided, it still goes somewhere.
    expect(hosts).toContain((await hypervisor.createVm(spec({ avoidHosts: hosts }))).host);
  });

  it.skipIf(skip)(
    'powers off and on idempotently; reboot and reset leave an off VM off',
    async () => {
      const { vmId } = await hypervisor.createVm(spec());
      expect((await hypervisor.power(vmId, 'off')).powerState).toBe('poweredOff');
      expect((await hypervisor.power(vmId, 'off')).powerState).toBe('poweredOff');
      expect((await hypervisor.power(vmId, 'reset')).powerState).toBe('poweredOff');
      expect((await hypervisor.power(vmId, 'reboot')).powerState).toBe('poweredOff');
      expect((await hypervisor.power(vmId, 'on')).powerState).toBe('poweredOn');
      expect((await hypervisor.power(vmId, 'on')).powerState).toBe('poweredOn');
      expect((await hypervisor.power(vmId, 'reset')).powerState).toBe('poweredOn');
      expect((await hypervisor.getVm(vmId))?.powerState).toBe('poweredOn');
    },
  );

  it.skipIf(skip)('destroys a VM, and destroying a missing one succeeds', async () => {
    const { vmId } = await hypervisor.createVm(spec());
    await hypervisor.destroyVm(vmId);
    expect(await hypervisor.getVm(vmId)).toBeUndefined();
    expect(await subject.count(vmId)).toBe(0);
    await hypervisor.destroyVm(vmId);
    await hypervisor.destroyVm(randomUUID());
  });

  it.skipIf(skip)('refuses to power a missing VM with a typed, final error', async () => {
    const error = await refusal(hypervisor.power(randomUUID(), 'on'));
    expect(error.kind).toBe('HypervisorNotFound');
    expect(error.retryable).toBe(false);
  });

  it.skipIf(skip)('refuses a VM no host has room for, without making it', async () => {
    const huge = spec({ memoryMb: 64 * 1024 * 1024 });
    const error = await refusal(hypervisor.createVm(huge));
    expect(error.kind).toBe('NoCapacity');
    expect(error.retryable).toBe(false);
    expect(await subject.count(huge.vmId)).toBe(0);
  });

  it.skipIf(skip)('shuts a guest down, and a shut-down VM stays off', async () => {
    const { vmId } = await hypervisor.createVm(spec());
    expect((await hypervisor.power(vmId, 'shutdown')).powerState).toBe('poweredOff');
    expect((await hypervisor.power(vmId, 'shutdown')).powerState).toBe('poweredOff');
  });

  it.skipIf(skip)('grows a VM, and refuses to shrink its disk', async () => {
    const { vmId } = await hypervisor.createVm(spec());
    await hypervisor.power(vmId, 'off');
    const grown = await hypervisor.reconfigureVm(vmId, { cpus: 2, memoryMb: 2048, diskGb: 20 });
    expect(grown).toMatchObject({ cpus: 2, memoryMb: 2048 });
    const error = await refusal(
      hypervisor.reconfigureVm(vmId, { cpus: 2, memoryMb: 2048, diskGb: 5 }),
    );
    expect(error).toMatchObject({ kind: 'HypervisorInvalidRequest', retryable: false });
  });

  it.skipIf(skip)('takes, lists, reverts to and removes snapshots, idempotently', async () => {
    const { vmId } = await hypervisor.createVm(spec());
    await hypervisor.power(vmId, 'off');
    const taken = await hypervisor.createSnapshot(vmId, 'before-upgrade');
    expect((await hypervisor.createSnapshot(vmId, 'before-upgrade')).name).toBe(taken.name);
    expect((await hypervisor.listSnapshots(vmId)).map((snapshot) => snapshot.name)).toEqual([
      'before-upgrade',
    ]);
    await hypervisor.reconfigureVm(vmId, { cpus: 4, memoryMb: 4096, diskGb: 10 });
    const reverted = await hypervisor.revertSnapshot(vmId, 'before-upgrade');
    expect(reverted.vmId).toBe(vmId);
    // vSphere restores the hardware with the snapshot; vcsim's RevertToSnapshot_Task only moves
    // its current-snapshot pointer, so the size is checked where the simulation keeps it.
    if (name === 'simulated') expect(reverted).toMatchObject({ cpus: 1, memoryMb: 1024 });
    const missing = await refusal(hypervisor.revertSnapshot(vmId, 'no-such-snapshot'));
    expect(missing).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
    await hypervisor.removeSnapshot(vmId, 'before-upgrade');
    await hypervisor.removeSnapshot(vmId, 'before-upgrade');
    expect(await hypervisor.listSnapshots(vmId)).toEqual([]);
  });

  it.skipIf(skip)(
    'moves a running VM to another host, and a repeated move is a no-op',
    async () => {
      const vm = await hypervisor.createVm(spec());
      const hosts = await hypervisor.listHosts();
      const other = hosts.find((host) => host.name !== vm.host)!.name;
      const moved = await hypervisor.relocateVm(vm.vmId, other);
      expect(moved).toMatchObject({ host: other, powerState: 'poweredOn' });
      expect((await hypervisor.relocateVm(vm.vmId, other)).host).toBe(other);
      expect((await hypervisor.listVms(other)).map((listed) => listed.vmId)).toContain(vm.vmId);
      expect((await hypervisor.listVms(vm.host)).map((listed) => listed.vmId)).not.toContain(
        vm.vmId,
      );
      const nowhere = await refusal(hypervisor.relocateVm(vm.vmId, 'no-such-host'));
      expect(nowhere).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
    },
  );

  it.skipIf(skip)(
    'takes a host in and out of maintenance; a host in maintenance takes no VMs',
    async () => {
      const vm = await hypervisor.createVm(spec());
      const other = (await hypervisor.listHosts()).find((host) => host.name !== vm.host)!.name;
      await hypervisor.enterMaintenance(other);
      await hypervisor.enterMaintenance(other);
      try {
        expect((await hypervisor.listHosts()).find((host) => host.name === other)).toMatchObject({
          inMaintenanceMode: true,
        });
        const refused = await refusal(hypervisor.relocateVm(vm.vmId, other));
        expect(refused).toMatchObject({ kind: 'HypervisorInvalidState', retryable: false });
        for (let i = 0; i < 2; i++) {
          expect((await hypervisor.createVm(spec())).host).not.toBe(other);
        }
      } finally {
        await hypervisor.exitMaintenance(other);
        await hypervisor.exitMaintenance(other);
      }
      expect((await hypervisor.listHosts()).find((host) => host.name === other)).toMatchObject({
        inMaintenanceMode: false,
      });
    },
  );

  it.skipIf(skip)(
    'makes one VM when two attempts race, and the loser can retry into it',
    async () => {
      const wanted = spec();
      const results = await Promise.allSettled([
        hypervisor.createVm(wanted),
        hypervisor.createVm(wanted),
      ]);
      for (const result of results) {
        // An attempt that finds the other's clone under way is told to try again.
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(HypervisorError);
          expect((result.reason as HypervisorError).retryable, String(result.reason)).toBe(true);
        }
      }
      expect(
        results.some((result) => result.status === 'fulfilled'),
        results
          .map((result) => (result.status === 'rejected' ? String(result.reason) : 'ok'))
          .join(' / '),
      ).toBe(true);
      const settled = await hypervisor.createVm(wanted);
      expect(settled.powerState).toBe('poweredOn');
      expect(await subject.count(wanted.vmId)).toBe(1);
    },
  );
});
