import {
  CancellationScope,
  log,
  patched,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { HostKeyActivities } from '../activities/keys/activities';
import type { DnsActivities } from '../activities/network/dns-activities';
import type { AnsibleActivities } from '../activities/ansible/activities';
import type { HypervisorActivities } from '../activities/hypervisor/activities';
import type { NetworkActivities } from '../activities/network/activities';
import type { RecordsActivities } from '../activities/records/activities';
import { describeFailure } from '../libs/failures';
import { searchAttributes } from '../libs/temporal/names';
import {
  configurationCalls,
  databaseCalls,
  dnsCall,
  hypervisorCall,
  installWait,
  quickCall,
} from './activity-options';

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
  // Since this patch a build publishes DNS and host keys first, and undoes what it did when a
  // later step fails; histories from before it replay without either.
  const withDns = patched(networkDnsKeysPatch);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    return await build(input, withDns, undo);
  } catch (error) {
    if (!withDns) throw error;
    // Compensations, newest first, each idempotent; they run even when the build was cancelled.
    await CancellationScope.nonCancellable(async () => {
      for (const step of undo) {
        try {
          await step();
        } catch (undoError) {
          // The others still run; what is left over is in the log, and reconciliation finds
          // records left in DNS.
          log.warn('a compensation of a failed build failed', {
            vmId: input.vmId,
            error: describeFailure(undoError),
          });
        }
      }
    });
    throw error;
  }
}

/** The patch that added host keys, DNS records and compensations to a build. */
export const networkDnsKeysPatch = 'network-dns-keys';

async function build(
  input: ProvisionVmInput,
  withDns: boolean,
  undo: (() => Promise<unknown>)[],
): Promise<ProvisionVmResult> {
  const records = databaseCalls<RecordsActivities>();
  const network = databaseCalls<NetworkActivities>();
  const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
  const install = proxyActivities<HypervisorActivities>(installWait(input.installTimeoutSeconds));
  const keys = proxyActivities<HostKeyActivities>(quickCall);
  const dns = proxyActivities<DnsActivities>(dnsCall);
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
  undo.unshift(() => network.releaseNetwork({ vmId }));
  upsertSearchAttributes([{ key: searchAttributes.hostname, value: addresses.hostname }]);
  if (withDns) {
    // Keys before the VM, so SSHFP records are in signed DNS before the server first answers.
    await progress(15, 'publishing DNS');
    await keys.prepareHostKeys({ vmId });
    undo.unshift(() => keys.forgetHostKeys({ vmId }));
    await dns.publishServerDns({ vmId });
    undo.unshift(() => dns.removeServerDns({ vmId }));
  }
  await records.recordVm({ vmId, siteId, ...input.size, image: input.image });
  undo.unshift(() => records.forgetServer({ vmId }));

  await progress(25, 'creating server');
  // Undone before the VM exists: destroying a VM that was never made succeeds.
  undo.unshift(() => hypervisor.destroyVm({ vmId }));
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
  const run = await configurationCalls<AnsibleActivities>().configureServer({
    vmId,
    siteId,
    ...addresses,
    operationId,
  });
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
