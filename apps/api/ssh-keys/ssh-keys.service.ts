import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InvalidPublicKeyError, parseUserKey } from '../../../activities/keys/user-keys';
import { isOperator, type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { AuditEvent, SiteRole, SshKey } from '../../../libs/domain';
import { type OperationModel } from '../operations/operation.model';
import { SiteOperationPayload } from '../sites/change-site.payload';
import { SiteChangesService } from '../sites/site-changes.service';
import { ORM } from '../tokens';
import { type AddSshKeyInput, type RemoveSshKeyInput } from './ssh-key.inputs';
import { type SshKeyModel, type SshKeyTypeEnum } from './ssh-key.model';
import {
  type AddSshKeyResult,
  type RemoveSshKeyResult,
  SshKeyExistsError,
  SshKeyInvalidError,
  SshKeyNotFoundError,
  SshKeyPayload,
} from './ssh-key.payload';

/**
 * Users' SSH keys. A change is written, then every site the user has a role on is asked for a
 * configuration run, which reads the keys afresh (siteConfiguration); a site whose status refuses
 * one (suspended, disabled, deleted) gets the change with its next run. If the workflow engine
 * cannot be reached the change is taken back, so a failed request leaves nothing changed.
 * Changes are audited in `audit_event`: a key belongs to a user, not to one site.
 */
@Injectable()
export class SshKeysService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    private readonly changes: SiteChangesService,
  ) {}

  async list(user: string): Promise<SshKeyModel[]> {
    const keys = await forkEm(this.orm).find(
      SshKey,
      { userId: user },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return keys.map(toModel);
  }

  /** Adds a key for `user`, whom the resolver has authorised the caller for. */
  async add(principal: Principal, user: string, input: AddSshKeyInput): Promise<AddSshKeyResult> {
    let parsed;
    try {
      parsed = parseUserKey(input.publicKey);
    } catch (error) {
      if (error instanceof InvalidPublicKeyError) return new SshKeyInvalidError(error.message);
      throw error;
    }
    const key = new SshKey({
      id: randomUUID(),
      userId: user,
      type: parsed.type,
      bits: parsed.bits,
      publicKey: parsed.publicKey,
      fingerprint: parsed.fingerprint,
      comment: input.comment ?? parsed.comment,
    });
    try {
      await forkEm(this.orm).persistAndFlush(key);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return new SshKeyExistsError(`${user} has the key ${parsed.fingerprint} already`);
    }
    const operations = await this.configure(principal, user, () =>
      forkEm(this.orm).nativeDelete(SshKey, { id: key.id }),
    );
    await this.audit(principal, 'ssh-key.added', key, operations);
    return payload(key, operations);
  }

  /** Removes a key of the caller's, or any key for an operator; others' keys look absent. */
  async remove(principal: Principal, input: RemoveSshKeyInput): Promise<RemoveSshKeyResult> {
    const em = forkEm(this.orm);
    const key = await em.findOne(SshKey, { id: input.id });
    if (!key || (key.userId !== principal.userId && !isOperator(principal))) {
      return new SshKeyNotFoundError('no such SSH key');
    }
    if ((await em.nativeDelete(SshKey, { id: key.id })) === 0) {
      // A concurrent request removed it first; that request configures the sites.
      return new SshKeyNotFoundError('no such SSH key');
    }
    const operations = await this.configure(principal, key.userId, () =>
      forkEm(this.orm).persistAndFlush(copyOf(key)),
    );
    await this.audit(principal, 'ssh-key.removed', key, operations);
    return payload(key, operations);
  }

  /**
   * Asks each site where `user` holds a role of their own for a configuration run, skipping sites
   * that refuse one now. When the workflow engine fails, `undo` takes the change back; runs
   * already accepted then read the keys as they were.
   */
  private async configure(
    principal: Principal,
    user: string,
    undo: () => Promise<unknown>,
  ): Promise<OperationModel[]> {
    // Group roles do not put users on servers yet (siteConfiguration lists user roles only).
    const roles = await forkEm(this.orm).find(
      SiteRole,
      { subjectType: 'user', subject: user },
      { fields: ['siteId'], orderBy: { siteId: 'asc' } },
    );
    const operations: OperationModel[] = [];
    try {
      for (const siteId of new Set(roles.map((role) => role.siteId))) {
        const result = await this.changes.change(principal, siteId, { kind: 'configure' }, null);
        if (result instanceof SiteOperationPayload) operations.push(result.operation);
      }
    } catch (error) {
      await undo();
      throw error;
    }
    return operations;
  }

  private async audit(
    principal: Principal,
    action: 'ssh-key.added' | 'ssh-key.removed',
    key: SshKey,
    operations: OperationModel[],
  ): Promise<void> {
    const verb = action === 'ssh-key.added' ? 'added' : 'removed';
    const sites = operations.length === 1 ? '1 site' : `${operations.length} sites`;
    await forkEm(this.orm).persistAndFlush(
      new AuditEvent({
        id: randomUUID(),
        actor: principal.userId,
        action,
        target: key.userId,
        // The fingerprint names the key; the key itself is not needed to audit it.
        summary: `${key.type} key ${key.fingerprint} of ${key.userId} ${verb} by ${principal.userId}; configuring ${sites}`,
      }),
    );
  }
}

function payload(key: SshKey, operations: OperationModel[]): SshKeyPayload {
  return Object.assign(new SshKeyPayload(), { sshKey: toModel(key), operations });
}

function toModel(key: SshKey): SshKeyModel {
  return {
    id: key.id,
    user: key.userId,
    type: key.type as SshKeyTypeEnum,
    bits: key.bits,
    fingerprint: key.fingerprint,
    publicKey: key.publicKey,
    comment: key.comment,
    createdAt: key.createdAt,
  };
}

/** A deleted row made anew with its fields, to put back. */
function copyOf(key: SshKey): SshKey {
  const copy = new SshKey({ ...key });
  copy.createdAt = key.createdAt;
  return copy;
}
