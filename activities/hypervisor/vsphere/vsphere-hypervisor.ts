import { HypervisorError } from '../errors';
import { bestHost } from '../placement';
import {
  type CloneSpec,
  type GuestIdentity,
  type Hypervisor,
  type HypervisorHost,
  type HypervisorSnapshot,
  type HypervisorVm,
  type PowerAction,
  type PowerState,
  type VmSize,
  type VmSpec,
} from '../port';
import { type Properties, VimClient, type VimClientOptions } from './vim-client';
import {
  asNode,
  bool,
  int,
  list,
  MoRef,
  moRef,
  type Node,
  text,
  Typed,
  type XmlObject,
  xsiType,
} from './xml';

export interface VsphereSettings extends VimClientOptions {
  datacenter: string;
  cluster: string;
  /** Path of the template under the datacenter's `vm` folder. */
  template: string;
  /** Folder for Berth's VMs under the datacenter's `vm` folder; the `vm` folder when absent. */
  folder?: string;
  /** Prefix length of the IPv4 network servers get addresses in (guest customisation). */
  ipv4PrefixLength: number;
}

/**
 * The guestinfo keys a Berth template's boot scripts read (`vmtoolsd --cmd "info-get ..."`): the
 * install callback at first boot, the guest identity at every boot (so a clone, or a server whose
 * identity was swapped, takes its own). An empty or absent value means none (no gateway, say).
 */
export const guestinfo = {
  vmId: 'guestinfo.berth.vm-id',
  callbackUrl: 'guestinfo.berth.callback-url',
  callbackToken: 'guestinfo.berth.callback-token',
  hostname: 'guestinfo.berth.hostname',
  ipv4: 'guestinfo.berth.ipv4',
  ipv4PrefixLength: 'guestinfo.berth.ipv4-prefix-length',
  ipv4Gateway: 'guestinfo.berth.ipv4-gateway',
  ipv6: 'guestinfo.berth.ipv6',
  ipv6PrefixLength: 'guestinfo.berth.ipv6-prefix-length',
  ipv6Gateway: 'guestinfo.berth.ipv6-gateway',
} as const;

/** Berth names its VMs after their Berth id; the id is also the VM's instance UUID. */
export function vsphereVmName(vmId: string): string {
  return `berth-${vmId}`;
}

interface Inventory {
  datacenter: MoRef;
  template: MoRef;
  folder: MoRef;
  cluster: MoRef;
  pool: MoRef;
}

/** How long a guest may take to shut down when asked (ShutdownGuest). */
const guestShutdownTimeoutMs = 5 * 60_000;

/** How long vSphere may take to put a host in maintenance mode. */
const maintenanceTimeoutSeconds = 600;

const vmProperties = [
  'name',
  'runtime.powerState',
  'runtime.host',
  'config.hardware.numCPU',
  'config.hardware.memoryMB',
  'summary.storage.committed',
];
const hostProperties = [
  'name',
  'runtime.connectionState',
  'runtime.inMaintenanceMode',
  'summary.hardware.memorySize',
  'summary.hardware.numCpuCores',
  'summary.hardware.cpuMhz',
  'summary.quickStats.overallMemoryUsage',
  'summary.quickStats.overallCpuUsage',
  'vm',
];

/**
 * The `vsphere` hypervisor: VMs cloned from a template (or, as copies, from another Berth VM)
 * into a cluster, over the vim25 SOAP API. A VM's instance UUID is its Berth id and its name
 * `berth-<id>`, so a retried create or copy finds the VM (or the clone still under way, by its
 * name) instead of making a second one.
 */
export class VsphereHypervisor implements Hypervisor {
  readonly name = 'vsphere';
  private readonly client: VimClient;
  private inventory: Promise<Inventory> | undefined;

  constructor(private readonly settings: VsphereSettings) {
    this.client = new VimClient(settings);
  }

  /**
   * Clone, then converge: the VM gets its identity (instance UUID, guestinfo) and guest
   * customisation while it is still off, then power. Each step checks what is already done, so
   * an attempt that died anywhere is finished by the next one.
   */
  async createVm(spec: VmSpec, onProgress?: () => void): Promise<HypervisorVm> {
    const ref = (await this.findVm(spec.vmId)) ?? (await this.cloneFromTemplate(spec, onProgress));
    const vm = await this.describe(spec.vmId, ref);
    if (vm.powerState === 'poweredOn') return vm;
    await this.converge(ref, spec, onProgress);
    return this.power(spec.vmId, 'on', onProgress);
  }

  /**
   * Clone, then converge, as createVm does, with the source VM (or its snapshot) in place of the
   * template and no guest customisation or callback: the guest is installed already and takes
   * its identity from guestinfo at boot.
   */
  async cloneVm(
    sourceVmId: string,
    spec: CloneSpec,
    onProgress?: () => void,
  ): Promise<HypervisorVm> {
    const ref =
      (await this.findVm(spec.vmId)) ?? (await this.cloneFromVm(sourceVmId, spec, onProgress));
    const vm = await this.describe(spec.vmId, ref);
    if (vm.powerState === 'poweredOn') return vm;
    await this.ensureIdentity(ref, identityConfig(spec, this.settings), onProgress);
    return this.power(spec.vmId, 'on', onProgress);
  }

  async setGuestIdentity(
    vmId: string,
    identity: GuestIdentity,
    onProgress?: () => void,
  ): Promise<void> {
    const ref = await this.requireVm(vmId);
    const wanted = guestIdentityValues(identity, this.settings);
    const properties = (
      await this.client.retrieve([ref], 'VirtualMachine', ['config.extraConfig'])
    ).get(ref.toString());
    const extra = extraConfig(properties?.get('config.extraConfig'));
    if ([...wanted].every(([key, value]) => (extra.get(key) ?? '') === value)) return;
    await this.runTask(
      'ReconfigVM_Task',
      ref,
      { spec: { extraConfig: [...wanted].map(([key, value]) => option(key, value)) } },
      onProgress,
    );
  }

  async getVm(vmId: string): Promise<HypervisorVm | undefined> {
    const ref = await this.findVm(vmId);
    return ref ? this.describe(vmId, ref) : undefined;
  }

  async power(vmId: string, action: PowerAction, onProgress?: () => void): Promise<HypervisorVm> {
    const ref = await this.requireVm(vmId);
    const before = await this.describe(vmId, ref);
    // A reboot or reset of a machine that is off leaves it off; on and off are idempotent.
    const wanted: Record<PowerAction, PowerState | 'either'> = {
      on: 'poweredOn',
      off: 'poweredOff',
      shutdown: 'poweredOff',
      reboot: 'either',
      reset: 'either',
    };
    if (before.powerState === wanted[action]) return before;
    if (before.powerState === 'poweredOff' && (action === 'reboot' || action === 'reset')) {
      return before;
    }
    // ShutdownGuest and RebootGuest ask VMware Tools and return at once; the rest are tasks.
    const method = {
      on: 'PowerOnVM_Task',
      off: 'PowerOffVM_Task',
      shutdown: 'ShutdownGuest',
      reset: 'ResetVM_Task',
      reboot: 'RebootGuest',
    }[action];
    try {
      const response = await this.client.call(method, ref);
      const task = moRef(response, 'returnval');
      if (task) await this.client.waitForTask(task, onProgress);
    } catch (error) {
      // Someone (or an earlier attempt) got there first.
      if (!(error instanceof HypervisorError) || error.fault !== 'InvalidPowerState') throw error;
    }
    if (action === 'shutdown') {
      // ShutdownGuest only asks the guest: wait until it is off, as a caller expects.
      const off = await this.client.follow(
        ref,
        'VirtualMachine',
        ['runtime.powerState'],
        (seen) =>
          text(seen.get('runtime.powerState')) === 'poweredOff' ? { value: true } : undefined,
        { onUpdate: onProgress, timeoutMs: guestShutdownTimeoutMs },
      );
      if (!off) {
        throw new HypervisorError(
          'HypervisorBusy',
          `the guest of server ${vmId} did not shut down within ${guestShutdownTimeoutMs / 1000} s`,
        );
      }
    }
    return this.describe(vmId, ref);
  }

  async destroyVm(vmId: string, onProgress?: () => void): Promise<void> {
    const ref = await this.findVm(vmId);
    if (!ref) return;
    try {
      const vm = await this.describe(vmId, ref);
      if (vm.powerState === 'poweredOn') await this.power(vmId, 'off', onProgress);
      const task = moRef(await this.client.call('Destroy_Task', ref), 'returnval');
      if (task) await this.client.waitForTask(task, onProgress);
    } catch (error) {
      // Gone is what we wanted, but only if the VM itself is gone, not some other object.
      if (!(error instanceof HypervisorError) || error.kind !== 'HypervisorNotFound') throw error;
      if (await this.findVm(vmId)) throw error;
    }
  }

  async forgetCallback(vmId: string, onProgress?: () => void): Promise<void> {
    const ref = await this.findVm(vmId);
    if (!ref) return;
    const properties = (
      await this.client.retrieve([ref], 'VirtualMachine', ['config.extraConfig'])
    ).get(ref.toString());
    if (!extraConfig(properties?.get('config.extraConfig')).get(guestinfo.callbackToken)) return;
    // An empty value removes the key from the VM's configuration.
    await this.runTask(
      'ReconfigVM_Task',
      ref,
      { spec: { extraConfig: [option(guestinfo.callbackToken, '')] } },
      onProgress,
    );
  }

  async reconfigureVm(vmId: string, size: VmSize, onProgress?: () => void): Promise<HypervisorVm> {
    const ref = await this.requireVm(vmId);
    const disk = await this.firstDisk(ref);
    const wantedKb = size.diskGb * 1024 * 1024;
    if (disk && wantedKb < disk.capacityKb) {
      throw new HypervisorError(
        'HypervisorInvalidRequest',
        `a disk only grows (server ${vmId} has ${Math.round(disk.capacityKb / 1048576)} GB, asked for ${size.diskGb})`,
      );
    }
    await this.runTask(
      'ReconfigVM_Task',
      ref,
      {
        spec: {
          numCPUs: size.cpus,
          memoryMB: size.memoryMb,
          deviceChange:
            disk && wantedKb > disk.capacityKb
              ? [{ operation: 'edit', device: disk.grownTo(wantedKb) }]
              : undefined,
        },
      },
      onProgress,
    );
    return this.describe(vmId, ref);
  }

  async createSnapshot(
    vmId: string,
    name: string,
    onProgress?: () => void,
  ): Promise<HypervisorSnapshot> {
    const ref = await this.requireVm(vmId);
    const existing = (await this.snapshots(ref)).find((snapshot) => snapshot.name === name);
    if (existing) return { name, createdAt: existing.createdAt };
    await this.runTask(
      'CreateSnapshot_Task',
      ref,
      { name, description: 'taken by Berth', memory: false, quiesce: false },
      onProgress,
    );
    const made = (await this.snapshots(ref)).find((snapshot) => snapshot.name === name);
    return { name, createdAt: made?.createdAt ?? new Date().toISOString() };
  }

  async listSnapshots(vmId: string): Promise<HypervisorSnapshot[]> {
    const ref = await this.requireVm(vmId);
    return (await this.snapshots(ref)).map(({ name, createdAt }) => ({ name, createdAt }));
  }

  async revertSnapshot(vmId: string, name: string, onProgress?: () => void): Promise<HypervisorVm> {
    const ref = await this.requireVm(vmId);
    const snapshot = (await this.snapshots(ref)).find((candidate) => candidate.name === name);
    if (!snapshot) {
      throw new HypervisorError('HypervisorNotFound', `server ${vmId} has no snapshot ${name}`);
    }
    await this.runTask('RevertToSnapshot_Task', snapshot.ref, {}, onProgress);
    return this.describe(vmId, ref);
  }

  async removeSnapshot(vmId: string, name: string, onProgress?: () => void): Promise<void> {
    const ref = await this.findVm(vmId);
    if (!ref) return;
    const snapshot = (await this.snapshots(ref)).find((candidate) => candidate.name === name);
    if (!snapshot) return;
    try {
      await this.runTask(
        'RemoveSnapshot_Task',
        snapshot.ref,
        { removeChildren: false },
        onProgress,
      );
    } catch (error) {
      if (!(error instanceof HypervisorError) || error.kind !== 'HypervisorNotFound') throw error;
      if ((await this.snapshots(ref)).some((candidate) => candidate.name === name)) throw error;
    }
  }

  async relocateVm(vmId: string, host: string, onProgress?: () => void): Promise<HypervisorVm> {
    const ref = await this.requireVm(vmId);
    const before = await this.describe(vmId, ref);
    if (before.host === host) return before;
    const target = (await this.listHosts()).find((candidate) => candidate.name === host);
    if (!target) throw new HypervisorError('HypervisorNotFound', `vSphere has no host ${host}`);
    if (target.connectionState !== 'connected' || target.inMaintenanceMode) {
      throw new HypervisorError(
        'HypervisorInvalidState',
        `host ${host} takes no VMs (maintenance or not connected)`,
      );
    }
    const { pool } = await this.resolveInventory();
    await this.runTask(
      'RelocateVM_Task',
      ref,
      { spec: { pool, host: new MoRef('HostSystem', target.ref) }, priority: 'defaultPriority' },
      onProgress,
    );
    return this.describe(vmId, ref);
  }

  async listVms(host?: string): Promise<HypervisorVm[]> {
    // Berth's folder only: reading every VM's extraConfig across vCenter would be slow.
    const { folder } = await this.resolveInventory();
    const vms = await this.client.retrieveAll(
      'VirtualMachine',
      ['config.extraConfig', 'config.template', ...vmProperties],
      folder,
    );
    const hostNames = new Map(
      (await this.listHosts()).map((candidate) => [candidate.ref, candidate.name]),
    );
    const found: HypervisorVm[] = [];
    for (const [key, properties] of vms) {
      if (bool(properties.get('config.template'))) continue;
      const vmId = extraConfig(properties.get('config.extraConfig')).get(guestinfo.vmId);
      if (!vmId) continue;
      const vm = toVm(vmId, key.slice(key.indexOf(':') + 1), properties, hostNames);
      if (host === undefined || vm.host === host) found.push(vm);
    }
    return found;
  }

  async enterMaintenance(host: string, onProgress?: () => void): Promise<void> {
    await this.setMaintenance(host, true, onProgress);
  }

  async exitMaintenance(host: string, onProgress?: () => void): Promise<void> {
    await this.setMaintenance(host, false, onProgress);
  }

  private async setMaintenance(host: string, on: boolean, onProgress?: () => void): Promise<void> {
    const target = (await this.listHosts()).find((candidate) => candidate.name === host);
    if (!target) throw new HypervisorError('HypervisorNotFound', `vSphere has no host ${host}`);
    if (target.inMaintenanceMode === on) return;
    await this.runTask(
      on ? 'EnterMaintenanceMode_Task' : 'ExitMaintenanceMode_Task',
      new MoRef('HostSystem', target.ref),
      // Berth moves its VMs itself (evacuation) before asking; vSphere need not wait for DRS.
      // Finite, so a host that will not empty (VMs Berth does not manage) fails the task with a
      // timeout the activity can retry, instead of a task that never ends.
      on ? { timeout: maintenanceTimeoutSeconds, evacuatePoweredOffVms: false } : { timeout: 0 },
      onProgress,
    );
  }

  /** Every snapshot of a VM, flattened from vSphere's tree. */
  private async snapshots(ref: MoRef): Promise<{ name: string; createdAt: string; ref: MoRef }[]> {
    const info = (await this.client.retrieve([ref], 'VirtualMachine', ['snapshot']))
      .get(ref.toString())
      ?.get('snapshot');
    const found: { name: string; createdAt: string; ref: MoRef }[] = [];
    const walk = (trees: Node[]) => {
      for (const tree of trees) {
        const snapshot = moRef(tree, 'snapshot');
        if (snapshot) {
          found.push({
            name: text(tree, 'name'),
            createdAt: text(tree, 'createTime'),
            ref: snapshot,
          });
        }
        walk(list(tree, 'childSnapshotList'));
      }
    };
    walk(list(info, 'rootSnapshotList'));
    return found;
  }

  /** The VM's first virtual disk, and how to ask for it grown. */
  private async firstDisk(
    ref: MoRef,
  ): Promise<{ capacityKb: number; grownTo: (kb: number) => Typed } | undefined> {
    const devices = (
      await this.client.retrieve([ref], 'VirtualMachine', ['config.hardware.device'])
    )
      .get(ref.toString())
      ?.get('config.hardware.device');
    const disk = list(devices, 'VirtualDevice').find((device) => xsiType(device) === 'VirtualDisk');
    if (!disk) return undefined;
    const backing = asNode(disk.backing);
    return {
      capacityKb: int(disk, 'capacityInKB'),
      // The device as vSphere described it, with the new size: key, controller and backing
      // (the disk file) identify which disk grows.
      grownTo: (kb) =>
        new Typed('VirtualDisk', {
          key: int(disk, 'key'),
          backing: new Typed(xsiType(backing) ?? 'VirtualDiskFlatVer2BackingInfo', {
            fileName: text(backing, 'fileName'),
            diskMode: text(backing, 'diskMode') || 'persistent',
          }),
          controllerKey: int(disk, 'controllerKey'),
          unitNumber: int(disk, 'unitNumber'),
          capacityInKB: kb,
          capacityInBytes: kb * 1024,
        }),
    };
  }

  async listHosts(): Promise<HypervisorHost[]> {
    const { cluster } = await this.resolveInventory();
    const hostRefs = list(
      (await this.client.retrieve([cluster], 'ComputeResource', ['host']))
        .get(cluster.toString())
        ?.get('host'),
      'ManagedObjectReference',
    )
      .map((node) => moRef(node))
      .filter((ref): ref is MoRef => ref !== undefined);
    const hosts = await this.client.retrieve(hostRefs, 'HostSystem', hostProperties);
    return hostRefs.map((ref) => toHost(ref, hosts.get(ref.toString()) ?? new Map<string, Node>()));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /**
   * The VM whose instance UUID is the Berth id or, failing that, the one named after it (a clone
   * whose identity was not set yet), if either exists.
   */
  private async findVm(vmId: string): Promise<MoRef | undefined> {
    const { datacenter, folder } = await this.resolveInventory();
    const { searchIndex } = await this.client.serviceContent();
    const byUuid = moRef(
      await this.client.call('FindByUuid', searchIndex, {
        datacenter,
        uuid: vmId,
        vmSearch: true,
        instanceUuid: true,
      }),
      'returnval',
    );
    if (byUuid) return byUuid;
    return moRef(
      await this.client.call('FindChild', searchIndex, {
        entity: folder,
        name: vsphereVmName(vmId),
      }),
      'returnval',
    );
  }

  /** Gives a powered-off clone of the template its identity and guest customisation. */
  private async converge(ref: MoRef, spec: VmSpec, onProgress?: () => void): Promise<void> {
    await this.ensureIdentity(ref, identityConfig(spec, this.settings), onProgress);
    try {
      // Applied by VMware Tools at the first boot, which the power-on after this starts.
      await this.runTask(
        'CustomizeVM_Task',
        ref,
        { spec: customization(spec, this.settings) },
        onProgress,
      );
    } catch (error) {
      if (!(error instanceof HypervisorError)) throw error;
      // An earlier attempt's customisation is already waiting for that boot, or a concurrent
      // attempt converged the VM and started it meanwhile.
      if (error.fault === 'CustomizationPending' || error.fault === 'InvalidPowerState') return;
      // A clone another attempt is still making has no NICs yet: try again once it is done.
      if (error.fault === 'NicSettingMismatch') {
        throw new HypervisorError(
          'HypervisorBusy',
          `server ${spec.vmId} is still being cloned; try again`,
          { fault: error.fault, cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Gives a powered-off clone its identity (`config`, from identityConfig) unless it carries its
   * Berth id already. vSphere applies the clone spec's config itself; vcsim ignores it, and a
   * clone whose attempt died before this point has its source's, so this is checked, not assumed.
   */
  private async ensureIdentity(
    ref: MoRef,
    config: XmlObject & { instanceUuid: string },
    onProgress?: () => void,
  ): Promise<void> {
    const properties = (
      await this.client.retrieve([ref], 'VirtualMachine', [
        'config.instanceUuid',
        'config.extraConfig',
      ])
    ).get(ref.toString());
    const extra = extraConfig(properties?.get('config.extraConfig'));
    if (
      text(properties?.get('config.instanceUuid')) !== config.instanceUuid ||
      extra.get(guestinfo.vmId) !== config.instanceUuid
    ) {
      await this.runTask('ReconfigVM_Task', ref, { spec: config }, onProgress);
    }
  }

  /** Starts a task-returning method and waits for the task; returns its result. */
  private async runTask(
    method: string,
    ref: MoRef,
    args: XmlObject,
    onProgress?: () => void,
  ): Promise<Node | undefined> {
    const task = moRef(await this.client.call(method, ref, args), 'returnval');
    if (!task) throw new HypervisorError('HypervisorUnavailable', `${method} returned no task`);
    return this.client.waitForTask(task, onProgress);
  }

  private async requireVm(vmId: string): Promise<MoRef> {
    const ref = await this.findVm(vmId);
    if (!ref) throw new HypervisorError('HypervisorNotFound', `no vSphere VM for server ${vmId}`);
    return ref;
  }

  private async describe(vmId: string, ref: MoRef): Promise<HypervisorVm> {
    const properties = (await this.client.retrieve([ref], 'VirtualMachine', vmProperties)).get(
      ref.toString(),
    );
    if (!properties) {
      throw new HypervisorError('HypervisorNotFound', `vSphere VM ${ref.value} is gone`);
    }
    const host = moRef(properties.get('runtime.host'));
    const hostNames = new Map<string, string>();
    if (host) {
      const name = text(
        (await this.client.retrieve([host], 'HostSystem', ['name']))
          .get(host.toString())
          ?.get('name'),
      );
      hostNames.set(host.value, name);
    }
    return toVm(vmId, ref.value, properties, hostNames);
  }

  /** Clones the template as a new server, with the size and identity in `spec`. */
  private async cloneFromTemplate(spec: VmSpec, onProgress?: () => void): Promise<MoRef> {
    const { template } = await this.resolveInventory();
    const host = await this.placeVm(spec);
    return this.clone(
      template,
      spec.vmId,
      { host, config: identityConfig(spec, this.settings) },
      onProgress,
    );
  }

  /**
   * Clones a Berth VM (as it is, or at one of its snapshots) as a new server of its size. A
   * missing source or snapshot is HypervisorNotFound.
   */
  private async cloneFromVm(
    sourceVmId: string,
    spec: CloneSpec,
    onProgress?: () => void,
  ): Promise<MoRef> {
    const source = await this.findVm(sourceVmId);
    if (!source) {
      throw new HypervisorError(
        'HypervisorNotFound',
        `no vSphere VM for server ${sourceVmId}, the source of clone ${spec.vmId}`,
      );
    }
    let snapshot: MoRef | undefined;
    if (spec.fromSnapshot !== undefined) {
      snapshot = (await this.snapshots(source)).find(
        (candidate) => candidate.name === spec.fromSnapshot,
      )?.ref;
      if (!snapshot) {
        throw new HypervisorError(
          'HypervisorNotFound',
          `server ${sourceVmId} has no snapshot ${spec.fromSnapshot}`,
        );
      }
    }
    // Placed by the source's memory now; a snapshot's can differ, but rarely by enough to matter.
    const { memoryMb = 0 } = await this.describe(sourceVmId, source);
    const host = await this.placeVm({ vmId: spec.vmId, memoryMb, avoidHosts: spec.avoidHosts });
    return this.clone(
      source,
      spec.vmId,
      { host, config: identityConfig(spec, this.settings), snapshot },
      onProgress,
    );
  }

  /**
   * Clones `source` (at `snapshot`, if given) into Berth's folder and the cluster's pool on
   * `host`, powered off, named after the Berth id and with `config` (its identity) in the clone
   * spec. A VM of the same name means an earlier attempt's clone: it is used if it can be found,
   * else (still being made) the caller is told to try again.
   */
  private async clone(
    source: MoRef,
    vmId: string,
    target: { host: MoRef; config: XmlObject; snapshot?: MoRef },
    onProgress?: () => void,
  ): Promise<MoRef> {
    const inventory = await this.resolveInventory();
    try {
      const result = await this.runTask(
        'CloneVM_Task',
        source,
        {
          folder: inventory.folder,
          name: vsphereVmName(vmId),
          // In vim25's element order: location, template, config, powerOn, snapshot.
          spec: {
            location: { pool: inventory.pool, host: target.host },
            template: false,
            config: target.config,
            powerOn: false,
            snapshot: target.snapshot,
          },
        },
        onProgress,
      );
      const ref = moRef(result);
      if (!ref) throw new HypervisorError('HypervisorUnavailable', 'the clone task returned no VM');
      return ref;
    } catch (error) {
      if (!(error instanceof HypervisorError) || error.fault !== 'DuplicateName') throw error;
      const existing = await this.findVm(vmId);
      if (existing) return existing;
      throw new HypervisorError(
        'HypervisorBusy',
        `server ${vmId} is still being cloned; try again`,
        {
          fault: 'DuplicateName',
          cause: error,
        },
      );
    }
  }

  /** The connected host, out of maintenance, with the most free memory that fits the VM. */
  private async placeVm(needs: {
    vmId: string;
    memoryMb: number;
    avoidHosts?: string[];
  }): Promise<MoRef> {
    const chosen = bestHost(await this.listHosts(), {
      memoryMb: needs.memoryMb,
      avoid: needs.avoidHosts,
    });
    if (!chosen) {
      throw new HypervisorError(
        'NoCapacity',
        `no connected host outside maintenance has ${needs.memoryMb} MB free for server ${needs.vmId}`,
      );
    }
    return new MoRef('HostSystem', chosen.ref);
  }

  private resolveInventory(): Promise<Inventory> {
    this.inventory ??= this.findInventory().catch((error: unknown) => {
      this.inventory = undefined;
      throw error;
    });
    return this.inventory;
  }

  private async findInventory(): Promise<Inventory> {
    const { searchIndex } = await this.client.serviceContent();
    const { datacenter: dc, cluster: clusterName, template: templatePath, folder } = this.settings;
    const find = async (path: string, what: string): Promise<MoRef> => {
      const ref = moRef(
        await this.client.call('FindByInventoryPath', searchIndex, { inventoryPath: path }),
        'returnval',
      );
      if (!ref) {
        throw new HypervisorError('HypervisorNotFound', `vSphere has no ${what} at ${path}`);
      }
      return ref;
    };
    const datacenter = await find(dc, 'datacenter');
    const template = await find(`${dc}/vm/${templatePath}`, 'template');
    const vmFolder = await find(folder ? `${dc}/vm/${folder}` : `${dc}/vm`, 'VM folder');
    const cluster = await find(`${dc}/host/${clusterName}`, 'cluster');
    const pool = moRef(
      (await this.client.retrieve([cluster], 'ComputeResource', ['resourcePool']))
        .get(cluster.toString())
        ?.get('resourcePool'),
    );
    if (!pool)
      throw new HypervisorError(
        'HypervisorNotFound',
        `cluster ${clusterName} has no resource pool`,
      );
    return { datacenter, template, folder: vmFolder, cluster, pool };
  }
}

/**
 * What makes a clone this server: its instance UUID, size (a clone of a Berth VM keeps its
 * source's) and guestinfo: Berth id, guest identity and install callback. A clone of a Berth VM
 * has no callback (its OS is installed), and the source's, which vSphere copies with the rest of
 * its configuration, is removed (an empty value removes a key).
 */
function identityConfig(
  spec: GuestIdentity & {
    vmId: string;
    cpus?: number;
    memoryMb?: number;
    callback?: VmSpec['callback'];
  },
  settings: VsphereSettings,
): XmlObject & { instanceUuid: string } {
  return {
    // In vim25's element order: instanceUuid, numCPUs, memoryMB, extraConfig.
    instanceUuid: spec.vmId,
    numCPUs: spec.cpus,
    memoryMB: spec.memoryMb,
    extraConfig: [
      option(guestinfo.vmId, spec.vmId),
      ...[...guestIdentityValues(spec, settings)].map(([key, value]) => option(key, value)),
      option(guestinfo.callbackUrl, spec.callback?.url ?? ''),
      option(guestinfo.callbackToken, spec.callback?.token ?? ''),
    ],
  };
}

/**
 * The guest identity as guestinfo values, with the same defaults as guest customisation; a
 * missing gateway is an empty value, which removes an earlier one.
 */
function guestIdentityValues(
  identity: GuestIdentity,
  settings: VsphereSettings,
): Map<string, string> {
  return new Map([
    [guestinfo.hostname, identity.hostname],
    [guestinfo.ipv4, identity.ipv4],
    [guestinfo.ipv4PrefixLength, String(identity.ipv4PrefixLength ?? settings.ipv4PrefixLength)],
    [guestinfo.ipv4Gateway, identity.ipv4Gateway ?? ''],
    [guestinfo.ipv6, identity.ipv6],
    [guestinfo.ipv6PrefixLength, String(identity.ipv6PrefixLength ?? 64)],
    [guestinfo.ipv6Gateway, identity.ipv6Gateway ?? ''],
  ]);
}

/** Linux guest customisation: the host name, the fixed addresses and their default routes. */
function customization(spec: VmSpec, settings: VsphereSettings): XmlObject {
  const [shortName, ...domain] = spec.hostname.split('.');
  return {
    identity: new Typed('CustomizationLinuxPrep', {
      hostName: new Typed('CustomizationFixedName', { name: shortName! }),
      domain: domain.join('.'),
    }),
    globalIPSettings: {},
    nicSettingMap: [
      {
        // In vim25's element order: ip, subnetMask, gateway, ipV6Spec (ip, gateway).
        adapter: {
          ip: new Typed('CustomizationFixedIp', { ipAddress: spec.ipv4 }),
          subnetMask: subnetMask(spec.ipv4PrefixLength ?? settings.ipv4PrefixLength),
          ...(spec.ipv4Gateway ? { gateway: [spec.ipv4Gateway] } : {}),
          ipV6Spec: {
            ip: [
              new Typed('CustomizationFixedIpV6', {
                ipAddress: spec.ipv6,
                subnetMask: spec.ipv6PrefixLength ?? 64,
              }),
            ],
            ...(spec.ipv6Gateway ? { gateway: [spec.ipv6Gateway] } : {}),
          },
        },
      },
    ],
  };
}

/** An extraConfig entry; typed, as servers built on govmomi decode polymorphic arrays by type. */
function option(key: string, value: string): Typed {
  return new Typed('OptionValue', { key, value: new Typed('xsd:string', value) });
}

function subnetMask(prefixLength: number): string {
  const bits = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

function toVm(
  vmId: string,
  ref: string,
  properties: Properties,
  hostNames: Map<string, string>,
): HypervisorVm {
  const host = moRef(properties.get('runtime.host'));
  return {
    vmId,
    ref,
    powerState:
      text(properties.get('runtime.powerState')) === 'poweredOn' ? 'poweredOn' : 'poweredOff',
    host: host ? hostNames.get(host.value) : undefined,
    cpus: int(properties.get('config.hardware.numCPU')),
    memoryMb: int(properties.get('config.hardware.memoryMB')),
  };
}

function extraConfig(node: Node | undefined): Map<string, string> {
  return new Map(
    list(node, 'OptionValue').map((entry) => [text(entry, 'key'), text(entry, 'value')]),
  );
}

function toHost(ref: MoRef, properties: Properties): HypervisorHost {
  const get = (name: string): Node | undefined => properties.get(name);
  const state = text(get('runtime.connectionState'));
  return {
    ref: ref.value,
    name: text(get('name')),
    connectionState:
      state === 'connected' || state === 'disconnected' || state === 'notResponding'
        ? state
        : 'notResponding',
    inMaintenanceMode: bool(get('runtime.inMaintenanceMode')),
    cpuCores: int(get('summary.hardware.numCpuCores')),
    cpuMhz: int(get('summary.hardware.numCpuCores')) * int(get('summary.hardware.cpuMhz')),
    cpuUsedMhz: int(get('summary.quickStats.overallCpuUsage')),
    memoryMb: Math.floor(Number(text(get('summary.hardware.memorySize')) || 0) / (1024 * 1024)),
    memoryUsedMb: int(get('summary.quickStats.overallMemoryUsage')),
    vmCount: list(asNode(get('vm')), 'ManagedObjectReference').length,
  };
}
