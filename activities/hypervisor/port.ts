/**
 * The Hypervisor port: what Berth asks of whatever runs its virtual machines. Every call is
 * idempotent: creating a VM that exists returns it (found by the Berth VM id stored on it),
 * powering a VM into the state it is in changes nothing, and destroying a missing VM succeeds.
 * Failures are HypervisorErrors (./errors), which say whether a retry can help.
 *
 * Calls that wait on the hypervisor take `onProgress`, called whenever the wait learns something;
 * activities heartbeat there.
 */
export interface Hypervisor {
  /** Adapter name as configured (`simulated`, `vsphere`), shown in logs and systemInfo. */
  readonly name: string;
  /**
   * Creates and powers on a VM that installs its OS and then calls `callback.url` with
   * `Authorization: Bearer <callback.token>`.
   */
  createVm(spec: VmSpec, onProgress?: () => void): Promise<HypervisorVm>;
  getVm(vmId: string): Promise<HypervisorVm | undefined>;
  /** Power actions; `reboot` asks the guest, `reset` is the hardware button. */
  power(vmId: string, action: PowerAction, onProgress?: () => void): Promise<HypervisorVm>;
  destroyVm(vmId: string, onProgress?: () => void): Promise<void>;
  /**
   * Takes the install callback's secret off the VM once the install is reported, so it does not
   * stay readable in the hypervisor (vSphere: guestinfo). A missing VM or token is fine.
   */
  forgetCallback(vmId: string, onProgress?: () => void): Promise<void>;
  /** Changes a VM's size; a disk only grows. Returns the VM as it now is. */
  reconfigureVm(vmId: string, size: VmSize, onProgress?: () => void): Promise<HypervisorVm>;
  /** Takes a snapshot named `name`, unless the VM has one by that name already. */
  createSnapshot(vmId: string, name: string, onProgress?: () => void): Promise<HypervisorSnapshot>;
  listSnapshots(vmId: string): Promise<HypervisorSnapshot[]>;
  /** Returns the VM to the snapshot's state; a missing snapshot is HypervisorNotFound. */
  revertSnapshot(vmId: string, name: string, onProgress?: () => void): Promise<HypervisorVm>;
  /** Removes the snapshot; removing a missing one succeeds. */
  removeSnapshot(vmId: string, name: string, onProgress?: () => void): Promise<void>;
  /**
   * Makes a new VM, Berth id `spec.vmId`, whose disks are a copy of `sourceVmId`'s (at snapshot
   * `spec.fromSnapshot` when given, else as they are now), of the source's size, with the guest
   * identity in `spec`, powered on. The source's snapshots are not copied. Idempotent: a VM that
   * already carries `spec.vmId` is returned as it is. A missing source VM or snapshot is
   * HypervisorNotFound.
   */
  cloneVm(sourceVmId: string, spec: CloneSpec, onProgress?: () => void): Promise<HypervisorVm>;
  /**
   * Gives a VM the name and addresses its guest takes at its next boot (vSphere: guestinfo), as
   * when a test server and production swap. Setting what it has changes nothing; a missing VM is
   * HypervisorNotFound.
   */
  setGuestIdentity(vmId: string, identity: GuestIdentity, onProgress?: () => void): Promise<void>;
  /** Moves a running or stopped VM to another host (live migration); a no-op when it is there. */
  relocateVm(vmId: string, host: string, onProgress?: () => void): Promise<HypervisorVm>;
  /** The hosts that may run Berth's VMs, with their state and capacity. */
  listHosts(): Promise<HypervisorHost[]>;
  /** Berth's VMs (those carrying a Berth id), optionally only those on one host. */
  listVms(host?: string): Promise<HypervisorVm[]>;
  /** Maintenance mode: a host in it takes no new VMs. Both are no-ops when already so. */
  enterMaintenance(host: string, onProgress?: () => void): Promise<void>;
  exitMaintenance(host: string, onProgress?: () => void): Promise<void>;
  /** Releases connections and background work. */
  close(): Promise<void>;
}

export interface HypervisorHost {
  /** The hypervisor's reference for the host. */
  ref: string;
  name: string;
  connectionState: 'connected' | 'disconnected' | 'notResponding';
  inMaintenanceMode: boolean;
  cpuCores: number;
  /** Total and used CPU, in MHz. */
  cpuMhz: number;
  cpuUsedMhz: number;
  /** Total and used memory, in MB. */
  memoryMb: number;
  memoryUsedMb: number;
  vmCount: number;
}

export interface VmSpec {
  vmId: string;
  /** Null for a VM built for the warm pool. */
  siteId: string | null;
  hostname: string;
  ipv4: string;
  ipv6: string;
  /**
   * The networks' prefix lengths and default routes, from the address pools. Absent in calls
   * recorded before pools had them: adapters then fall back to their own settings.
   */
  ipv4PrefixLength?: number;
  ipv4Gateway?: string | null;
  ipv6PrefixLength?: number;
  ipv6Gateway?: string | null;
  cpus: number;
  memoryMb: number;
  diskGb: number;
  /** Handed to the guest, as guest customisation would; the token is a secret. */
  callback: { url: string; token: string };
  /**
   * Hosts to use only when no other fits: those running the site's other servers, so that a
   * site's production and test servers do not share a host when it can be helped.
   */
  avoidHosts?: string[];
}

/** The name and addresses a guest configures itself with. */
export interface GuestIdentity {
  hostname: string;
  ipv4: string;
  ipv6: string;
  ipv4PrefixLength?: number;
  ipv4Gateway?: string | null;
  ipv6PrefixLength?: number;
  ipv6Gateway?: string | null;
}

/** A clone's own identity and where it comes from. */
export interface CloneSpec extends GuestIdentity {
  vmId: string;
  siteId: string;
  /** Copy the source as it was at this snapshot (a nightly backup, say) rather than as it is. */
  fromSnapshot?: string;
  /** Hosts to use only when no other fits (those running the site's other servers). */
  avoidHosts?: string[];
}

export type PowerState = 'poweredOn' | 'poweredOff';
/** `off` and `reset` are the hardware switch and button; `shutdown` and `reboot` ask the guest. */
export type PowerAction = 'on' | 'off' | 'shutdown' | 'reboot' | 'reset';

export interface VmSize {
  cpus: number;
  memoryMb: number;
  diskGb: number;
}

export interface HypervisorSnapshot {
  name: string;
  createdAt: string;
}

export interface HypervisorVm {
  vmId: string;
  /** The hypervisor's own reference for the VM. */
  ref: string;
  powerState: PowerState;
  /** The name of the host it runs on, when the hypervisor says. */
  host?: string;
  cpus?: number;
  memoryMb?: number;
  diskGb?: number;
}
