import { type Orm, forkEm } from '../../libs/db/orm';
import { Vm } from '../../libs/domain';

/**
 * The meeting point of a VM's install callback (api) and the activity waiting for it (worker).
 * Each side first writes its half with one atomic UPDATE and then reads the other half, so
 * whichever comes second always sees the first: the wait can never be missed. Both sides may see
 * each other; completing an already completed activity is harmless.
 */
export async function registerInstallWaiter(
  orm: Orm,
  vmId: string,
  taskToken: string,
): Promise<{ found: boolean; installedAt: Date | null }> {
  const em = forkEm(orm);
  const updated = await em.nativeUpdate(Vm, { id: vmId }, { installTaskToken: taskToken });
  if (updated === 0) return { found: false, installedAt: null };
  const vm = await forkEm(orm).findOneOrFail(Vm, vmId);
  return { found: true, installedAt: vm.installedAt };
}

/** Records the callback; returns the waiting activity's task token if one is registered. */
export async function recordInstallCallback(
  orm: Orm,
  vmId: string,
  at: Date,
): Promise<{ found: boolean; taskToken: string | null; installedAt: Date | null }> {
  const em = forkEm(orm);
  await em.nativeUpdate(Vm, { id: vmId, installedAt: null }, { installedAt: at });
  const vm = await forkEm(orm).findOne(Vm, vmId, { populate: ['installTaskToken'] });
  if (!vm) return { found: false, taskToken: null, installedAt: null };
  return { found: true, taskToken: vm.installTaskToken, installedAt: vm.installedAt };
}
