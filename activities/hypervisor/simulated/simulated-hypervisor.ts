import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { type Logger } from '../../../libs/logger';
import { type Hypervisor, type HypervisorVm, type PowerAction, type VmSpec } from '../port';
import { SimulatedInstaller } from './simulated-installer';
import { SimulatedVm } from './simulated-vm.entity';

/**
 * The `simulated` hypervisor of the embedded profile: machines are rows in Berth's database and
 * installs are a timer followed by a real HTTP callback. Never chosen by the production profile.
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
    const em = forkEm(this.orm);
    const vm = new SimulatedVm({
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
    if (!vm) throw new Error(`no simulated VM ${vmId}`);
    // A reboot or reset of a machine that is off leaves it off, as on a real hypervisor.
    if (action === 'on') vm.powerState = 'poweredOn';
    if (action === 'off') vm.powerState = 'poweredOff';
    await em.flush();
    return view(vm);
  }

  async destroyVm(vmId: string): Promise<void> {
    await forkEm(this.orm).nativeDelete(SimulatedVm, { vmId });
  }

  close(): Promise<void> {
    this.installer.stop();
    return Promise.resolve();
  }
}

function view(vm: SimulatedVm): HypervisorVm {
  return { vmId: vm.vmId, ref: vm.ref, powerState: vm.powerState };
}
