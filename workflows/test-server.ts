import { CancellationScope, log, proxyActivities } from '@temporalio/workflow';
import type { AnsibleActivities } from '../activities/ansible/activities';
import type { HypervisorActivities } from '../activities/hypervisor/activities';
import type { HostKeyActivities } from '../activities/keys/activities';
import type { DnsActivities } from '../activities/network/dns-activities';
import type { NetworkActivities } from '../activities/network/activities';
import type { RecordsActivities } from '../activities/records/activities';
import type { TestServerActivities } from '../activities/test-servers/activities';
import { describeFailure } from '../libs/failures';
import {
  configurationCalls,
  databaseCalls,
  dnsCall,
  hypervisorCall,
  quickCall,
} from './activity-options';
import { type ServerIdentity } from './site.messages';

/** What has to be undone if a later step fails, newest first. */
type Undo = (() => Promise<unknown>)[];

/**
 * Runs `work`; if it fails, runs the compensations it registered, newest first, each even when
 * the workflow is being cancelled, and rethrows. A compensation that fails is logged and the
 * others still run: each is idempotent, so running the operation's undo again finishes the job.
 */
async function saga<T>(name: string, work: (undo: Undo) => Promise<T>): Promise<T> {
  const undo: Undo = [];
  try {
    return await work(undo);
  } catch (error) {
    await CancellationScope.nonCancellable(async () => {
      for (const step of undo) {
        try {
          await step();
        } catch (undoError) {
          log.warn(`a compensation of ${name} failed`, { error: describeFailure(undoError) });
        }
      }
    });
    throw error;
  }
}

export interface CloneServerInput {
  siteId: string;
  /** The server to copy: production, or the server a backup was taken of. */
  sourceVmId: string;
  vmId: string;
  /** Copy the source as it was at this snapshot (a nightly backup) instead of as it is. */
  fromSnapshot: string | null;
  /** The operation to report progress on. */
  operationId: string | null;
}

/**
 * Makes a site's test server, `clone/<vmId>`: new addresses and host name, DNS, a record, a copy
 * of the source VM's disks under its own identity, then a configuration run. Each step registers
 * its compensation before the next starts, so a failure anywhere leaves no address, record, DNS
 * entry or VM behind.
 */
export async function cloneServer(input: CloneServerInput): Promise<ServerIdentity> {
  const records = databaseCalls<RecordsActivities>();
  const network = databaseCalls<NetworkActivities>();
  const servers = databaseCalls<TestServerActivities>();
  const keys = proxyActivities<HostKeyActivities>(quickCall);
  const dns = proxyActivities<DnsActivities>(dnsCall);
  const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
  const { vmId, siteId, operationId } = input;
  const progress = async (value: number, step: string) => {
    if (operationId !== null) await records.reportProgress({ operationId, progress: value, step });
  };

  // Each compensation is registered before its step runs: a step can take effect and still
  // fail (its answer lost), and undoing a step that never took effect succeeds.
  return saga('a clone', async (undo) => {
    await progress(10, 'allocating addresses');
    undo.unshift(() => network.releaseNetwork({ vmId }));
    const addresses = await network.allocateNetwork({ vmId, siteId, hostnameLabel: null });

    await progress(20, 'publishing DNS');
    // The clone's disk holds the source's host keys: its SSHFP records are theirs.
    undo.unshift(() => keys.forgetHostKeys({ vmId }));
    await keys.copyHostKeys({ fromVmId: input.sourceVmId, toVmId: vmId });
    undo.unshift(() => dns.removeServerDns({ vmId }));
    await dns.publishServerDns({ vmId });

    undo.unshift(() => records.forgetServer({ vmId }));
    await servers.recordTestServer({ siteId, vmId, sourceVmId: input.sourceVmId });

    await progress(35, input.fromSnapshot ? `copying backup ${input.fromSnapshot}` : 'copying');
    undo.unshift(() => hypervisor.destroyVm({ vmId }));
    const { ref, host } = await hypervisor.cloneVm({
      sourceVmId: input.sourceVmId,
      vmId,
      siteId,
      ...addresses,
      ...(input.fromSnapshot ? { fromSnapshot: input.fromSnapshot } : {}),
    });
    await records.setVmStatus({
      vmId,
      status: 'configuring',
      hypervisorRef: ref,
      host,
      summary: `test server ${addresses.hostname} copied from ${input.sourceVmId} as ${ref}`,
    });

    await progress(70, 'configuring the test server');
    const run = await configurationCalls<AnsibleActivities>().configureServer({
      vmId,
      siteId,
      hostname: addresses.hostname,
      ipv4: addresses.ipv4,
      ipv6: addresses.ipv6,
      operationId,
    });
    await records.setVmStatus({
      vmId,
      status: 'ready',
      summary: `test server configured: ${run.ok} tasks ok, ${run.changed} changed`,
    });
    return { vmId, hostname: addresses.hostname, ipv4: addresses.ipv4, ipv6: addresses.ipv6 };
  });
}

export interface SwitchServersInput {
  siteId: string;
  production: ServerIdentity;
  test: ServerIdentity;
  operationId: string | null;
}

/**
 * Swaps a site's test server and production, `switch/<operationId>`: the test server takes
 * production's host name and addresses (and so its DNS names), and the old production server
 * becomes the test server under the test server's. Steps: the records, each guest's identity,
 * DNS (the SSHFP records follow the keys of the server now behind each name), a reboot of both so
 * the guests take their new addresses, and a configuration run of each.
 *
 * Each step changes one part of one assignment, and none can be undone alone in the right order
 * (DNS is published from the records, so the records must be back first): the compensation
 * restores, in order, every part the steps reached so far.
 */
export async function switchServers(
  input: SwitchServersInput,
): Promise<{ production: ServerIdentity; test: ServerIdentity }> {
  const servers = databaseCalls<TestServerActivities>();
  // setGuestIdentity calls the hypervisor (and heartbeats): a scheduled activity, not a local one.
  const guests = proxyActivities<TestServerActivities>(hypervisorCall);
  const records = databaseCalls<RecordsActivities>();
  const dns = proxyActivities<DnsActivities>(dnsCall);
  const hypervisor = proxyActivities<HypervisorActivities>(hypervisorCall);
  const configure = configurationCalls<AnsibleActivities>();
  const { siteId, production: oldProduction, test: oldTest, operationId } = input;
  const progress = async (value: number, step: string) => {
    if (operationId !== null) await records.reportProgress({ operationId, progress: value, step });
  };
  // The addresses go with the names: the servers change places under them.
  const production: ServerIdentity = { ...oldProduction, vmId: oldTest.vmId };
  const test: ServerIdentity = { ...oldTest, vmId: oldProduction.vmId };
  const assignment = (p: ServerIdentity, t: ServerIdentity) => ({
    siteId,
    production: { vmId: p.vmId, hostname: p.hostname },
    test: { vmId: t.vmId, hostname: t.hostname },
  });

  /** The steps that put a production and a test server where they belong, in order. */
  const stepsFor = (p: ServerIdentity, t: ServerIdentity) => {
    const both = [p.vmId, t.vmId];
    const steps: { progress: number; step: string; run: () => Promise<void> }[] = [
      {
        progress: 15,
        step: 'swapping the records',
        run: async () => {
          await servers.assignServers(assignment(p, t));
        },
      },
      {
        progress: 30,
        step: 'giving each server its new name and addresses',
        run: async () => {
          for (const vmId of both) await guests.setGuestIdentity({ vmId });
        },
      },
      {
        progress: 45,
        step: 'publishing DNS',
        run: async () => {
          for (const vmId of both) await dns.publishServerDns({ vmId });
        },
      },
      {
        progress: 60,
        step: 'rebooting both servers',
        run: async () => {
          for (const vmId of both) {
            const { powerState } = await hypervisor.powerVm({ vmId, action: 'reboot' });
            await records.setVmPowerState({ vmId, powerState });
          }
        },
      },
      {
        progress: 75,
        step: 'configuring both servers',
        run: async () => {
          for (const server of [p, t]) {
            await configure.configureServer({ ...server, siteId, operationId });
          }
        },
      },
    ];
    return steps;
  };

  return saga('a switch', async (undo) => {
    let reached = 0;
    // The same steps for the servers as they were, as far as the switch got, in order.
    undo.unshift(async () => {
      for (const { run } of stepsFor(oldProduction, oldTest).slice(0, reached)) await run();
    });
    for (const { progress: value, step, run } of stepsFor(production, test)) {
      await progress(value, step);
      // Counted before the step runs: a step that fails part way is undone too.
      reached++;
      await run();
    }
    return { production, test };
  });
}
