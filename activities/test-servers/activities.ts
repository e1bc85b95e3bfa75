import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type Em, forkEm, type Orm } from '../../libs/db/orm';
import { NetworkConfig, Service, Site, Vm } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { heartbeat, hypervisorFailure } from '../hypervisor/activities';
import { type GuestIdentity, type Hypervisor } from '../hypervisor/port';
import { describeAllocation } from '../network/activities';
import { queueNotification } from '../notify/queue';
import { appendOnce, event } from '../records/activities';

/** Which server holds which host name (and so which addresses), and which service it is. */
export interface ServerAssignment {
  siteId: string;
  production: { vmId: string; hostname: string };
  test: { vmId: string; hostname: string };
}

/**
 * The records and hypervisor calls of a site's test server: recording a clone, swapping test and
 * production, the identity a server's guest takes, and the safety snapshot an upgrade of
 * production is made under. Each is idempotent, so the sagas that use them can retry any step and
 * undo it by calling the same activity with the state they started from.
 */
export function createTestServerActivities(deps: { hypervisor: Hypervisor; orm: Orm }) {
  /** Records a clone of `sourceVmId` as the site's test server: its size and image are the source's. */
  async function recordTestServer(input: {
    siteId: string;
    vmId: string;
    sourceVmId: string;
  }): Promise<void> {
    const em = forkEm(deps.orm);
    if (await em.findOne(Vm, input.vmId)) return;
    const source = await em.findOne(Vm, input.sourceVmId);
    if (!source) throw failure('RecordNotFound', `server ${input.sourceVmId} does not exist`);
    try {
      await em.transactional(async (tx) => {
        const vm = new Vm({
          id: input.vmId,
          siteId: input.siteId,
          cpus: source.cpus,
          memoryMb: source.memoryMb,
          diskGb: source.diskGb,
          image: source.image,
        });
        vm.service = 'test';
        vm.status = 'creating';
        tx.persist(vm);
        const service = await tx.findOne(Service, { siteId: input.siteId, kind: 'test' });
        if (service) service.vmId = input.vmId;
        else {
          tx.persist(
            new Service({ id: randomUUID(), siteId: input.siteId, kind: 'test', vmId: input.vmId }),
          );
        }
        await appendOnce(
          tx,
          event(input.siteId, 'vm.recorded', `test server ${input.vmId} recorded`),
        );
      });
    } catch (error) {
      // A retry raced its own first attempt: the row is there, which is all we wanted.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }

  /** The name, addresses and routes a server's guest should have, from its allocation. */
  async function serverIdentity(input: { vmId: string }): Promise<GuestIdentity> {
    const em = forkEm(deps.orm);
    const row = await em.findOne(NetworkConfig, { vmId: input.vmId, state: 'allocated' });
    if (!row) throw failure('RecordNotFound', `server ${input.vmId} has no addresses`);
    return describeAllocation(em, row);
  }

  /**
   * Makes the records say which server holds which host name and service: the network rows, the
   * site's two services and each VM's service. Calling it with what is already so changes nothing,
   * so it undoes itself when called with the assignment from before.
   */
  async function assignServers(input: ServerAssignment): Promise<{ changed: boolean }> {
    return forkEm(deps.orm).transactional(async (tx) => {
      const changed = await assign(tx, input);
      if (changed) {
        await appendOnce(
          tx,
          event(
            input.siteId,
            'site.servers-assigned',
            `production is ${input.production.hostname} on server ${input.production.vmId}; ` +
              `test is ${input.test.hostname} on server ${input.test.vmId}`,
          ),
        );
      }
      return { changed };
    });
  }

  /** Tells a server's guest the name and addresses it now has (taken at its next boot). */
  async function setGuestIdentity(input: { vmId: string }): Promise<GuestIdentity> {
    const identity = await serverIdentity(input);
    try {
      await deps.hypervisor.setGuestIdentity(input.vmId, identity, heartbeat());
    } catch (error) {
      throw hypervisorFailure(`giving server ${input.vmId} its name and addresses failed`, error);
    }
    return identity;
  }

  /**
   * A snapshot Berth takes for itself (before an upgrade), not counted among the site's. Returns
   * the image the server runs, which a revert to the snapshot puts back in the records.
   */
  async function takeServerSnapshot(input: {
    vmId: string;
    name: string;
  }): Promise<{ image: string }> {
    const vm = await forkEm(deps.orm).findOne(Vm, input.vmId);
    if (!vm) throw failure('RecordNotFound', `server ${input.vmId} does not exist`);
    try {
      await deps.hypervisor.createSnapshot(input.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(`taking snapshot ${input.name} of ${input.vmId} failed`, error);
    }
    return { image: vm.image };
  }

  /** Returns the server to the snapshot, and its record to the image it ran then. */
  async function revertServerSnapshot(input: {
    vmId: string;
    name: string;
    image: string;
  }): Promise<void> {
    try {
      await deps.hypervisor.revertSnapshot(input.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(`reverting ${input.vmId} to snapshot ${input.name} failed`, error);
    }
    await forkEm(deps.orm).nativeUpdate(Vm, { id: input.vmId }, { image: input.image });
  }

  async function removeServerSnapshot(input: { vmId: string; name: string }): Promise<void> {
    try {
      await deps.hypervisor.removeSnapshot(input.vmId, input.name, heartbeat());
    } catch (error) {
      throw hypervisorFailure(`removing snapshot ${input.name} of ${input.vmId} failed`, error);
    }
  }

  /** Asks the site's people to try the upgraded test server and approve (once per operation and kind). */
  async function queueUpgradeApproval(input: {
    siteId: string;
    operationId: string;
    image: string;
    testHostname: string;
    approveBy: string;
    reminder: boolean;
  }): Promise<void> {
    const em = forkEm(deps.orm);
    const site = await em.findOne(Site, input.siteId);
    if (!site) return;
    await queueNotification(em, {
      kind: 'upgrade-waiting-for-approval',
      siteId: input.siteId,
      params: {
        siteName: site.name,
        testHostname: input.testHostname,
        release: input.image,
        approveBy: input.approveBy,
      },
      dedupeKey: `upgrade-approval/${input.operationId}${input.reminder ? '/reminder' : ''}`,
    });
    await em.flush();
  }

  return {
    recordTestServer,
    serverIdentity,
    assignServers,
    setGuestIdentity,
    takeServerSnapshot,
    revertServerSnapshot,
    removeServerSnapshot,
    queueUpgradeApproval,
  };
}

export type TestServerActivities = ReturnType<typeof createTestServerActivities>;

/** Applies an assignment; true when anything changed. */
async function assign(tx: Em, input: ServerAssignment): Promise<boolean> {
  const rows = await tx.find(NetworkConfig, {
    hostname: { $in: [input.production.hostname, input.test.hostname] },
    state: 'allocated',
  });
  const byName = new Map(rows.map((row) => [row.hostname, row]));
  const production = byName.get(input.production.hostname);
  const test = byName.get(input.test.hostname);
  if (!production || !test) {
    throw failure('RecordNotFound', 'the site’s servers have no addresses to swap');
  }
  let changed = false;
  if (production.vmId !== input.production.vmId || test.vmId !== input.test.vmId) {
    // One VM per row is a unique column: park one row on a placeholder while the other moves.
    test.vmId = `swap-${randomUUID()}`.slice(0, 36);
    await tx.flush();
    production.vmId = input.production.vmId;
    await tx.flush();
    test.vmId = input.test.vmId;
    await tx.flush();
    changed = true;
  }
  for (const kind of ['production', 'test'] as const) {
    const vmId = input[kind].vmId;
    const service = await tx.findOne(Service, { siteId: input.siteId, kind });
    if (!service) {
      tx.persist(new Service({ id: randomUUID(), siteId: input.siteId, kind, vmId }));
      changed = true;
    } else if (service.vmId !== vmId) {
      service.vmId = vmId;
      changed = true;
    }
    const vm = await tx.findOne(Vm, vmId);
    if (vm && vm.service !== kind) {
      vm.service = kind;
      changed = true;
    }
  }
  return changed;
}
