import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { AnsibleActivities } from '../activities/ansible/activities';
import type { HypervisorActivities } from '../activities/hypervisor/activities';
import type { NetworkActivities } from '../activities/network/activities';
import type { RecordsActivities } from '../activities/records/activities';
import { searchAttributes } from '../libs/temporal/names';
import { configurationRun, databaseCalls, hypervisorCall, installWait } from './activity-options';

export interface ProvisionVmInput {
  /** Null when building for the warm pool. */
  siteId: string | null;
  vmId: string;
  /** The operation to report progress on; null for pool builds. */
  operationId: string | null;
  /** The OS image; the default image when absent. */
  image?: string;
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
 * Builds one server, for a site or for the warm pool: addresses, VM, OS install (waiting for the installer's callback),
 * configuration. Runs as `provision/<vmId>`; every step is an idempotent activity, so a worker
 * lost at any point resumes without a second VM or address.
 */
export async function provisionVm(input: ProvisionVmInput): Promise<ProvisionVmResult> {
  const records = databaseCalls<RecordsActivities>();
  const network = databaseCalls<NetworkActivities>();
  const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
  const install = proxyActivities<HypervisorActivities>(installWait(input.installTimeoutSeconds));
  const ansible = proxyActivities<AnsibleActivities>(configurationRun);
  const { vmId, siteId, operationId } = input;
  const progress = async (value: number, step: string) => {
    if (operationId !== null) await records.reportProgress({ operationId, progress: value, step });
  };

  await progress(10, 'allocating addresses');
  const addresses = await network.allocateNetwork({
    vmId,
    siteId,
    hostnameLabel: input.hostnameLabel,
  });
  upsertSearchAttributes([{ key: searchAttributes.hostname, value: addresses.hostname }]);
  await records.recordVm({ vmId, siteId, ...input.size, image: input.image });

  await progress(25, 'creating server');
  // `host` is absent from results recorded before hosts were tracked: undefined leaves it unset.
  const { ref, host } = await hypervisor.createVm({ vmId, siteId, ...addresses, ...input.size });
  await records.setVmStatus({
    vmId,
    status: 'installing',
    hypervisorRef: ref,
    host,
    summary: `server ${addresses.hostname} created as ${ref}`,
  });

  await progress(40, 'installing operating system');
  const { installedAt } = await install.awaitInstallCallback({ vmId });
  // The install is reported: its secret need not stay readable on the VM (guestinfo).
  if (patched('forget-callback-token')) await hypervisor.forgetCallback({ vmId });
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
  if (siteId === null) {
    // A pool VM waits powered off until a site claims it.
    await hypervisor.powerVm({ vmId, action: 'off' });
    await records.setVmPowerState({ vmId, powerState: 'poweredOff' });
    await records.setVmStatus({ vmId, status: 'pooled', summary: 'ready in the warm pool' });
  }
  return { vmId, ...addresses };
}
