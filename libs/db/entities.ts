import {
  AddressPool,
  AllowedPackage,
  ApiToken,
  AuditEvent,
  ConfigurationRun,
  DomainName,
  Vhost,
  HostKey,
  HypervisorHostRow,
  LoginSession,
  NetworkConfig,
  Notification,
  Operation,
  ServerSecret,
  Service,
  Site,
  SiteBackup,
  SiteCertificate,
  SiteEvent,
  SiteNote,
  SitePackage,
  SiteRole,
  SiteSnapshot,
  SiteUnixGroup,
  SshKey,
  Vm,
} from '../domain';
import {
  SimulatedDnsRecordSet,
  SimulatedDnsZone,
} from '../../activities/network/dns/simulated/simulated-dns.entity';
import { SimulatedHost } from '../../activities/hypervisor/simulated/simulated-host.entity';
import { SimulatedSnapshot } from '../../activities/hypervisor/simulated/simulated-snapshot.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';

/**
 * Every table of the read model. The simulated hypervisor and DNS server keep their machines and
 * records in the same database so that they outlive a worker restart, as real ones would.
 */
export const entities = [
  Site,
  Service,
  ServerSecret,
  Vm,
  NetworkConfig,
  AddressPool,
  HostKey,
  AuditEvent,
  Vhost,
  DomainName,
  ConfigurationRun,
  SiteRole,
  SiteCertificate,
  SiteEvent,
  SiteNote,
  SiteSnapshot,
  SiteBackup,
  SitePackage,
  AllowedPackage,
  SiteUnixGroup,
  SshKey,
  ApiToken,
  LoginSession,
  Operation,
  HypervisorHostRow,
  Notification,
  SimulatedVm,
  SimulatedHost,
  SimulatedSnapshot,
  SimulatedDnsZone,
  SimulatedDnsRecordSet,
];
