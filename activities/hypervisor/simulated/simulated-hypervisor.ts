import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { type Logger } from '../../../libs/logger';
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
  type VmSize,
  type VmSpec,
} from '../port';
import { SimulatedHost } from './simulated-host.entity';
import { SimulatedSnapshot } from './simulated-snapshot.entity';
import { SimulatedInstaller } from './simulated-installer';
import { SimulatedVm } from './simulated-vm.entity';

/** The simulated cluster: three equal hosts, always connected. */
export const simulatedHosts = ['sim-host-1', 'sim-host-2', 'sim-host-3'] as const;
const hostMemoryMb = 256 * 1024;
const hostCpuCores = 32;
const coreMhz = 2400;

/**
 * The `simulated` hypervisor of the embedded profile: machines are rows in Berth's database and
 * installs are a timer followed by a real HTTP callback. A new VM goes to the host with the most
 * free memory, as the vsphere adapter places them. Never chosen by the production profile.
 */
export class SimulatedHypervisor implements Hypervisor {
  readonly name = 'simulated';
  private readonly installer: SimulatedInstaller;

  constructor(
    private readonly orm: Orm,
    options: { installDelayMs: number; log: Logger },
  ) {
    this.installer = new SimulatedInstaller(orm, options.installDelayMs, options.log);
  }

  /** Resumes installs a previous worker left under way. */
  async start(): Promise<void> {
    await this.installer.resume();
  }

  async createVm(spec: VmSpec): Promise<HypervisorVm> {
    const existing = await this.getVm(spec.vmId);
    if (existing) return existing;
    const host = await this.placeVm(spec.vmId, spec);
    const vm = new SimulatedVm({
      host,
      vmId: spec.vmId,
      ref: `sim-${spec.vmId.slice(0, 8)}`,
      hostname: spec.hostname,
      ipv4: spec.ipv4,
      ipv6: spec.ipv6,
      cpus: spec.cpus,
      memoryMb: spec.memoryMb,
      diskGb: spec.diskGb,
      callbackUrl: spec.callback.url,
      callbackToken: spec.callback.token,
    });
    const made = await this.insertVm(vm);
    // A concurrent attempt's VM: its installer is already started.
    if (made !== vm) return view(made);
    this.installer.start(spec.vmId);
    return view(vm);
  }

  /**
   * A new row with the source's size (the snapshot's, when cloning from one, as vSphere takes
   * the snapshot's hardware), placed like a new VM, installed and running: the OS came with the
   * disks, so no installer calls back.
   */
  async cloneVm(sourceVmId: string, spec: CloneSpec): Promise<HypervisorVm> {
    const existing = await this.getVm(spec.vmId);
    if (existing) return existing;
    const em = forkEm(this.orm);
    const source = await this.requireVm(em, sourceVmId);
    let copied: { cpus: number; memoryMb: number; diskGb: number } = source;
    if (spec.fromSnapshot !== undefined) {
      const snapshot = await em.findOne(SimulatedSnapshot, {
        vmId: sourceVmId,
        name: spec.fromSnapshot,
      });
      if (!snapshot) {
        throw new HypervisorError(
          'HypervisorNotFound',
          `server ${sourceVmId} has no snapshot ${spec.fromSnapshot}`,
        );
      }
      copied = snapshot;
    }
    const host = await this.placeVm(spec.vmId, {
      memoryMb: copied.memoryMb,
      avoidHosts: spec.avoidHosts,
    });
    const clone = new SimulatedVm({
      host,
      vmId: spec.vmId,
      ref: `sim-${spec.vmId.slice(0, 8)}`,
      hostname: spec.hostname,
      ipv4: spec.ipv4,
      ipv6: spec.ipv6,
      cpus: copied.cpus,
      memoryMb: copied.memoryMb,
      diskGb: copied.diskGb,
      // No install, so no callback: the source's is not the clone's to use.
      callbackUrl: '',
      callbackToken: '',
      clonedFrom: { vmId: sourceVmId, snapshot: spec.fromSnapshot ?? null },
    });
    return view(await this.insertVm(clone));
  }

  /** The row's name and addresses are what the simulated guest would configure at boot. */
  async setGuestIdentity(vmId: string, identity: GuestIdentity): Promise<void> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    vm.hostname = identity.hostname;
    vm.ipv4 = identity.ipv4;
    vm.ipv6 = identity.ipv6;
    await em.flush();
  }

  async getVm(vmId: string): Promise<HypervisorVm | undefined> {
    const vm = await forkEm(this.orm).findOne(SimulatedVm, { vmId });
    return vm ? view(vm) : undefined;
  }

  async power(vmId: string, action: PowerAction): Promise<HypervisorVm> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    if (action === 'on' && vm.powerState === 'poweredOff') {
      const host = await em.findOne(SimulatedHost, { name: vm.host });
      if (host?.inMaintenanceMode || (host && host.connectionState !== 'connected')) {
        throw new HypervisorError(
          'HypervisorInvalidState',
          `simulated host ${vm.host} cannot start VMs (maintenance or disconnected)`,
        );
      }
    }
    // A reboot or reset of a machine that is off leaves it off, as on a real hypervisor.
    if (action === 'on') vm.powerState = 'poweredOn';
    if (action === 'off' || action === 'shutdown') vm.powerState = 'poweredOff';
    await em.flush();
    return view(vm);
  }

  async destroyVm(vmId: string): Promise<void> {
    await forkEm(this.orm).nativeDelete(SimulatedSnapshot, { vmId });
    await forkEm(this.orm).nativeDelete(SimulatedVm, { vmId });
  }

  async forgetCallback(vmId: string): Promise<void> {
    await forkEm(this.orm).nativeUpdate(SimulatedVm, { vmId }, { callbackToken: '' });
  }

  async reconfigureVm(vmId: string, size: VmSize): Promise<HypervisorVm> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    if (size.diskGb < vm.diskGb) {
      throw new HypervisorError(
        'HypervisorInvalidRequest',
        `a disk only grows (server ${vmId} has ${vm.diskGb} GB, asked for ${size.diskGb})`,
      );
    }
    vm.cpus = size.cpus;
    vm.memoryMb = size.memoryMb;
    vm.diskGb = size.diskGb;
    await em.flush();
    return view(vm);
  }

  async createSnapshot(vmId: string, name: string): Promise<HypervisorSnapshot> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    const existing = await em.findOne(SimulatedSnapshot, { vmId, name });
    if (existing) return snapshotView(existing);
    const snapshot = new SimulatedSnapshot({
      id: randomUUID(),
      vmId,
      name,
      cpus: vm.cpus,
      memoryMb: vm.memoryMb,
      diskGb: vm.diskGb,
      powerState: vm.powerState,
    });
    try {
      await em.persistAndFlush(snapshot);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const raced = await forkEm(this.orm).findOneOrFail(SimulatedSnapshot, { vmId, name });
      return snapshotView(raced);
    }
    return snapshotView(snapshot);
  }

  async listSnapshots(vmId: string): Promise<HypervisorSnapshot[]> {
    const em = forkEm(this.orm);
    await this.requireVm(em, vmId);
    const snapshots = await em.find(SimulatedSnapshot, { vmId }, { orderBy: { createdAt: 'asc' } });
    return snapshots.map(snapshotView);
  }

  async revertSnapshot(vmId: string, name: string): Promise<HypervisorVm> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    const snapshot = await em.findOne(SimulatedSnapshot, { vmId, name });
    if (!snapshot) {
      throw new HypervisorError('HypervisorNotFound', `server ${vmId} has no snapshot ${name}`);
    }
    vm.cpus = snapshot.cpus;
    vm.memoryMb = snapshot.memoryMb;
    vm.diskGb = snapshot.diskGb;
    vm.powerState = snapshot.powerState;
    await em.flush();
    return view(vm);
  }

  async removeSnapshot(vmId: string, name: string): Promise<void> {
    await forkEm(this.orm).nativeDelete(SimulatedSnapshot, { vmId, name });
  }

  async relocateVm(vmId: string, host: string): Promise<HypervisorVm> {
    const em = forkEm(this.orm);
    const vm = await this.requireVm(em, vmId);
    if (vm.host === host) return view(vm);
    const target = (await this.listHosts()).find((candidate) => candidate.name === host);
    if (!target) throw new HypervisorError('HypervisorNotFound', `no simulated host ${host}`);
    if (target.connectionState !== 'connected' || target.inMaintenanceMode) {
      throw new HypervisorError(
        'HypervisorInvalidState',
        `simulated host ${host} takes no VMs (maintenance or disconnected)`,
      );
    }
    if (target.memoryMb - target.memoryUsedMb < vm.memoryMb) {
      throw new HypervisorError('NoCapacity', `simulated host ${host} has no room for ${vmId}`);
    }
    vm.host = host;
    await em.flush();
    return view(vm);
  }

  async listHosts(): Promise<HypervisorHost[]> {
    const hosts = await this.hosts();
    const vms = await forkEm(this.orm).find(
      SimulatedVm,
      {},
      { fields: ['host', 'cpus', 'memoryMb', 'powerState'] },
    );
    return hosts.map((host) => {
      const mine = vms.filter((vm) => vm.host === host.name);
      const running = mine.filter((vm) => vm.powerState === 'poweredOn');
      return {
        ref: host.name,
        name: host.name,
        connectionState: host.connectionState,
        inMaintenanceMode: host.inMaintenanceMode,
        cpuCores: hostCpuCores,
        cpuMhz: hostCpuCores * coreMhz,
        cpuUsedMhz: running.reduce((sum, vm) => sum + vm.cpus * coreMhz, 0) / 10,
        memoryMb: hostMemoryMb,
        memoryUsedMb: running.reduce((sum, vm) => sum + vm.memoryMb, 0),
        vmCount: mine.length,
      };
    });
  }

  async listVms(host?: string): Promise<HypervisorVm[]> {
    const vms = await forkEm(this.orm).find(SimulatedVm, host === undefined ? {} : { host });
    return vms.map(view);
  }

  async enterMaintenance(host: string): Promise<void> {
    await this.setHost(host, (row) => (row.inMaintenanceMode = true));
  }

  async exitMaintenance(host: string): Promise<void> {
    await this.setHost(host, (row) => (row.inMaintenanceMode = false));
  }

  /** The simulated hosts, made on first use. */
  private async hosts(): Promise<SimulatedHost[]> {
    const em = forkEm(this.orm);
    const rows = await em.find(SimulatedHost, {}, { orderBy: { name: 'asc' } });
    const missing = simulatedHosts.filter((name) => !rows.some((row) => row.name === name));
    if (missing.length === 0) return rows;
    // Concurrent first uses may both insert: the loser's rows are ignored.
    await em.upsertMany(
      SimulatedHost,
      missing.map((name) => ({
        name,
        inMaintenanceMode: false,
        connectionState: 'connected' as const,
      })),
      { onConflictFields: ['name'], onConflictAction: 'ignore' },
    );
    return forkEm(this.orm).find(SimulatedHost, {}, { orderBy: { name: 'asc' } });
  }

  private async setHost(name: string, change: (host: SimulatedHost) => void): Promise<void> {
    if (!(simulatedHosts as readonly string[]).includes(name)) {
      throw new HypervisorError('HypervisorNotFound', `no simulated host ${name}`);
    }
    await this.hosts();
    const em = forkEm(this.orm);
    const host = await em.findOneOrFail(SimulatedHost, { name });
    change(host);
    await em.flush();
  }

  private async requireVm(em: ReturnType<typeof forkEm>, vmId: string): Promise<SimulatedVm> {
    const vm = await em.findOne(SimulatedVm, { vmId });
    if (!vm) throw new HypervisorError('HypervisorNotFound', `no simulated VM for server ${vmId}`);
    return vm;
  }

  /**
   * Inserts a new VM's row and returns it; when a concurrent attempt inserted the same Berth id
   * first, returns that one's row instead.
   */
  private async insertVm(vm: SimulatedVm): Promise<SimulatedVm> {
    try {
      await forkEm(this.orm).persistAndFlush(vm);
      return vm;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        const raced = await forkEm(this.orm).findOne(SimulatedVm, { vmId: vm.vmId });
        if (raced) return raced;
      }
      throw error;
    }
  }

  private async placeVm(
    vmId: string,
    needs: { memoryMb: number; avoidHosts?: string[] },
  ): Promise<string> {
    const chosen = bestHost(await this.listHosts(), {
      memoryMb: needs.memoryMb,
      avoid: needs.avoidHosts,
    });
    if (!chosen) {
      throw new HypervisorError(
        'NoCapacity',
        `no connected simulated host outside maintenance has ${needs.memoryMb} MB free for server ${vmId}`,
      );
    }
    return chosen.name;
  }

  close(): Promise<void> {
    this.installer.stop();
    return Promise.resolve();
  }
}

function view(vm: SimulatedVm): HypervisorVm {
  return {
    vmId: vm.vmId,
    ref: vm.ref,
    powerState: vm.powerState,
    host: vm.host,
    cpus: vm.cpus,
    memoryMb: vm.memoryMb,
    diskGb: vm.diskGb,
  };
}

function snapshotView(snapshot: SimulatedSnapshot): HypervisorSnapshot {
  return { name: snapshot.name, createdAt: snapshot.createdAt.toISOString() };
}
