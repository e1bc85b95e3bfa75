import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HypervisorError } from '../../../activities/hypervisor/errors';
import {
  type CloneSpec,
  type GuestIdentity,
  type Hypervisor,
  type VmSpec,
} from '../../../activities/hypervisor/port';
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
 * vcsim ignores a clone spec's snapshot (it always copies the source as it is); see the clone tests.
 */

interface Subject {
  hypervisor: Hypervisor;
  /** How many VMs with this Berth id exist, counted behind the adapter's back. */
  count(vmId: string): Promise<number>;
  /** The install callback's secret as the VM holds it, read behind the adapter's back. */
  callbackToken(vmId: string): Promise<string>;
  /**
   * The name and addresses the guest would configure at its next boot, read behind the adapter's
   * back. The simulated hypervisor keeps only the name and addresses, not prefixes or gateways.
   */
  identity(vmId: string): Promise<GuestIdentity>;
  /** The size of the VM's disk in GB, read behind the adapter's back. */
  diskGb(vmId: string): Promise<number>;
  /**
   * The Berth id of the VM a clone was copied from and, where the hypervisor records it, the
   * snapshot (vcsim's clone event names only the source).
   */
  clonedFrom(vmId: string): Promise<{ vmId: string; snapshot?: string | null } | undefined>;
  stop(): Promise<void>;
}

/** govc's JSON for `vm.info -e -json`, as far as these tests read it. */
interface GovcVmInfo {
  virtualMachines: {
    config: {
      extraConfig: { key: string; value: string }[];
      hardware: { device: { capacityInKB?: number }[] };
    };
  }[];
}

const subjects: Record<'simulated' | 'vsphere', () => Promise<Subject>> = {
  async simulated() {
    const db: TestDatabase = await startDatabase('sqlite');
    const hypervisor = new SimulatedHypervisor(db.orm, {
      // The callback goes nowhere: the contract is about the machine, not its installer.
      installDelayMs: 60_000,
      log: createLogger({ level: 'silent', name: 'contract' }),
    });
    const row = (vmId: string) => forkEm(db.orm).findOneOrFail(SimulatedVm, { vmId });
    return {
      hypervisor,
      count: async (vmId) => ((await hypervisor.getVm(vmId)) ? 1 : 0),
      callbackToken: async (vmId) => (await row(vmId)).callbackToken,
      identity: async (vmId) => {
        const { hostname, ipv4, ipv6 } = await row(vmId);
        return { hostname, ipv4, ipv6 };
      },
      diskGb: async (vmId) => (await row(vmId)).diskGb,
      clonedFrom: async (vmId) => {
        const { clonedFrom, clonedSnapshot } = await row(vmId);
        return clonedFrom === null ? undefined : { vmId: clonedFrom, snapshot: clonedSnapshot };
      },
      async stop() {
        await hypervisor.close();
        await db.stop();
      },
    };
  },
  async vsphere() {
    const vcsim: Vcsim = await startVcsim();
    const hypervisor = new VsphereHypervisor(vsphereSettings(vcsim));
    const info = async (vmId: string) =>
      (
        JSON.parse(
          await vcsim.govc('vm.info', '-e', '-json', `/DC0/vm/${vsphereVmName(vmId)}`),
        ) as GovcVmInfo
      ).virtualMachines[0]!.config;
    const guestinfoOf = async (vmId: string) =>
      new Map((await info(vmId)).extraConfig.map((option) => [option.key, option.value]));
    return {
      hypervisor,
      // govc, not the adapter: the simulator's own inventory, by the name Berth gives VMs.
      count: async (vmId) =>
        (await vcsim.govc('find', '/DC0/vm', '-type', 'm', '-name', vsphereVmName(vmId)))
          .split('\n')
          .filter(Boolean).length,
      callbackToken: async (vmId) => (await guestinfoOf(vmId)).get(guestinfo.callbackToken) ?? '',
      // What the template's boot script reads with `vmtoolsd --cmd "info-get guestinfo.berth.*"`.
      identity: async (vmId) => {
        const values = await guestinfoOf(vmId);
        const read = (key: string) => values.get(key) ?? '';
        return {
          hostname: read(guestinfo.hostname),
          ipv4: read(guestinfo.ipv4),
          ipv4PrefixLength: Number(read(guestinfo.ipv4PrefixLength)),
          ipv4Gateway: read(guestinfo.ipv4Gateway) || null,
          ipv6: read(guestinfo.ipv6),
          ipv6PrefixLength: Number(read(guestinfo.ipv6PrefixLength)),
          ipv6Gateway: read(guestinfo.ipv6Gateway) || null,
        };
      },
      diskGb: async (vmId) => {
        const disk = (await info(vmId)).hardware.device.find(
          (device) => device.capacityInKB !== undefined,
        );
        return (disk?.capacityInKB ?? 0) / (1024 * 1024);
      },
      // vcsim's event log: "Clone of berth-<source id> completed".
      clonedFrom: async (vmId) => {
        const events = await vcsim.govc('events', `/DC0/vm/${vsphereVmName(vmId)}`);
        const source = /Clone of berth-([0-9a-f-]{36}) completed/.exec(events)?.[1];
        return source === undefined ? undefined : { vmId: source };
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

/** A clone's own id and identity, unlike its source's (testVmSpec's addresses). */
function cloneSpec(overrides: Partial<CloneSpec> = {}): CloneSpec {
  const vmId = randomUUID();
  return {
    vmId,
    siteId: `site-${vmId.slice(0, 8)}`,
    hostname: `clone-${vmId.slice(0, 8)}.sites.berth.test`,
    ipv4: '192.0.2.20',
    ipv4PrefixLength: 25,
    ipv4Gateway: '192.0.2.1',
    ipv6: '2001:db8::20',
    ipv6PrefixLength: 64,
    ipv6Gateway: '2001:db8::1',
    ...overrides,
  };
}

/** The identity in a clone spec, as much of it as the subject reads back (see identity()). */
function readable(name: 'simulated' | 'vsphere', identity: GuestIdentity): GuestIdentity {
  const { hostname, ipv4, ipv6 } = identity;
  if (name === 'simulated') return { hostname, ipv4, ipv6 };
  const { ipv4PrefixLength, ipv4Gateway, ipv6PrefixLength, ipv6Gateway } = identity;
  return { hostname, ipv4, ipv4PrefixLength, ipv4Gateway, ipv6, ipv6PrefixLength, ipv6Gateway };
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
  it.skipIf(skip)(
    'clones a VM as a new running VM of its size, with its own identity and no callback',
    async () => {
      const source = await hypervisor.createVm(spec());
      await hypervisor.power(source.vmId, 'off');
      await hypervisor.reconfigureVm(source.vmId, { cpus: 2, memoryMb: 2048, diskGb: 20 });
      await hypervisor.power(source.vmId, 'on');
      const wanted = cloneSpec();
      const clone = await hypervisor.cloneVm(source.vmId, wanted);
      expect(clone).toMatchObject({
        vmId: wanted.vmId,
        powerState: 'poweredOn',
        cpus: 2,
        memoryMb: 2048,
      });
      expect(clone.ref).not.toBe(source.ref);
      expect(await hypervisor.getVm(wanted.vmId)).toMatchObject({ ref: clone.ref });
      // The disk is the source's (grown to 20 GB), not the template's 10 GB.
      expect(await subject.diskGb(wanted.vmId)).toBe(20);
      expect(await subject.clonedFrom(wanted.vmId)).toMatchObject({ vmId: source.vmId });
      expect(await subject.identity(wanted.vmId)).toEqual(readable(name, wanted));
      expect(await subject.callbackToken(wanted.vmId)).toBe('');
      // The source keeps its own identity and keeps running.
      expect((await subject.identity(source.vmId)).hostname).not.toBe(wanted.hostname);
      expect((await hypervisor.getVm(source.vmId))?.powerState).toBe('poweredOn');
      expect((await hypervisor.listVms()).map((vm) => vm.vmId)).toContain(wanted.vmId);
    },
  );

  it.skipIf(skip)('clones once, however often it is asked', async () => {
    const source = await hypervisor.createVm(spec());
    const wanted = cloneSpec();
    const first = await hypervisor.cloneVm(source.vmId, wanted);
    const again = await hypervisor.cloneVm(source.vmId, wanted);
    expect(again).toMatchObject({ ref: first.ref, powerState: 'poweredOn' });
    expect(await subject.count(wanted.vmId)).toBe(1);
  });

  it.skipIf(skip)('makes one clone when two attempts race', async () => {
    const source = await hypervisor.createVm(spec());
    const wanted = cloneSpec();
    const results = await Promise.allSettled([
      hypervisor.cloneVm(source.vmId, wanted),
      hypervisor.cloneVm(source.vmId, wanted),
    ]);
    for (const result of results) {
      // An attempt that finds the other's clone under way is told to try again.
      if (result.status === 'rejected') {
        expect((result.reason as HypervisorError).retryable, String(result.reason)).toBe(true);
      }
    }
    const settled = await hypervisor.cloneVm(source.vmId, wanted);
    expect(settled.powerState).toBe('poweredOn');
    expect(await subject.count(wanted.vmId)).toBe(1);
  });

  it.skipIf(skip)(
    'keeps a clone off the hosts it is asked to avoid, when another fits',
    async () => {
      const source = await hypervisor.createVm(spec());
      const hosts = (await hypervisor.listHosts()).map((host) => host.name);
      const [kept, ...avoided] = hosts;
      const clone = await hypervisor.cloneVm(source.vmId, cloneSpec({ avoidHosts: avoided }));
      expect(clone.host).toBe(kept);
    },
  );

  it.skipIf(skip)('clones a VM as it was at a named snapshot', async () => {
    const source = await hypervisor.createVm(spec());
    await hypervisor.power(source.vmId, 'off');
    await hypervisor.createSnapshot(source.vmId, 'nightly');
    await hypervisor.reconfigureVm(source.vmId, { cpus: 2, memoryMb: 2048, diskGb: 20 });
    const wanted = cloneSpec({ fromSnapshot: 'nightly' });
    const clone = await hypervisor.cloneVm(source.vmId, wanted);
    expect(clone).toMatchObject({ vmId: wanted.vmId, powerState: 'poweredOn' });
    expect(await subject.identity(wanted.vmId)).toEqual(readable(name, wanted));
    expect(await subject.clonedFrom(wanted.vmId)).toMatchObject({ vmId: source.vmId });
    // The source's snapshots stay with it.
    expect(await hypervisor.listSnapshots(wanted.vmId)).toEqual([]);
    if (name === 'simulated') {
      expect(clone).toMatchObject({ cpus: 1, memoryMb: 1024, diskGb: 10 });
      expect(await subject.clonedFrom(wanted.vmId)).toEqual({
        vmId: source.vmId,
        snapshot: 'nightly',
      });
    } else {
      // vcsim's CloneVM_Task ignores the clone spec's snapshot and copies the source as it is
      // now; vSphere copies the snapshot's disks and hardware. The adapter still found the
      // snapshot by name (a missing one is refused: see below).
      expect(clone).toMatchObject({ cpus: 2, memoryMb: 2048 });
      expect(await subject.diskGb(wanted.vmId)).toBe(20);
    }
  });

  it.skipIf(skip)('refuses to clone a missing VM or snapshot, without making one', async () => {
    const noSource = cloneSpec();
    const missingSource = await refusal(hypervisor.cloneVm(randomUUID(), noSource));
    expect(missingSource).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
    expect(await subject.count(noSource.vmId)).toBe(0);

    const source = await hypervisor.createVm(spec());
    const noSnapshot = cloneSpec({ fromSnapshot: 'no-such-snapshot' });
    const missingSnapshot = await refusal(hypervisor.cloneVm(source.vmId, noSnapshot));
    expect(missingSnapshot).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
    expect(await subject.count(noSnapshot.vmId)).toBe(0);
  });

  it.skipIf(skip)(
    'changes the identity a guest takes at its next boot; a missing VM is not found',
    async () => {
      const made = spec();
      const { vmId } = await hypervisor.createVm(made);
      expect(await subject.identity(vmId)).toMatchObject({
        hostname: made.hostname,
        ipv4: made.ipv4,
        ipv6: made.ipv6,
      });
      const identity = readable('vsphere', cloneSpec());
      await hypervisor.setGuestIdentity(vmId, identity);
      await hypervisor.setGuestIdentity(vmId, identity);
      expect(await subject.identity(vmId)).toEqual(readable(name, identity));
      // The guest's callback secret is not touched.
      expect(await subject.callbackToken(vmId)).toBe(made.callback.token);
      if (name === 'vsphere') {
        // No gateway given: an earlier one must not stay behind.
        await hypervisor.setGuestIdentity(vmId, { ...identity, ipv4Gateway: null });
        expect(await subject.identity(vmId)).toMatchObject({ ipv4Gateway: null });
      }
      const missing = await refusal(hypervisor.setGuestIdentity(randomUUID(), identity));
      expect(missing).toMatchObject({ kind: 'HypervisorNotFound', retryable: false });
    },
  );
});
