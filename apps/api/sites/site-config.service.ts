import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { Operation, SiteEvent, SiteRole, Vhost } from '../../../libs/domain';
import { DirectoryError } from '../../../activities/directory/errors';
import { type Directory } from '../../../activities/directory/port';
import { badUserInput, serviceUnavailable } from '../graphql/graphql-errors';
import { DIRECTORY, ORM } from '../tokens';
import { SiteOperationPayload } from './change-site.payload';
import {
  type AddVhostInput,
  type RemoveVhostInput,
  type SiteRoleInput,
} from './site-config.inputs';
import {
  GroupNotFoundError,
  LastAdminError,
  RoleNotFoundError,
  type SiteConfigResult,
  VhostExistsError,
  VhostNotFoundError,
} from './site-config.payload';
import { SiteChangesService } from './site-changes.service';

/**
 * A site's virtual hosts and users. Each change is written as the site's intent and then asks the
 * site workflow for a configuration run (coalesced with others that arrive while one runs); a
 * change the workflow refuses is taken back, so a refusal leaves nothing changed.
 */
@Injectable()
export class SiteConfigService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(DIRECTORY) private readonly directory: Directory,
    private readonly changes: SiteChangesService,
  ) {}

  async addVhost(principal: Principal, input: AddVhostInput): Promise<SiteConfigResult> {
    const aliases = [...new Set((input.aliases ?? []).map((alias) => alias.name))];
    const request = {
      change: 'add-vhost',
      name: input.name,
      serverName: input.serverName,
      aliases,
    };
    const repeat = await this.repeated(principal, input, request);
    if (repeat) return repeat;
    if (input.name === 'default') {
      return new VhostExistsError('every site has the default virtual host');
    }
    const vhost = new Vhost({
      id: randomUUID(),
      siteId: input.siteId,
      name: input.name,
      serverName: input.serverName,
      aliases,
      createdBy: principal.userId,
    });
    try {
      await forkEm(this.orm).persistAndFlush(vhost);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return new VhostExistsError(`the site has a virtual host named ${input.name}`);
    }
    return this.configure(principal, input, request, {
      undo: () => forkEm(this.orm).nativeDelete(Vhost, { id: vhost.id }),
      action: 'vhost.added',
      summary: vhostAddedSummary(vhost, principal.userId),
    });
  }

  async removeVhost(principal: Principal, input: RemoveVhostInput): Promise<SiteConfigResult> {
    const request = { change: 'remove-vhost', name: input.name };
    const repeat = await this.repeated(principal, input, request);
    if (repeat) return repeat;
    if (input.name === 'default') {
      return new VhostNotFoundError('the default virtual host cannot be removed');
    }
    const em = forkEm(this.orm);
    const vhost = await em.findOne(Vhost, { siteId: input.siteId, name: input.name });
    if (!vhost) return new VhostNotFoundError(`the site has no virtual host named ${input.name}`);
    await em.nativeDelete(Vhost, { id: vhost.id });
    return this.configure(principal, input, request, {
      undo: () => forkEm(this.orm).persistAndFlush(copyOfVhost(vhost)),
      action: 'vhost.removed',
      summary: `virtual host ${vhost.name} removed by ${principal.userId}`,
    });
  }

  async grantRole(principal: Principal, input: SiteRoleInput): Promise<SiteConfigResult> {
    const subject = roleSubject(input);
    const request = { change: 'grant-role', ...subjectOf(subject), role: input.role };
    const repeat = await this.repeated(principal, input, request);
    if (repeat) return repeat;
    if (subject.type === 'group' && (await this.groupMembers(subject.name)).length === 0) {
      return new GroupNotFoundError(`the directory has no group ${subject.name} with members`);
    }
    const grant = new SiteRole({
      id: randomUUID(),
      siteId: input.siteId,
      subjectType: subject.type,
      subject: subject.name,
      role: input.role,
      grantedBy: principal.userId,
    });
    let made = true;
    try {
      await forkEm(this.orm).persistAndFlush(grant);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // Granted already: the run that follows changes nothing, and the answer is the same.
      made = false;
    }
    return this.configure(principal, input, request, {
      undo: () =>
        made ? forkEm(this.orm).nativeDelete(SiteRole, { id: grant.id }) : Promise.resolve(0),
      action: 'role.granted',
      summary: `${input.role} role granted to ${describeSubject(subject)} by ${principal.userId}`,
    });
  }

  async revokeRole(principal: Principal, input: SiteRoleInput): Promise<SiteConfigResult> {
    const subject = roleSubject(input);
    const request = { change: 'revoke-role', ...subjectOf(subject), role: input.role };
    const repeat = await this.repeated(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    const grant = await em.findOne(SiteRole, {
      siteId: input.siteId,
      subjectType: subject.type,
      subject: subject.name,
      role: input.role,
    });
    if (!grant) {
      return new RoleNotFoundError(
        `${describeSubject(subject)} has no ${input.role} role here`,
        subject.type,
      );
    }
    if (
      grant.role === 'admin' &&
      (await em.count(SiteRole, { siteId: input.siteId, role: 'admin' })) <= 1
    ) {
      return new LastAdminError(`${describeSubject(subject)} is the site's only admin`);
    }
    await em.nativeDelete(SiteRole, { id: grant.id });
    return this.configure(principal, input, request, {
      undo: () => forkEm(this.orm).persistAndFlush(copyOfGrant(grant)),
      action: 'role.revoked',
      summary: `${input.role} role of ${describeSubject(subject)} revoked by ${principal.userId}`,
    });
  }

  /** The group's members; a directory that cannot answer fails the request (nothing changed). */
  private async groupMembers(group: string): Promise<string[]> {
    try {
      return await this.directory.membersOf(group);
    } catch (error) {
      if (error instanceof DirectoryError) throw serviceUnavailable('the directory');
      throw error;
    }
  }

  /** A repeated idempotency key answers with its first operation, or refuses other input. */
  private async repeated(
    principal: Principal,
    input: { siteId: string; idempotencyKey?: string },
    request: object,
  ): Promise<SiteConfigResult | undefined> {
    if (!input.idempotencyKey) return undefined;
    const existing = await forkEm(this.orm).findOne(Operation, {
      siteId: input.siteId,
      idempotencyKey: input.idempotencyKey,
    });
    if (!existing) return undefined;
    return this.changes.change(
      principal,
      input.siteId,
      { kind: 'configure' },
      input.idempotencyKey,
      request,
    );
  }

  /** Asks for the configuration run; audits the change once it is accepted, undoes it if not. */
  private async configure(
    principal: Principal,
    input: { siteId: string; idempotencyKey?: string },
    request: object,
    then: { undo: () => Promise<unknown>; action: string; summary: string },
  ): Promise<SiteConfigResult> {
    let result: SiteConfigResult;
    try {
      result = await this.changes.change(
        principal,
        input.siteId,
        { kind: 'configure' },
        input.idempotencyKey ?? null,
        request,
      );
    } catch (error) {
      await then.undo();
      throw error;
    }
    if (!(result instanceof SiteOperationPayload)) {
      await then.undo();
      return result;
    }
    try {
      await forkEm(this.orm).persistAndFlush(
        new SiteEvent({
          siteId: input.siteId,
          actor: principal.userId,
          action: then.action,
          summary: then.summary,
          dedupeKey: `${then.action}/${result.operation.id}`,
        }),
      );
    } catch (error) {
      // A concurrent retry with the same idempotency key (it got the same operation from
      // change()'s race path) audited it first; this answer is the same operation.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return result;
  }
}

/** site_event.summary is varchar(500); PostgreSQL refuses a longer one (SQLite keeps it). */
const summaryLength = 500;

/**
 * Names the aliases when they fit the audit log's summary, else counts them: a 253-character
 * server name with 20 aliases overflowed it, failing a change that had already been accepted.
 * The longest counted form (63-character name, 253-character server name, 64-character user id)
 * is about 420 characters.
 */
function vhostAddedSummary(vhost: Vhost, actor: string): string {
  const listed = `virtual host ${vhost.name} (${[vhost.serverName, ...vhost.aliases].join(', ')}) added by ${actor}`;
  if (listed.length <= summaryLength) return listed;
  return `virtual host ${vhost.name} (${vhost.serverName} and ${vhost.aliases.length} aliases) added by ${actor}`;
}

/** A deleted row made anew with its fields, to put back. */
function copyOfVhost(vhost: Vhost): Vhost {
  const copy = new Vhost({ ...vhost, aliases: [...vhost.aliases] });
  copy.createdAt = vhost.createdAt;
  return copy;
}

function copyOfGrant(grant: SiteRole): SiteRole {
  const copy = new SiteRole({ ...grant });
  copy.createdAt = grant.createdAt;
  return copy;
}

type RoleSubject = { type: 'user' | 'group'; name: string };

/** Whom a role input names: exactly one of `user` and `group`, or BAD_USER_INPUT. */
function roleSubject(input: SiteRoleInput): RoleSubject {
  if (
    (input.user === undefined || input.user === null) ===
    (input.group === undefined || input.group === null)
  ) {
    throw badUserInput([{ field: 'user', message: 'give exactly one of user and group' }]);
  }
  return input.user ? { type: 'user', name: input.user } : { type: 'group', name: input.group! };
}

/** The subject as an operation's recorded request, as it was before groups: `{ user }`. */
function subjectOf(subject: RoleSubject): Record<string, string> {
  return subject.type === 'user' ? { user: subject.name } : { group: subject.name };
}

function describeSubject(subject: RoleSubject): string {
  return subject.type === 'user' ? subject.name : `group ${subject.name}`;
}
