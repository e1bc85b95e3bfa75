import { createHmac, randomBytes } from 'node:crypto';
import { type Em } from '../../libs/db/orm';
import { ServerSecret } from '../../libs/domain';
import { atRestKey, openSecret, sealSecret } from './secret-box';

/** The name of a server's database root password among its secrets. */
export const databaseRootPasswordName = 'database-root-password';

/**
 * The server's database root password: the one its admins were last given by a reset, or else
 * one derived from the deployment's secret key and the VM id (which needs no storage and was
 * never shown to anyone). Neither passes through workflow history: runs read it here.
 */
export async function databaseRootPassword(
  em: Em,
  secretKey: Buffer,
  vmId: string,
): Promise<string> {
  const stored = await em.findOne(ServerSecret, { vmId, name: databaseRootPasswordName });
  if (stored) return openSecret(atRestKey(secretKey), stored.sealed, context(vmId));
  return derivedDatabasePassword(secretKey, vmId);
}

export function derivedDatabasePassword(secretKey: Buffer, vmId: string): string {
  return createHmac('sha256', secretKey).update(`berth/mysql-root/${vmId}`).digest('base64url');
}

/** 32 random bytes, base64url: 43 characters that need no quoting anywhere. */
export function newDatabasePassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Stores `password` as the server's database root password, in the caller's transaction, and
 * returns what it replaced (undefined: the derived one) so that a refused change can be undone.
 */
export async function storeDatabasePassword(
  em: Em,
  secretKey: Buffer,
  vmId: string,
  password: string,
  actor: string,
): Promise<ServerSecret | undefined> {
  const sealed = sealSecret(atRestKey(secretKey), password, context(vmId));
  const existing = await em.findOne(ServerSecret, { vmId, name: databaseRootPasswordName });
  const previous = existing
    ? new ServerSecret({
        vmId,
        name: databaseRootPasswordName,
        sealed: existing.sealed,
        updatedBy: existing.updatedBy,
      })
    : undefined;
  if (previous && existing) previous.updatedAt = existing.updatedAt;
  if (existing) {
    existing.sealed = sealed;
    existing.updatedBy = actor;
    existing.updatedAt = new Date();
  } else {
    em.persist(
      new ServerSecret({ vmId, name: databaseRootPasswordName, sealed, updatedBy: actor }),
    );
  }
  return previous;
}

function context(vmId: string): string {
  return `server-secret/${vmId}/${databaseRootPasswordName}`;
}
