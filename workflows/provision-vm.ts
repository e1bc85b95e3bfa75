import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { AnsibleActivities } from '../activities/ansible/activities';
import type { HypervisorActivities } from '../activities/hypervisor/activities';
import type { NetworkActivities } from '../activities/network/activities';
import type { RecordsActivities } from '../activities/records/activities';
import { searchAttributes } from '../libs/temporal/names';
import { configurationRun, hypervisorCall, installWait, quickCall } from './activity-options';

export interface ProvisionVmInput {
  siteId: string;
  vmId: string;
  operationId: string;
  hostnameLabel: string | null;
  size: { cpus: number; memoryMb: number; diskGb: number };
  installTimeoutSeconds: number;
}

export interface ProvisionVmResult {
  vmId: string;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/**
 * Builds one server: addresses, VM, OS install (waiting for the installer's callback),
 * configuration. Runs as `provision/<vmId>`; every step is an idempotent activity, so a worker
 * lost at any point resumes without a second VM or address.
 */
export async function provisionVm(input: ProvisionVmInput): Promise<ProvisionVmResult> {
  const records = proxyActivities<RecordsActivities>(quickCall);
  const network = proxyActivities<NetworkActivities>(quickCall);
  const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
  const install = proxyActivities<HypervisorActivities>(installWait(input.installTimeoutSeconds));
  const ansible = proxyActivities<AnsibleActivities>(configurationRun);
  const { vmId, siteId, operationId } = input;
  const progress = (value: number, step: string) =>
    records.reportProgress({ operationId, progress: value, step });

  await progress(10, 'allocating addresses');
  const addresses = await network.allocateNetwork({
    vmId,
    siteId,
    hostnameLabel: input.hostnameLabel,
  });
  upsertSearchAttributes([{ key: searchAttributes.hostname, value: addresses.hostname }]);
  await records.recordVm({ vmId, siteId, ...input.size });

  await progress(25, 'creating server');
  const { ref } = await hypervisor.createVm({ vmId, siteId, ...addresses, ...input.size });
  await records.setVmStatus({
    vmId,
    status: 'installing',
    hypervisorRef: ref,
    summary: `server ${addresses.hostname} created as ${ref}`,
  });

  await progress(40, 'installing operating system');
  const { installedAt } = await install.awaitInstallCallback({ vmId });
  await records.setVmStatus({
    vmId,
    status: 'installed',
    summary: `server ${addresses.hostname} installed at ${installedAt}`,
  });

  await progress(70, 'configuring');
  await records.setVmStatus({ vmId, status: 'configuring', summary: 'configuration started' });
  const run = await ansible.configureServer({ vmId, siteId, ...addresses });
  await records.setVmStatus({
    vmId,
    status: 'ready',
    summary: `configured: ${run.ok} tasks ok, ${run.changed} changed`,
  });
  await progress(95, 'configured');
  return { vmId, ...addresses };
}
