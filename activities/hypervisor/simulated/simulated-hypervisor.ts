import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { type Logger } from '../../../libs/logger';
import { HypervisorError } from '../errors';
import {
  type Hypervisor,
  type HypervisorHost,
  type HypervisorVm,
  type PowerAction,
  type VmSpec,
} from '../port';
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
    const host = await this.placeVm(spec);
    const em = forkEm(this.orm);
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
    try {
      await em.persistAndFlush(vm);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        const raced = await this.getVm(spec.vmId);
        if (raced) return raced;
      }
      throw error;
    }
    this.installer.start(spec.vmId);
    return view(vm);
  }

  async getVm(vmId: string): Promise<HypervisorVm | undefined> {
    const vm = await forkEm(this.orm).findOne(SimulatedVm, { vmId });
    return vm ? view(vm) : undefined;
  }

  async power(vmId: string, action: PowerAction): Promise<HypervisorVm> {
    const em = forkEm(this.orm);
    const vm = await em.findOne(SimulatedVm, { vmId });
    if (!vm) throw new HypervisorError('HypervisorNotFound', `no simulated VM for server ${vmId}`);
    // A reboot or reset of a machine that is off leaves it off, as on a real hypervisor.
    if (action === 'on') vm.powerState = 'poweredOn';
    if (action === 'off') vm.powerState = 'poweredOff';
    await em.flush();
    return view(vm);
  }

  async destroyVm(vmId: string): Promise<void> {
    await forkEm(this.orm).nativeDelete(SimulatedVm, { vmId });
  }

  async listHosts(): Promise<HypervisorHost[]> {
    const vms = await forkEm(this.orm).find(
      SimulatedVm,
      {},
      { fields: ['host', 'cpus', 'memoryMb', 'powerState'] },
    );
    return simulatedHosts.map((name) => {
      const mine = vms.filter((vm) => vm.host === name);
      const running = mine.filter((vm) => vm.powerState === 'poweredOn');
      return {
        ref: name,
        name,
        connectionState: 'connected',
        inMaintenanceMode: false,
        cpuCores: hostCpuCores,
        cpuMhz: hostCpuCores * coreMhz,
        cpuUsedMhz: running.reduce((sum, vm) => sum + vm.cpus * coreMhz, 0) / 10,
        memoryMb: hostMemoryMb,
        memoryUsedMb: running.reduce((sum, vm) => sum + vm.memoryMb, 0),
        vmCount: mine.length,
      };
    });
  }

  private async placeVm(spec: VmSpec): Promise<string> {
    const hosts = await this.listHosts();
    const [chosen] = hosts
      .filter((host) => host.memoryMb - host.memoryUsedMb >= spec.memoryMb)
      .sort((a, b) => b.memoryMb - b.memoryUsedMb - (a.memoryMb - a.memoryUsedMb));
    if (!chosen) {
      throw new HypervisorError('NoCapacity', `no simulated host has ${spec.memoryMb} MB free`);
    }
    return chosen.name;
  }

  close(): Promise<void> {
    this.installer.stop();
    return Promise.resolve();
  }
}

function view(vm: SimulatedVm): HypervisorVm {
  return { vmId: vm.vmId, ref: vm.ref, powerState: vm.powerState, host: vm.host };
}
