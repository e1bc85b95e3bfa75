import { Inject, Injectable } from '@nestjs/common';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { HypervisorHostRow, Operation, type OperationKind, Vm } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import {
  hostEvacuationWorkflowId,
  hostReturnWorkflowId,
  searchAttributes,
  vmMoveWorkflowId,
} from '../../../libs/temporal/names';
import { serviceUnavailable } from '../graphql/graphql-errors';
import { IdempotencyKeyReusedError } from '../graphql/user-error';
import { toOperationModel } from '../sites/site.mapper';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from '../tokens';
import { type HostOperationInput, type MoveVmInput } from './fleet.inputs';
import {
  FleetOperationPayload,
  type FleetOperationResult,
  HostNotFoundError,
  HostUnavailableError,
  NoCapacityError,
  VmBusyError,
  VmNotFoundError,
} from './fleet.payload';
import { type HostConnectionStateEnum, HostModel, HostVmModel } from './host.model';

interface FleetRequest {
  kind: Extract<OperationKind, 'evacuate-host' | 'return-host' | 'migrate-vm'>;
  target: string;
  workflowType: 'evacuateHost' | 'returnHostToService' | 'moveVm';
  workflowId: (operationId: string) => string;
  /** The hypervisor host, for the Temporal UI's BerthHypervisorHost search attribute. */
  host: string;
  args: Record<string, unknown>;
  idempotencyKey: string | null;
}

/**
 * Operators' fleet operations: the hosts as the read model has them, and evacuations, returns to
 * service and VM moves, each an Operation row and a workflow. Requests are checked against the
 * read model first (host known, able to take VMs, room for the VM, nothing else moving it), so a
 * refused request starts nothing.
 */
@Injectable()
export class FleetService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Every host with its VMs: two statements, however many hosts and VMs. */
  async hosts(): Promise<HostModel[]> {
    const em = forkEm(this.orm);
    const rows = await em.find(HypervisorHostRow, {}, { orderBy: { name: 'asc' } });
    const vms = rows.length
      ? await em.find(
          Vm,
          { host: { $in: rows.map((row) => row.name) } },
          { orderBy: { id: 'asc' } },
        )
      : [];
    return rows.map((row) =>
      Object.assign(toHostModel(row), {
        vms: vms
          .filter((vm) => vm.host === row.name)
          .map((vm) =>
            Object.assign(new HostVmModel(), {
              vmId: vm.id,
              siteId: vm.siteId,
              status: vm.status,
              powerState: vm.powerState,
              memoryMb: vm.memoryMb,
            }),
          ),
      }),
    );
  }

  async evacuate(principal: Principal, input: HostOperationInput): Promise<FleetOperationResult> {
    const host = await forkEm(this.orm).findOne(HypervisorHostRow, { name: input.host });
    if (!host) return new HostNotFoundError(`no host ${input.host}`);
    return this.start(principal, {
      kind: 'evacuate-host',
      target: input.host,
      workflowType: 'evacuateHost',
      // One evacuation per host at a time: the workflow id says so.
      workflowId: () => hostEvacuationWorkflowId(input.host),
      host: input.host,
      args: { host: input.host },
      idempotencyKey: input.idempotencyKey ?? null,
    });
  }

  async returnToService(
    principal: Principal,
    input: HostOperationInput,
  ): Promise<FleetOperationResult> {
    const host = await forkEm(this.orm).findOne(HypervisorHostRow, { name: input.host });
    if (!host) return new HostNotFoundError(`no host ${input.host}`);
    return this.start(principal, {
      kind: 'return-host',
      target: input.host,
      workflowType: 'returnHostToService',
      workflowId: hostReturnWorkflowId,
      host: input.host,
      args: { host: input.host },
      idempotencyKey: input.idempotencyKey ?? null,
    });
  }

  async moveVm(principal: Principal, input: MoveVmInput): Promise<FleetOperationResult> {
    const em = forkEm(this.orm);
    const vm = await em.findOne(Vm, { id: input.vmId });
    if (!vm) return new VmNotFoundError(`no server ${input.vmId}`);
    const host = await em.findOne(HypervisorHostRow, { name: input.host });
    if (!host) return new HostNotFoundError(`no host ${input.host}`);
    if (vm.host !== input.host) {
      if (host.connectionState !== 'connected' || host.inMaintenanceMode) {
        return new HostUnavailableError(`host ${input.host} takes no VMs now`);
      }
      if (host.memoryMb - host.memoryUsedMb < vm.memoryMb) {
        return new NoCapacityError(
          `host ${input.host} has ${host.memoryMb - host.memoryUsedMb} MB free; the server needs ${vm.memoryMb}`,
        );
      }
    }
    const busy = await em.findOne(Operation, {
      status: 'running',
      $or: [
        { kind: 'migrate-vm', target: input.vmId },
        ...(vm.host ? [{ kind: 'evacuate-host' as const, target: vm.host }] : []),
      ],
    });
    // A repeat of the running move itself (same key, same operator) is answered below instead.
    const repeat =
      busy !== null &&
      input.idempotencyKey !== undefined &&
      busy.idempotencyKey === input.idempotencyKey &&
      busy.requestedBy === principal.userId;
    if (busy && !repeat) {
      return new VmBusyError(`operation ${busy.id} (${busy.kind}) is moving this server`, 'vmId');
    }
    return this.start(principal, {
      kind: 'migrate-vm',
      target: input.vmId,
      workflowType: 'moveVm',
      workflowId: vmMoveWorkflowId,
      host: input.host,
      args: { vmId: input.vmId, host: input.host },
      idempotencyKey: input.idempotencyKey ?? null,
    });
  }

  /**
   * Writes the operation, then starts its workflow; a repeated idempotency key returns the first
   * operation, and a start that fails removes the row again.
   */
  private async start(principal: Principal, request: FleetRequest): Promise<FleetOperationResult> {
    const em = forkEm(this.orm);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([request.kind, request.args]))
      .digest('hex');
    if (request.idempotencyKey !== null) {
      const existing = await em.findOne(Operation, {
        siteId: null,
        kind: request.kind,
        requestedBy: principal.userId,
        idempotencyKey: request.idempotencyKey,
      });
      if (existing) {
        if (existing.requestFingerprint !== fingerprint) {
          return new IdempotencyKeyReusedError(
            'this idempotency key was used for a different request',
            'idempotencyKey',
          );
        }
        return Object.assign(new FleetOperationPayload(), {
          operation: toOperationModel(existing),
        });
      }
    }
    const id = randomUUID();
    const operation = new Operation({
      id,
      siteId: null,
      target: request.target,
      kind: request.kind,
      workflowId: request.workflowId(id),
      requestedBy: principal.userId,
      idempotencyKey: request.idempotencyKey,
      requestFingerprint: fingerprint,
    });
    await em.persistAndFlush(operation);
    try {
      await this.temporal.workflow.start(request.workflowType, {
        taskQueue: this.config.temporal.taskQueue,
        workflowId: operation.workflowId,
        args: [{ operationId: id, actor: principal.userId, ...request.args }],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [{ key: searchAttributes.hypervisorHost, value: request.host }],
      });
    } catch (error) {
      await forkEm(this.orm).nativeDelete(Operation, { id });
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        return new VmBusyError(`a ${request.kind} of ${request.target} is already running`, 'host');
      }
      this.log.error({ err: error, kind: request.kind }, 'starting a fleet operation failed');
      throw serviceUnavailable('The workflow engine');
    }
    this.log.info(
      { operationId: id, kind: request.kind, target: request.target, actor: principal.userId },
      'fleet operation started',
    );
    return Object.assign(new FleetOperationPayload(), { operation: toOperationModel(operation) });
  }
}

function toHostModel(row: HypervisorHostRow): HostModel {
  return Object.assign(new HostModel(), {
    name: row.name,
    connectionState: row.connectionState as HostConnectionStateEnum,
    inMaintenanceMode: row.inMaintenanceMode,
    cpuCores: row.cpuCores,
    cpuMhz: row.cpuMhz,
    cpuUsedMhz: row.cpuUsedMhz,
    memoryMb: row.memoryMb,
    memoryUsedMb: row.memoryUsedMb,
    memoryFreeMb: Math.max(0, row.memoryMb - row.memoryUsedMb),
    vmCount: row.vmCount,
    seenAt: row.seenAt,
  });
}
