import { Context } from '@temporalio/activity';
import { type Orm, forkEm } from '../../libs/db/orm';
import { HypervisorHostRow, Notification, Operation, Site, SiteEvent, Vm } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { hypervisorFailure, siteVmHosts } from '../hypervisor/activities';
import { bestHost } from '../hypervisor/placement';
import { queueNotification } from '../notify/queue';
import { type Hypervisor, type HypervisorHost } from '../hypervisor/port';

/** Well inside the 30-second heartbeat timeout of hypervisor calls. */
const heartbeatEveryMs = 10_000;

export interface HostVm {
  vmId: string;
  /** Null for a warm-pool VM. */
  siteId: string | null;
  memoryMb: number;
}

/**
 * The activities of fleet operations (evacuation, migration, maintenance): what runs where,
 * where a VM should go, moving it, and recording where it went. Each is idempotent: a move to
 * where the VM already is changes nothing, and its audit event is written once per operation.
 */
export function createFleetActivities(deps: { hypervisor: Hypervisor; orm: Orm }) {
  const { hypervisor } = deps;

  async function call<T>(what: string, work: (alive: () => void) => Promise<T>): Promise<T> {
    const context = Context.current();
    const alive = () => context.heartbeat();
    alive();
    // One hypervisor call can outlast the heartbeat timeout without any task progress to report.
    const timer = setInterval(alive, heartbeatEveryMs);
    try {
      return await work(alive);
    } catch (error) {
      throw hypervisorFailure(what, error);
    } finally {
      clearInterval(timer);
    }
  }

  /** Berth's VMs on a host, as the hypervisor sees them, with their sites from the read model. */
  async function listHostVms(input: { host: string }): Promise<HostVm[]> {
    const vms = await call(`listing the VMs of ${input.host}`, () =>
      hypervisor.listVms(input.host),
    );
    const rows = await forkEm(deps.orm).find(Vm, { id: { $in: vms.map((vm) => vm.vmId) } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return vms
      .map((vm) => ({
        vmId: vm.vmId,
        siteId: byId.get(vm.vmId)?.siteId ?? null,
        memoryMb: vm.memoryMb ?? byId.get(vm.vmId)?.memoryMb ?? 0,
      }))
      .sort((a, b) => a.vmId.localeCompare(b.vmId));
  }

  async function listHosts(): Promise<HypervisorHost[]> {
    return call('listing hosts', () => hypervisor.listHosts());
  }

  /**
   * Where a VM should go: a connected host outside maintenance, not excluded, with room for it;
   * hosts that already run another VM of the same site come last (a site's production and test
   * servers apart), then the one with the most free memory.
   */
  async function chooseHost(input: {
    vmId: string;
    exclude: string[];
    /** Memory already promised to moves under way, by host: parallel moves do not all pick one. */
    reservedMb?: Record<string, number>;
  }): Promise<string> {
    const vm = await forkEm(deps.orm).findOne(Vm, input.vmId);
    const memoryMb = vm?.memoryMb ?? 0;
    const best = bestHost(await listHosts(), {
      memoryMb,
      avoid: vm?.siteId ? await siteVmHosts(deps.orm, vm.siteId, vm.id) : [],
      exclude: input.exclude,
      reservedMb: input.reservedMb,
    });
    if (!best) {
      throw failure('NoCapacity', `no host can take server ${input.vmId} (${memoryMb} MB)`);
    }
    return best.name;
  }

  /** Live-migrates a VM; when it is already on the host, nothing happens. */
  async function migrateVm(input: { vmId: string; host: string }): Promise<{ host: string }> {
    const vm = await call(`moving server ${input.vmId} to ${input.host}`, (alive) =>
      hypervisor.relocateVm(input.vmId, input.host, alive),
    );
    return { host: vm.host ?? input.host };
  }

  /** Records where a VM runs now, with one audit event on its site per operation. */
  async function recordVmHost(input: {
    vmId: string;
    host: string;
    operationId: string;
    actor: string;
  }): Promise<void> {
    await forkEm(deps.orm).transactional(async (em) => {
      const vm = await em.findOne(Vm, input.vmId);
      if (!vm) return;
      const from = vm.host;
      vm.host = input.host;
      if (vm.siteId === null) return;
      const dedupeKey = `migrate/${input.operationId}/${input.vmId}`;
      if (await em.findOne(SiteEvent, { dedupeKey })) return;
      const { workflowExecution } = Context.current().info;
      em.persist(
        new SiteEvent({
          siteId: vm.siteId,
          actor: input.actor,
          action: 'vm.migrated',
          summary: `server moved ${from ? `from ${from} ` : ''}to ${input.host}`,
          workflowId: workflowExecution?.workflowId ?? null,
          runId: workflowExecution?.runId ?? null,
          dedupeKey,
        }),
      );
    });
  }

  async function setMaintenance(input: { host: string; on: boolean }): Promise<void> {
    await call(`${input.on ? 'entering' : 'leaving'} maintenance on ${input.host}`, (alive) =>
      input.on
        ? hypervisor.enterMaintenance(input.host, alive)
        : hypervisor.exitMaintenance(input.host, alive),
    );
  }

  /**
   * Reads every host from the hypervisor into the read model (the api's `hosts` query) and
   * returns them; hosts the hypervisor no longer lists are removed.
   */
  async function syncHosts(): Promise<{ hosts: HypervisorHost[]; lost: string[] }> {
    // A read that started earlier never overwrites one that started later: a slow scheduled
    // watch could otherwise put back the maintenance flag a fleet operation has just cleared.
    const readAt = new Date();
    const hosts = await listHosts();
    // Lost: not connected now, with Berth VMs still recorded on it. Judged from the current
    // state, not from a change since the last read, so a loss that another sync recorded first,
    // or a retry of this one, is still found (the workflow id keeps it to one failover per host
    // at a time). Read before the transaction, whose statements are then all writes: on SQLite a
    // transaction that reads first fails at once (SQLITE_BUSY_SNAPSHOT) when another writer
    // commits before its first write.
    const reader = forkEm(deps.orm);
    const down = hosts.filter((host) => host.connectionState !== 'connected');
    const occupied = down.length
      ? await reader.find(
          Vm,
          { host: { $in: down.map((host) => host.name) } },
          { fields: ['host'], disableIdentityMap: true },
        )
      : [];
    const lost = down
      .map((host) => host.name)
      .filter((name) => occupied.some((vm) => vm.host === name));
    const known = new Set(
      (
        await reader.find(HypervisorHostRow, {}, { fields: ['name'], disableIdentityMap: true })
      ).map((row) => row.name),
    );
    await forkEm(deps.orm).transactional(async (em) => {
      for (const host of hosts) {
        const fields = {
          connectionState: host.connectionState,
          inMaintenanceMode: host.inMaintenanceMode,
          cpuCores: host.cpuCores,
          cpuMhz: host.cpuMhz,
          cpuUsedMhz: host.cpuUsedMhz,
          memoryMb: host.memoryMb,
          memoryUsedMb: host.memoryUsedMb,
          vmCount: host.vmCount,
          seenAt: readAt,
        };
        if (known.has(host.name)) {
          await em.nativeUpdate(
            HypervisorHostRow,
            { name: host.name, seenAt: { $lt: readAt } },
            fields,
          );
        } else {
          await em.upsertMany(HypervisorHostRow, [{ name: host.name, ...fields }]);
        }
      }
      await em.nativeDelete(HypervisorHostRow, {
        name: { $nin: hosts.map((host) => host.name) },
        seenAt: { $lt: readAt },
      });
    });
    return { hosts, lost };
  }

  /** Opens the Operation of a fleet operation Berth starts itself (failover); idempotent. */
  async function openFleetOperation(input: {
    operationId: string;
    kind: 'failover-host';
    target: string;
    workflowId: string;
  }): Promise<void> {
    const em = forkEm(deps.orm);
    if (await em.findOne(Operation, input.operationId)) return;
    await em.persistAndFlush(
      new Operation({
        id: input.operationId,
        siteId: null,
        target: input.target,
        kind: input.kind,
        workflowId: input.workflowId,
        requestedBy: 'system',
      }),
    );
  }

  /** Berth's VMs on a host by the read model: a lost host cannot be asked what it runs. */
  async function listRecordedHostVms(input: { host: string }): Promise<HostVm[]> {
    const vms = await forkEm(deps.orm).find(Vm, { host: input.host }, { orderBy: { id: 'asc' } });
    return vms.map((vm) => ({ vmId: vm.id, siteId: vm.siteId, memoryMb: vm.memoryMb }));
  }

  /**
   * Starts a failed-over VM on its new host (a no-op when it runs), and tells its site's people:
   * an audit event and a queued notification, once per operation.
   */
  async function restartAndNotify(input: {
    vmId: string;
    from: string;
    to: string;
    operationId: string;
  }): Promise<void> {
    // Only what was running runs again: disabled or suspended sites and pool VMs stay off.
    const recorded = await forkEm(deps.orm).findOne(Vm, input.vmId);
    if (recorded?.powerState === 'poweredOn') {
      await call(`starting server ${input.vmId} on ${input.to}`, (alive) =>
        hypervisor.power(input.vmId, 'on', alive),
      );
    }
    await forkEm(deps.orm).transactional(async (em) => {
      const vm = await em.findOne(Vm, input.vmId);
      if (!vm?.siteId) return;
      const site = await em.findOne(Site, vm.siteId);
      if (!site) return;
      const dedupeKey = `failover/${input.operationId}/${input.vmId}`;
      if (await em.findOne(Notification, { dedupeKey })) return;
      const summary = `host ${input.from} was lost; the server was restarted on ${input.to}`;
      const { workflowExecution } = Context.current().info;
      em.persist(
        new SiteEvent({
          siteId: site.id,
          actor: 'system',
          action: 'vm.failed-over',
          summary,
          workflowId: workflowExecution?.workflowId ?? null,
          runId: workflowExecution?.runId ?? null,
          dedupeKey,
        }),
      );
      await queueNotification(em, {
        kind: 'host-failover',
        siteId: site.id,
        params: { siteName: site.name, from: input.from, to: input.to },
        dedupeKey,
      });
    });
  }

  return {
    listHostVms,
    listRecordedHostVms,
    listHosts,
    syncHosts,
    openFleetOperation,
    restartAndNotify,
    chooseHost,
    migrateVm,
    recordVmHost,
    setMaintenance,
  };
}

export type FleetActivities = ReturnType<typeof createFleetActivities>;
