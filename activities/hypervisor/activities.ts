import { CompleteAsyncError, Context } from '@temporalio/activity';
import { type ApplicationFailure } from '@temporalio/common';
import { setTimeout as delay } from 'node:timers/promises';
import { callbackToken } from '../../libs/callback-token';
import { forkEm, type Orm } from '../../libs/db/orm';
import { Vm } from '../../libs/domain';
import { failure } from '../../libs/failures';
import { HypervisorError } from './errors';
import { registerInstallWaiter } from './install-callback';
import {
  type CloneSpec,
  type GuestIdentity,
  type Hypervisor,
  type PowerAction,
  type PowerState,
  type VmSpec,
} from './port';

/** What the workflow knows of a new VM; the callback is added inside the activity. */
export type CreateVmInput = Omit<VmSpec, 'callback'>;

/** A clone of `sourceVmId`; the hosts to avoid are looked up inside the activity. */
export type CloneVmInput = { sourceVmId: string } & Omit<CloneSpec, 'avoidHosts'>;

export interface InstallReport {
  installedAt: string;
}

/**
 * Hypervisor activities. `createVm` and `cloneVm` are idempotent (the adapter finds a VM by its
 * Berth id); `awaitInstallCallback` completes asynchronously when the VM's installer calls the API.
 */
export function createHypervisorActivities(deps: {
  hypervisor: Hypervisor;
  orm: Orm;
  secretKey: Buffer;
  publicUrl: string;
}) {
  async function createVm(input: CreateVmInput): Promise<{ ref: string; host: string | null }> {
    const alive = heartbeat();
    // Where the site's other servers run (a test server's production one, say): avoided.
    const avoidHosts = input.siteId ? await siteVmHosts(deps.orm, input.siteId, input.vmId) : [];
    try {
      const vm = await deps.hypervisor.createVm(
        {
          ...input,
          avoidHosts,
          callback: {
            url: `${deps.publicUrl}/callbacks/vm/${input.vmId}`,
            // Derived here, inside the activity, so the secret never enters workflow history.
            token: callbackToken(deps.secretKey, input.vmId),
          },
        },
        alive,
      );
      return { ref: vm.ref, host: vm.host ?? null };
    } catch (error) {
      throw hypervisorFailure(`creating server ${input.vmId} failed`, error);
    }
  }

  /** A copy of a server (as it is, or at a snapshot) with its own identity, powered on. */
  async function cloneVm(input: CloneVmInput): Promise<{ ref: string; host: string | null }> {
    const alive = heartbeat();
    const { sourceVmId, ...spec } = input;
    // Where the site's other servers run, the source among them: avoided.
    const avoidHosts = await siteVmHosts(deps.orm, spec.siteId, spec.vmId);
    try {
      const vm = await deps.hypervisor.cloneVm(sourceVmId, { ...spec, avoidHosts }, alive);
      return { ref: vm.ref, host: vm.host ?? null };
    } catch (error) {
      throw hypervisorFailure(`copying server ${sourceVmId} as ${spec.vmId} failed`, error);
    }
  }

  /**
   * The name and addresses the server's guest takes at its next boot, as given. Not named
   * `setGuestIdentity`: the worker registers every group's activities under one namespace, and
   * the test-server group's activity of that name (which looks the identity up) would replace it.
   */
  async function setVmGuestIdentity(input: { vmId: string } & GuestIdentity): Promise<void> {
    const alive = heartbeat();
    const { vmId, ...identity } = input;
    try {
      await deps.hypervisor.setGuestIdentity(vmId, identity, alive);
    } catch (error) {
      throw hypervisorFailure(`setting the identity of server ${vmId} failed`, error);
    }
  }

  async function awaitInstallCallback(input: { vmId: string }): Promise<InstallReport> {
    const token = Buffer.from(Context.current().info.taskToken).toString('base64');
    const { found, installedAt } = await registerWithRetries(deps.orm, input.vmId, token);
    if (!found) throw failure('RecordNotFound', `server ${input.vmId} does not exist`);
    if (installedAt) return { installedAt: installedAt.toISOString() };
    throw new CompleteAsyncError();
  }

  async function powerVm(input: {
    vmId: string;
    action: PowerAction;
  }): Promise<{ powerState: PowerState }> {
    const alive = heartbeat();
    try {
      const vm = await deps.hypervisor.power(input.vmId, input.action, alive);
      return { powerState: vm.powerState };
    } catch (error) {
      throw hypervisorFailure(`power ${input.action} of server ${input.vmId} failed`, error);
    }
  }

  /** The install is reported: its callback secret comes off the VM. */
  async function forgetCallback(input: { vmId: string }): Promise<void> {
    const alive = heartbeat();
    try {
      await deps.hypervisor.forgetCallback(input.vmId, alive);
    } catch (error) {
      throw hypervisorFailure(`clearing the install secret of server ${input.vmId} failed`, error);
    }
  }

  /** Destroying a server that is already gone succeeds. */
  async function destroyVm(input: { vmId: string }): Promise<void> {
    const alive = heartbeat();
    try {
      await deps.hypervisor.destroyVm(input.vmId, alive);
    } catch (error) {
      throw hypervisorFailure(`destroying server ${input.vmId} failed`, error);
    }
  }

  return {
    createVm,
    cloneVm,
    setVmGuestIdentity,
    awaitInstallCallback,
    forgetCallback,
    powerVm,
    destroyVm,
  };
}

/** The hosts running a site's servers other than `exceptVmId`, as the read model has them. */
export async function siteVmHosts(orm: Orm, siteId: string, exceptVmId: string): Promise<string[]> {
  const vms = await forkEm(orm).find(
    Vm,
    { siteId, id: { $ne: exceptVmId }, host: { $ne: null } },
    { fields: ['host'] },
  );
  return vms.map((vm) => vm.host!);
}

/**
 * Heartbeats now (the call has started) and returns a function that heartbeats again, which the
 * adapter calls whenever a long wait on the hypervisor learns something.
 */
export function heartbeat(): () => void {
  const context = Context.current();
  context.heartbeat();
  return () => context.heartbeat();
}

/**
 * The failure a workflow sees: the adapter's error kind as the failure type, retried by Temporal
 * only when the kind says a retry can help. Anything else (a bug) counts as unavailable.
 */
export function hypervisorFailure(message: string, error: unknown): ApplicationFailure {
  if (error instanceof HypervisorError) {
    return failure(error.kind, `${message}: ${error.message}`);
  }
  return failure('HypervisorUnavailable', message, {
    cause: error instanceof Error ? error : undefined,
  });
}

/**
 * Records the wait, retrying a few times here: a failure after this point cannot be retried by
 * Temporal quickly (the attempt lasts the whole install timeout), and a busy SQLite database
 * refuses a write now and then. Errors are replaced by a plain failure: the database's own
 * message would quote the statement, task token included, into workflow history.
 */
async function registerWithRetries(orm: Orm, vmId: string, token: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerInstallWaiter(orm, vmId, token);
    } catch {
      if (attempt >= 10) {
        throw failure('HypervisorUnavailable', `recording the install wait of ${vmId} failed`);
      }
      await delay(250 * attempt);
    }
  }
}

export type HypervisorActivities = ReturnType<typeof createHypervisorActivities>;
