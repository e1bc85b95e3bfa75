import {
  HypervisorHostRow,
  NetworkConfig,
  Notification,
  Operation,
  Service,
  Site,
  SiteEvent,
  SiteRole,
  Vm,
} from '../domain';
import { SimulatedHost } from '../../activities/hypervisor/simulated/simulated-host.entity';
import { SimulatedSnapshot } from '../../activities/hypervisor/simulated/simulated-snapshot.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';

/**
 * Every table of the read model. The simulated hypervisor keeps its machines in the same database
 * so that they outlive a worker restart, as a real hypervisor's would.
 */
export const entities = [
  Site,
  Service,
  Vm,
  NetworkConfig,
  SiteRole,
  SiteEvent,
  Operation,
  HypervisorHostRow,
  Notification,
  SimulatedVm,
  SimulatedHost,
  SimulatedSnapshot,
];
