import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { type Orm, forkEm } from '../../libs/db/orm';
import { HostKey, type HostKeyType } from '../../libs/domain';
import { generateHostKeys } from './host-keys';
import { atRestKey, openSecret, sealSecret } from './secret-box';

/** A host key as workflows see it: the public half only. */
export interface PublicHostKey {
  type: HostKeyType;
  publicKey: string;
  fingerprint: string;
}

/** What the sealed private key of a VM's host key is bound to; moving it to another row fails. */
export function hostKeyContext(vmId: string, type: HostKeyType): string {
  return `host-key/${vmId}/${type}`;
}

/**
 * Host key activities. Keys are made once per VM before the VM exists; a retry returns the keys
 * already made. Only public halves enter workflow history: private halves are sealed in the
 * database until the server fetches them (see readHostKeys).
 */
export function createHostKeyActivities(deps: { orm: Orm; secretKey: Buffer }) {
  const sealKey = atRestKey(deps.secretKey);

  async function prepareHostKeys(input: { vmId: string }): Promise<PublicHostKey[]> {
    const existing = await forkEm(deps.orm).find(HostKey, { vmId: input.vmId });
    if (existing.length > 0) return existing.map(publicHalf);
    const generated = await generateHostKeys();
    const rows = generated.map(
      (key) =>
        new HostKey({
          id: randomUUID(),
          vmId: input.vmId,
          type: key.type,
          publicKey: key.publicKey,
          fingerprint: key.fingerprint,
          sealedPrivateKey: sealSecret(
            sealKey,
            key.privateKey,
            hostKeyContext(input.vmId, key.type),
          ),
        }),
    );
    try {
      await forkEm(deps.orm).transactional((em) => {
        em.persist(rows);
      });
      return rows.map(publicHalf);
    } catch (error) {
      // A concurrent attempt for this VM stored its keys first; those are the VM's keys.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return (await forkEm(deps.orm).find(HostKey, { vmId: input.vmId })).map(publicHalf);
    }
  }

  /**
   * Gives a clone the host keys of the server it was copied from: its disk holds them, so they are
   * the keys it will answer with, and its SSHFP records must be theirs. Each private half is
   * opened for the source and sealed again for the clone. A clone that has keys keeps them.
   */
  async function copyHostKeys(input: {
    fromVmId: string;
    toVmId: string;
  }): Promise<PublicHostKey[]> {
    const em = forkEm(deps.orm);
    const existing = await em.find(HostKey, { vmId: input.toVmId });
    if (existing.length > 0) return existing.map(publicHalf);
    const source = await em.find(
      HostKey,
      { vmId: input.fromVmId },
      { populate: ['sealedPrivateKey'], orderBy: { type: 'asc' } },
    );
    const rows = source.map(
      (row) =>
        new HostKey({
          id: randomUUID(),
          vmId: input.toVmId,
          type: row.type,
          publicKey: row.publicKey,
          fingerprint: row.fingerprint,
          sealedPrivateKey: sealSecret(
            sealKey,
            openSecret(sealKey, row.sealedPrivateKey, hostKeyContext(input.fromVmId, row.type)),
            hostKeyContext(input.toVmId, row.type),
          ),
        }),
    );
    try {
      await forkEm(deps.orm).transactional((tx) => {
        tx.persist(rows);
      });
      return rows.map(publicHalf);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return (await forkEm(deps.orm).find(HostKey, { vmId: input.toVmId })).map(publicHalf);
    }
  }

  /** Deletes a VM's host keys once the VM is gone; deleting none succeeds. */
  async function forgetHostKeys(input: { vmId: string }): Promise<void> {
    await forkEm(deps.orm).nativeDelete(HostKey, { vmId: input.vmId });
  }

  return { prepareHostKeys, copyHostKeys, forgetHostKeys };
}

export type HostKeyActivities = ReturnType<typeof createHostKeyActivities>;

function publicHalf(row: HostKey): PublicHostKey {
  return { type: row.type, publicKey: row.publicKey, fingerprint: row.fingerprint };
}

/**
 * A VM's host keys with their private halves opened, for the server itself; marks them delivered.
 * Empty when the VM has none.
 */
export async function readHostKeys(
  orm: Orm,
  secretKey: Buffer,
  vmId: string,
): Promise<(PublicHostKey & { privateKey: string })[]> {
  const em = forkEm(orm);
  const rows = await em.find(
    HostKey,
    { vmId },
    { populate: ['sealedPrivateKey'], orderBy: { type: 'asc' } },
  );
  const sealKey = atRestKey(secretKey);
  const keys = rows.map((row) => ({
    ...publicHalf(row),
    privateKey: openSecret(sealKey, row.sealedPrivateKey, hostKeyContext(vmId, row.type)),
  }));
  if (rows.length > 0) {
    await em.nativeUpdate(HostKey, { vmId, deliveredAt: null }, { deliveredAt: new Date() });
  }
  return keys;
}
