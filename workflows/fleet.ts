import {
  ApplicationFailure,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { FleetActivities, HostVm } from '../activities/fleet/activities';
import type { RecordsActivities } from '../activities/records/activities';
import { describeFailure } from '../libs/failures';
import { hostFailoverWorkflowId, searchAttributes } from '../libs/temporal/names';
import { databaseCalls, hypervisorCall } from './activity-options';

export interface FleetOperationInput {
  operationId: string;
  /** Who asked (an operator's user id, or `system` for failover). */
  actor: string;
}

/** VMs moved at once during an evacuation: enough to be quick, few enough to spare the network. */
const parallelMoves = 4;
/** An evacuation lists the host again after each round, for VMs placed there meanwhile. */
const maxRounds = 5;

/**
 * Evacuates a host: live-migrates every Berth VM on it to the best other host, then puts it in
 * maintenance mode. Runs as `host-evacuation/<host>`; every step is idempotent (a VM already
 * moved is not moved again), so a worker lost halfway resumes where it was.
 */
export async function evacuateHost(input: FleetOperationInput & { host: string }): Promise<void> {
  const { operationId, host } = input;
  await asOperation(operationId, async (records, fleet) => {
    let moved = 0;
    for (let round = 1; ; round++) {
      await records.reportProgress({
        operationId,
        progress: 2,
        step: `listing the VMs on ${host}`,
      });
      const vms = await fleet.listHostVms({ host });
      if (vms.length === 0) break;
      if (round > maxRounds) {
        throw ApplicationFailure.create({
          type: 'HypervisorBusy',
          message: `${vms.length} VMs were still placed on ${host} after ${maxRounds} rounds`,
          nonRetryable: true,
        });
      }
      const total = moved + vms.length;
      for (let i = 0; i < vms.length; i += parallelMoves) {
        await Promise.all(
          vms.slice(i, i + parallelMoves).map(async (vm) => {
            await moveOne(fleet, input, vm, [host]);
            moved++;
            await records.reportProgress({
              operationId,
              progress: 5 + Math.floor((85 * moved) / total),
              step: `moved ${moved} of ${total} VMs off ${host}`,
            });
          }),
        );
      }
    }
    await records.reportProgress({
      operationId,
      progress: 95,
      step: `entering maintenance on ${host}`,
    });
    await fleet.setMaintenance({ host, on: true });
  });
}

/** Takes a host out of maintenance mode, so that it takes VMs again. */
export async function returnHostToService(
  input: FleetOperationInput & { host: string },
): Promise<void> {
  await asOperation(input.operationId, async (records, fleet) => {
    await records.reportProgress({
      operationId: input.operationId,
      progress: 10,
      step: `leaving maintenance on ${input.host}`,
    });
    await fleet.setMaintenance({ host: input.host, on: false });
  });
}

/** Live-migrates one VM to a named host. */
export async function moveVm(
  input: FleetOperationInput & { vmId: string; host: string },
): Promise<void> {
  await asOperation(input.operationId, async (records, fleet) => {
    await records.reportProgress({
      operationId: input.operationId,
      progress: 10,
      step: `moving server ${input.vmId} to ${input.host}`,
    });
    const { host } = await fleet.migrateVm({ vmId: input.vmId, host: input.host });
    await fleet.recordVmHost({
      vmId: input.vmId,
      host,
      operationId: input.operationId,
      actor: input.actor,
    });
  });
}

async function moveOne(
  fleet: FleetActivities,
  input: FleetOperationInput,
  vm: HostVm,
  exclude: string[],
): Promise<void> {
  const target = await fleet.chooseHost({ vmId: vm.vmId, exclude });
  const { host } = await fleet.migrateVm({ vmId: vm.vmId, host: target });
  await fleet.recordVmHost({
    vmId: vm.vmId,
    host,
    operationId: input.operationId,
    actor: input.actor,
  });
}

/**
 * Runs a fleet operation's work and ends its Operation row: succeeded, or failed with the
 * failure's type and message; a failure also fails the workflow, so it shows in the Temporal UI.
 */
async function asOperation(
  operationId: string,
  work: (records: RecordsActivities, fleet: FleetActivities) => Promise<void>,
): Promise<void> {
  const records = databaseCalls<RecordsActivities>();
  const fleet = proxyActivities<FleetActivities>(hypervisorCall);
  try {
    await work(records, fleet);
    // The hosts query shows the result (maintenance, VM counts) at once, not at the next watch.
    await fleet.syncHosts();
  } catch (error) {
    await records.finishOperation({ operationId, status: 'failed', error: describeFailure(error) });
    throw error;
  }
  await records.finishOperation({ operationId, status: 'succeeded' });
}

/**
 * Reads the hosts' state and capacity into the read model; run by the `host-watch` schedule.
 * A host found lost (connected when last read, not now) gets a failover, one per host at a time.
 */
export async function watchHosts(): Promise<{ hosts: number; lost: string[] }> {
  const fleet = proxyActivities<FleetActivities>(hypervisorCall);
  const { hosts, lost } = await fleet.syncHosts();
  for (const host of lost) {
    try {
      await startChild(failoverHost, {
        workflowId: hostFailoverWorkflowId(host),
        args: [{ host }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [{ key: searchAttributes.hypervisorHost, value: host }],
      });
    } catch (error) {
      // Already failing over: that run takes every VM the read model has on the host.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return { hosts: hosts.length, lost };
}

/**
 * Failover of a lost host: every VM the read model has on it is moved to the best healthy host
 * and started there, and its site's people are told (audit event and queued notification). Runs
 * as `host-failover/<host>` with an Operation of its own; idempotent per VM, like an evacuation.
 */
export async function failoverHost(input: { host: string }): Promise<void> {
  const operationId = uuid4();
  const fleet = proxyActivities<FleetActivities>(hypervisorCall);
  await fleet.openFleetOperation({
    operationId,
    kind: 'failover-host',
    target: input.host,
    workflowId: workflowInfo().workflowId,
  });
  await asOperation(operationId, async (records) => {
    const vms = await fleet.listRecordedHostVms({ host: input.host });
    let done = 0;
    for (let i = 0; i < vms.length; i += parallelMoves) {
      await Promise.all(
        vms.slice(i, i + parallelMoves).map(async (vm) => {
          const to = await fleet.chooseHost({ vmId: vm.vmId, exclude: [input.host] });
          const { host } = await fleet.migrateVm({ vmId: vm.vmId, host: to });
          await fleet.recordVmHost({ vmId: vm.vmId, host, operationId, actor: 'system' });
          await fleet.restartAndNotify({ vmId: vm.vmId, from: input.host, to: host, operationId });
          done++;
          await records.reportProgress({
            operationId,
            progress: 5 + Math.floor((90 * done) / vms.length),
            step: `restarted ${done} of ${vms.length} VMs of ${input.host}`,
          });
        }),
      );
    }
  });
}
