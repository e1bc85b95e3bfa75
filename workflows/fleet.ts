import {
  ApplicationFailure,
  CancellationScope,
  log,
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
        const batch = await placeBatch(fleet, vms.slice(i, i + parallelMoves), [host]);
        await Promise.all(
          batch.map(async ({ vm, target }) => {
            await moveOne(fleet, input, vm, target);
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

/**
 * Chooses a target for each VM of a batch, one after another, counting the memory the batch
 * already promised to each host, so that moves running together do not all pick the same one.
 */
async function placeBatch(
  fleet: FleetActivities,
  vms: HostVm[],
  exclude: string[],
): Promise<{ vm: HostVm; target: string }[]> {
  const reservedMb: Record<string, number> = {};
  const placed: { vm: HostVm; target: string }[] = [];
  for (const vm of vms) {
    const target = await fleet.chooseHost({ vmId: vm.vmId, exclude, reservedMb });
    reservedMb[target] = (reservedMb[target] ?? 0) + vm.memoryMb;
    placed.push({ vm, target });
  }
  return placed;
}

async function moveOne(
  fleet: FleetActivities,
  input: FleetOperationInput,
  vm: HostVm,
  target: string,
): Promise<void> {
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
  // The Operation row is finished even when the workflow is being cancelled.
  const finish = (outcome: Parameters<RecordsActivities['finishOperation']>[0]) =>
    CancellationScope.nonCancellable(() => records.finishOperation(outcome));
  try {
    await work(records, fleet);
  } catch (error) {
    await finish({ operationId, status: 'failed', error: describeFailure(error) });
    throw error;
  }
  await finish({ operationId, status: 'succeeded' });
  // The hosts query shows the result (maintenance, VM counts) at once rather than at the next
  // watch; a failure here changes nothing about the operation, which is done.
  await fleet.syncHosts().catch((error: unknown) => {
    log.warn('reading the hosts after a fleet operation failed', { error: describeFailure(error) });
  });
}

/**
 * Reads the hosts' state and capacity into the read model; run by the `host-watch` schedule.
 * A lost host (not connected, with Berth VMs still recorded on it) gets a failover, one per host
 * at a time.
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
    const failures: string[] = [];
    for (let i = 0; i < vms.length; i += parallelMoves) {
      const batch = await placeBatch(fleet, vms.slice(i, i + parallelMoves), [input.host]);
      // One VM that cannot be restarted does not keep the others down.
      const results = await Promise.allSettled(
        batch.map(async ({ vm, target: to }) => {
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
      results.forEach((result, index) => {
        if (result.status === 'rejected') {
          failures.push(`${batch[index]!.vm.vmId}: ${describeFailure(result.reason)}`);
        }
      });
    }
    if (failures.length > 0) {
      throw ApplicationFailure.create({
        type: 'HypervisorUnavailable',
        message:
          `${failures.length} of ${vms.length} VMs were not restarted: ${failures.join('; ')}`.slice(
            0,
            480,
          ),
        nonRetryable: true,
      });
    }
  });
}
