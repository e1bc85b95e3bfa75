/**
 * The Hypervisor port: what Berth asks of whatever runs its virtual machines. Every call is
 * idempotent: creating a VM that exists returns it (found by the Berth VM id stored on it), and
 * destroying a missing VM succeeds.
 */
export interface Hypervisor {
  /** Adapter name as configured (`simulated`, later `vsphere`), shown in logs and systemInfo. */
  readonly name: string;
  /**
   * Creates and powers on a VM that installs its OS and then calls `callback.url` with
   * `Authorization: Bearer <callback.token>`.
   */
  createVm(spec: VmSpec): Promise<HypervisorVm>;
  getVm(vmId: string): Promise<HypervisorVm | undefined>;
  /** Power actions; `reboot` asks the guest, `reset` is the hardware button. */
  power(vmId: string, action: PowerAction): Promise<HypervisorVm>;
  destroyVm(vmId: string): Promise<void>;
  /** Releases connections and background work. */
  close(): Promise<void>;
}

export interface VmSpec {
  vmId: string;
  /** Null for a VM built for the warm pool. */
  siteId: string | null;
  hostname: string;
  ipv4: string;
  ipv6: string;
  cpus: number;
  memoryMb: number;
  diskGb: number;
  /** Handed to the guest, as guest customisation would; the token is a secret. */
  callback: { url: string; token: string };
}

export type PowerState = 'poweredOn' | 'poweredOff';
export type PowerAction = 'on' | 'off' | 'reboot' | 'reset';

export interface HypervisorVm {
  vmId: string;
  /** The hypervisor's own reference for the VM. */
  ref: string;
  powerState: PowerState;
}
