import { SimulatedDnsRecordSet } from '../../activities/network/dns/simulated/simulated-dns.entity';
import { SimulatedSnapshot } from '../../activities/hypervisor/simulated/simulated-snapshot.entity';
import { SimulatedVm } from '../../activities/hypervisor/simulated/simulated-vm.entity';
import { forkEm, type Orm } from '../../libs/db/orm';
import { HostKey, NetworkConfig, Service, Site, SiteBackup, Vm } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { type SiteState, siteStateQuery } from '../../workflows/site.messages';
import { type BerthStack } from './berth';

export type TestServerMutation =
  | 'createTestServer'
  | 'restoreBackup'
  | 'switchTestServer'
  | 'deleteTestServer'
  | 'backUpSite'
  | 'upgradeSite'
  | 'approveSiteUpgrade'
  | 'cancelSiteUpgrade';

export interface TestServerAnswer {
  __typename: string;
  operation?: { id: string; kind: string };
  code?: string;
  message?: string;
}

/** Sends one of the test-server mutations and returns its typed answer. */
export async function testServerMutation(
  berth: BerthStack,
  name: TestServerMutation,
  input: Record<string, unknown>,
): Promise<TestServerAnswer> {
  const inputType = name === 'restoreBackup' ? 'RestoreBackupInput' : 'SiteChangeInput';
  const response = await berth.graphql<{ result: TestServerAnswer }>(
    `mutation Change($input: ${inputType}!) {
      result: ${name}(input: $input) {
        __typename
        ... on SiteOperationPayload { operation { id kind } }
        ... on UserError { code message }
      }
    }`,
    { input },
  );
  if (!response.data) throw new Error(JSON.stringify(response.errors));
  return response.data.result;
}

/** What the site workflow itself holds: its servers and any waiting upgrade. */
export function siteState(berth: BerthStack, siteId: string): Promise<SiteState> {
  return berth.temporal.workflow.getHandle(siteWorkflowId(siteId)).query(siteStateQuery);
}

/**
 * Everything a site has across the records, the simulated hypervisor and the simulated DNS: what
 * a failed operation must leave exactly as it found it. Held addresses are listed apart: a
 * released address is held for a while on purpose, but by no server.
 */
export async function siteFootprint(orm: Orm, siteId: string) {
  const em = forkEm(orm);
  const vms = await em.find(Vm, { siteId }, { orderBy: { id: 'asc' } });
  const vmIds = vms.map((vm) => vm.id);
  const networks = await em.find(NetworkConfig, { siteId }, { orderBy: { hostname: 'asc' } });
  const allocated = networks.filter((row) => row.state === 'allocated');
  // Held names too: a record or machine left under a released name is a leak.
  const names = networks.map((row) => row.hostname);
  const simulated = await em.find(SimulatedVm, {}, { orderBy: { vmId: 'asc' } });
  const dns = await em.find(SimulatedDnsRecordSet, {}, { orderBy: { id: 'asc' } });
  const addresses = new Set(networks.flatMap((row) => [row.ipv4, row.ipv6]));
  return {
    status: (await em.findOneOrFail(Site, siteId)).status,
    vms: vms.map((vm) => ({ id: vm.id, service: vm.service, image: vm.image, status: vm.status })),
    services: (await em.find(Service, { siteId }, { orderBy: { kind: 'asc' } })).map((service) => ({
      kind: service.kind,
      vmId: service.vmId,
    })),
    addresses: allocated.map((row) => ({
      hostname: row.hostname,
      vmId: row.vmId,
      ipv4: row.ipv4,
      ipv6: row.ipv6,
    })),
    // Keys of every server the site ever had an address for, not only those still recorded.
    hostKeys: (
      await em.find(HostKey, { vmId: { $in: [...new Set(networks.map((row) => row.vmId))] } })
    ).length,
    // The simulated hypervisor's machines of this site's names, and any of its VMs it lost.
    machines: simulated
      .filter((vm) => names.includes(vm.hostname) || vmIds.includes(vm.vmId))
      .map((vm) => ({
        vmId: vm.vmId,
        hostname: vm.hostname,
        ipv4: vm.ipv4,
        powerState: vm.powerState,
      })),
    strayMachines: simulated.filter(
      (vm) => !vmIds.includes(vm.vmId) && networks.some((row) => row.vmId === vm.vmId),
    ).length,
    snapshots: (await em.find(SimulatedSnapshot, { vmId: { $in: vmIds } }))
      .map((row) => `${row.vmId}/${row.name}`)
      .sort(),
    backups: (await em.find(SiteBackup, { siteId })).map((row) => `${row.vmId}/${row.name}`).sort(),
    // Record sets naming the site's servers or their addresses (PTRs hold the names).
    dns: dns
      .filter(
        (set) =>
          names.some(
            (name) => set.name === name || set.records.some((record) => record.includes(name)),
          ) || [...addresses].some((address) => set.records.includes(address)),
      )
      .map((set) => `${set.id} ${[...set.records].sort().join(' ')}`),
  };
}
