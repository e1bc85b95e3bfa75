import { createHmac, randomBytes } from 'node:crypto';
import { type Em } from '../../libs/db/orm';
import { ServerSecret } from '../../libs/domain';
import { atRestKey, openSecret, sealSecret } from './secret-box';

/** The name of a server's database root password among its secrets. */
export const databaseRootPasswordName = 'database-root-password';

/** A row's `sealed` while the server still has its derived password (a first reset waits). */
const derivedSealed = '';

/**
 * The database root password a configuration run sets on the server: a reset's that waits for
 * a run (`pending`, returned sealed so the run can settle it), else the one the server has, the
 * last reset's or one derived from the deployment's secret key and the VM id (which needs no
 * storage and was never shown to anyone). Neither passes through workflow history: runs read it
 * here.
 */
export async function databasePasswordForRun(
  em: Em,
  secretKey: Buffer,
  vmId: string,
): Promise<{ password: string; pending: string | null }> {
  const stored = await em.findOne(ServerSecret, { vmId, name: databaseRootPasswordName });
  const sealed = stored?.pending ?? stored?.sealed ?? derivedSealed;
  return {
    password:
      sealed === derivedSealed
        ? derivedDatabasePassword(secretKey, vmId)
        : openSecret(atRestKey(secretKey), sealed, context(vmId)),
    pending: stored?.pending ?? null,
  };
}

/**
 * After a run that set `pending` (as databasePasswordForRun gave it) on the server: it is the
 * server's password now, and no longer waits, unless a newer reset has replaced it meanwhile
 * (the next run sets that one).
 */
export async function settleDatabasePassword(em: Em, vmId: string, pending: string): Promise<void> {
  const where = { vmId, name: databaseRootPasswordName };
  await em.nativeUpdate(ServerSecret, where, { sealed: pending });
  await em.nativeUpdate(ServerSecret, { ...where, pending }, { pending: null });
}

export function derivedDatabasePassword(secretKey: Buffer, vmId: string): string {
  return createHmac('sha256', secretKey).update(`berth/mysql-root/${vmId}`).digest('base64url');
}

/** 32 random bytes, base64url: 43 characters that need no quoting anywhere. */
export function newDatabasePassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Stores `password` as the server's next database root password, for the next configuration run
 * to set, in the caller's transaction; returns it sealed, for withdrawDatabasePassword.
 */
export async function storeDatabasePassword(
  em: Em,
  secretKey: Buffer,
  vmId: string,
  password: string,
  actor: string,
): Promise<string> {
  const pending = sealSecret(atRestKey(secretKey), password, context(vmId));
  const existing = await em.findOne(ServerSecret, { vmId, name: databaseRootPasswordName });
  if (existing) {
    existing.pending = pending;
    existing.updatedBy = actor;
    existing.updatedAt = new Date();
  } else {
    // Until a run sets it, the server has the derived password.
    const row = new ServerSecret({
      vmId,
      name: databaseRootPasswordName,
      sealed: derivedSealed,
      updatedBy: actor,
    });
    row.pending = pending;
    em.persist(row);
  }
  return pending;
}

/**
 * Takes back a reset the site's workflow refused, unless a newer reset has replaced it: the row
 * goes too if the reset made it (the server still has its derived password), so nothing is left.
 */
export async function withdrawDatabasePassword(
  em: Em,
  vmId: string,
  pending: string,
): Promise<void> {
  const ours = { vmId, name: databaseRootPasswordName, pending };
  await em.nativeDelete(ServerSecret, { ...ours, sealed: derivedSealed });
  await em.nativeUpdate(ServerSecret, ours, { pending: null });
}

function context(vmId: string): string {
  return `server-secret/${vmId}/${databaseRootPasswordName}`;
}
