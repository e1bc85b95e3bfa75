import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Em, type Orm, forkEm } from '../../../libs/db/orm';
import {
  AllowedPackage,
  DomainName,
  Site,
  SitePackage,
  SiteRole,
  SiteUnixGroup,
  reservedUnixGroupNames,
  Vhost,
} from '../../../libs/domain';
import { type SitePeople, sitePeople } from '../../../activities/ansible/site-data';
import { DirectoryError } from '../../../activities/directory/errors';
import { type Directory } from '../../../activities/directory/port';
import {
  domainNameRows,
  judgeSiteNames,
  type RequestedName,
  takenName,
} from '../domains/domain-claims';
import {
  DomainNotApprovedError,
  DomainNotFoundError,
  DomainTakenError,
} from '../domains/domain-name.payload';
import { queueApprovalNeeded } from '../domains/domain-notifications';
import { badUserInput, serviceUnavailable } from '../graphql/graphql-errors';
import { PackageNotAllowedError, PackageNotFoundError } from '../packages/package.payload';
import { UserError } from '../graphql/user-error';
import { BERTH_CONFIG, DIRECTORY, ORM } from '../tokens';
import {
  type AddVhostAliasInput,
  type AddVhostInput,
  type RemoveVhostAliasInput,
  type RemoveVhostInput,
  type SetVhostServerNameInput,
  type RemoveSiteUnixGroupInput,
  type SitePackageInput,
  type SiteRoleInput,
  type SiteUnixGroupInput,
} from './site-config.inputs';
import {
  GroupNotFoundError,
  LastAdminError,
  RoleNotFoundError,
  type SiteConfigResult,
  TooManyAliasesError,
  UnixGroupMemberUnknownError,
  UnixGroupNameTakenError,
  UnixGroupNotFoundError,
  VhostExistsError,
  VhostNotFoundError,
} from './site-config.payload';
import { SiteChangesService } from './site-changes.service';

/**
 * A site's virtual hosts, their names and the site's users. Each change is written as the site's
 * intent and then asks the site workflow for a configuration run (coalesced with others that
 * arrive while one runs); a change the workflow refuses is taken back, so a refusal leaves
 * nothing changed.
 *
 * Every name a virtual host answers as has a `domain_name` row, written with the vhost's own
 * columns in one transaction: approved at once inside the organisation's zones, else pending, and
 * then the operators are notified once the change is accepted. Runs serve approved names only.
 */
@Injectable()
export class SiteConfigService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(DIRECTORY) private readonly directory: Directory,
    private readonly changes: SiteChangesService,
  ) {}

  async addVhost(principal: Principal, input: AddVhostInput): Promise<SiteConfigResult> {
    // The server name is not an alias of its own vhost, and an alias is listed once.
    const aliases = [...new Set((input.aliases ?? []).map((alias) => alias.name))].filter(
      (alias) => alias !== input.serverName,
    );
    const request = {
      change: 'add-vhost',
      name: input.name,
      serverName: input.serverName,
      aliases,
    };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    if (input.name === 'default') {
      return new VhostExistsError('every site has the default virtual host');
    }
    const em = forkEm(this.orm);
    if ((await em.count(Vhost, { siteId: input.siteId, name: input.name })) > 0) {
      return new VhostExistsError(`the site has a virtual host named ${input.name}`);
    }
    const requested: RequestedName[] = [
      { name: input.serverName, field: 'serverName' },
      ...aliases.map((name) => ({
        name,
        field: `aliases.${input.aliases!.findIndex((alias) => alias.name === name)}.name`,
      })),
    ];
    const judged = await judgeSiteNames(em, this.config, input.siteId, requested);
    if (!Array.isArray(judged)) return judged;
    const vhost = new Vhost({
      id: randomUUID(),
      siteId: input.siteId,
      name: input.name,
      serverName: input.serverName,
      aliases,
      createdBy: principal.userId,
    });
    const names = domainNameRows(
      judged,
      { siteId: input.siteId, vhostId: vhost.id, requestedBy: principal.userId },
      randomUUID,
    );
    try {
      // One transaction: the vhost never exists without its names.
      await forkEm(this.orm).persistAndFlush([vhost, ...names]);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A concurrent request took the vhost's name or one of its domain names first.
      return (
        (await takenName(forkEm(this.orm), input.siteId, requested)) ??
        new VhostExistsError(`the site has a virtual host named ${input.name}`)
      );
    }
    return this.changes.configureChange(principal, input, request, {
      undo: () => this.forgetVhost(vhost.id),
      action: 'vhost.added',
      summary: vhostAddedSummary(vhost, principal.userId),
      notify: (em) => this.approvalNeeded(em, principal, names),
    });
  }

  async removeVhost(principal: Principal, input: RemoveVhostInput): Promise<SiteConfigResult> {
    const request = { change: 'remove-vhost', name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    if (input.name === 'default') {
      return new VhostNotFoundError('the default virtual host cannot be removed');
    }
    const em = forkEm(this.orm);
    const vhost = await em.findOne(Vhost, { siteId: input.siteId, name: input.name });
    if (!vhost) return new VhostNotFoundError(`the site has no virtual host named ${input.name}`);
    const names = await em.find(DomainName, { vhostId: vhost.id });
    // Its names go with it, and are free for others from now on.
    await this.forgetVhost(vhost.id);
    return this.changes.configureChange(principal, input, request, {
      undo: () => this.restore([copyOfVhost(vhost), ...names.map(copyOfDomainName)]),
      action: 'vhost.removed',
      summary: `virtual host ${vhost.name} removed by ${principal.userId}`,
    });
  }

  async addVhostAlias(principal: Principal, input: AddVhostAliasInput): Promise<SiteConfigResult> {
    const request = { change: 'add-vhost-alias', vhost: input.vhost, name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const found = await this.namedVhost(input);
    if (!(found instanceof Vhost)) return found;
    const requested = [{ name: input.name, field: 'name' }];
    const judged = await judgeSiteNames(forkEm(this.orm), this.config, input.siteId, requested);
    if (!Array.isArray(judged)) return judged;
    const [name] = domainNameRows(
      judged,
      { siteId: input.siteId, vhostId: found.id, requestedBy: principal.userId },
      randomUUID,
    );
    let outcome: SiteConfigResult | { before: Vhost };
    try {
      outcome = await this.changeVhost(found.id, async (tx, vhost) => {
        if (vhost.aliases.length >= maxAliases) {
          return new TooManyAliasesError(
            `the virtual host ${vhost.name} has ${maxAliases} aliases, the most it may have`,
          );
        }
        tx.persist(name!);
        await tx.flush();
        return { aliases: [...vhost.aliases, input.name] };
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return (
        (await takenName(forkEm(this.orm), input.siteId, requested)) ??
        new DomainTakenError(`another site uses ${input.name}`, 'name')
      );
    }
    if (!('before' in outcome)) return outcome;
    const before = outcome.before;
    return this.changes.configureChange(principal, input, request, {
      undo: () =>
        this.changeVhost(before.id, async (tx, vhost) => {
          await tx.nativeDelete(DomainName, { id: name!.id });
          return { aliases: vhost.aliases.filter((alias) => alias !== input.name) };
        }),
      action: 'vhost.alias-added',
      summary: `${input.name} added to virtual host ${input.vhost} by ${principal.userId}`,
      notify: (em) => this.approvalNeeded(em, principal, [name!]),
    });
  }

  async removeVhostAlias(
    principal: Principal,
    input: RemoveVhostAliasInput,
  ): Promise<SiteConfigResult> {
    const request = { change: 'remove-vhost-alias', vhost: input.vhost, name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const found = await this.namedVhost(input);
    if (!(found instanceof Vhost)) return found;
    let removed: DomainName | null = null;
    const outcome = await this.changeVhost(found.id, async (tx, vhost) => {
      if (!vhost.aliases.includes(input.name)) {
        return new DomainNotFoundError(
          vhost.serverName === input.name
            ? `${input.name} is the server name of ${vhost.name}, not an alias: make another name the server name first`
            : `${vhost.name} has no alias ${input.name}`,
          'name',
        );
      }
      removed = await tx.findOne(
        DomainName,
        { vhostId: vhost.id, name: input.name },
        { disableIdentityMap: true },
      );
      await tx.nativeDelete(DomainName, { vhostId: vhost.id, name: input.name });
      return { aliases: vhost.aliases.filter((alias) => alias !== input.name) };
    });
    if (!('before' in outcome)) return outcome;
    const restored = removed as DomainName | null;
    return this.changes.configureChange(principal, input, request, {
      undo: async () => {
        if (restored) await this.restore([copyOfDomainName(restored)]);
        await this.changeVhost(found.id, (_tx, vhost) =>
          Promise.resolve({
            aliases: [...vhost.aliases.filter((a) => a !== input.name), input.name],
          }),
        );
      },
      action: 'vhost.alias-removed',
      summary: `${input.name} removed from virtual host ${input.vhost} by ${principal.userId}`,
    });
  }

  /**
   * Only an approved alias may become the server name: a run serves a virtual host only while
   * its server name is approved, so a name that waits (or was rejected) would take the virtual
   * host off its server. That is the typed refusal of "an external domain without approval".
   */
  async setVhostServerName(
    principal: Principal,
    input: SetVhostServerNameInput,
  ): Promise<SiteConfigResult> {
    const request = { change: 'set-vhost-server-name', vhost: input.vhost, name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const found = await this.namedVhost(input);
    if (!(found instanceof Vhost)) return found;
    const outcome = await this.changeVhost(found.id, async (tx, vhost) => {
      if (vhost.serverName === input.name) return {};
      if (!vhost.aliases.includes(input.name)) {
        return new DomainNotFoundError(`${vhost.name} has no alias ${input.name}`, 'name');
      }
      const name = await tx.findOne(
        DomainName,
        { vhostId: vhost.id, name: input.name },
        { disableIdentityMap: true },
      );
      if (name?.status !== 'approved') {
        return new DomainNotApprovedError(
          name?.status === 'pending'
            ? `${input.name} is waiting for an operator's approval`
            : `${input.name} is not approved`,
        );
      }
      return {
        serverName: input.name,
        aliases: [vhost.serverName, ...vhost.aliases.filter((alias) => alias !== input.name)],
      };
    });
    if (!('before' in outcome)) return outcome;
    const before = outcome.before;
    return this.changes.configureChange(principal, input, request, {
      undo: () =>
        this.changeVhost(before.id, (_tx, vhost) =>
          Promise.resolve(
            vhost.serverName === input.name
              ? { serverName: before.serverName, aliases: before.aliases }
              : {},
          ),
        ),
      action: 'vhost.server-name-set',
      summary: `${input.name} made the server name of virtual host ${input.vhost} by ${principal.userId}`,
    });
  }

  /** Only a package on the operators' allow-list; adding one the site has changes nothing. */
  async addPackage(principal: Principal, input: SitePackageInput): Promise<SiteConfigResult> {
    const request = { change: 'add-package', name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    if ((await forkEm(this.orm).count(AllowedPackage, { name: input.name })) === 0) {
      return new PackageNotAllowedError(`${input.name} is not on the operators' allow-list`);
    }
    const row = new SitePackage({
      id: randomUUID(),
      siteId: input.siteId,
      name: input.name,
      addedBy: principal.userId,
    });
    let made = true;
    try {
      await forkEm(this.orm).persistAndFlush(row);
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      made = false;
    }
    return this.changes.configureChange(principal, input, request, {
      undo: () =>
        made ? forkEm(this.orm).nativeDelete(SitePackage, { id: row.id }) : Promise.resolve(0),
      action: 'package.added',
      summary: `package ${input.name} added by ${principal.userId}`,
    });
  }

  /** The server keeps an installed package (see ansible/README.md); later servers lack it. */
  async removePackage(principal: Principal, input: SitePackageInput): Promise<SiteConfigResult> {
    const request = { change: 'remove-package', name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    const row = await em.findOne(SitePackage, { siteId: input.siteId, name: input.name });
    if (!row) return new PackageNotFoundError(`the site has no package ${input.name}`);
    await em.nativeDelete(SitePackage, { id: row.id });
    return this.changes.configureChange(principal, input, request, {
      undo: () => {
        const copy = new SitePackage({ ...row });
        copy.addedAt = row.addedAt;
        return forkEm(this.orm).persistAndFlush(copy);
      },
      action: 'package.removed',
      summary: `package ${input.name} removed by ${principal.userId}`,
    });
  }

  /**
   * Makes the group, or replaces its members. Members must be site users now (roles granted to
   * users, or members of directory groups holding a role); a run later leaves out any who no
   * longer are.
   */
  async setUnixGroup(principal: Principal, input: SiteUnixGroupInput): Promise<SiteConfigResult> {
    const members = [...new Set(input.members)].sort();
    const request = { change: 'set-unix-group', name: input.name, members };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    if (reservedUnixGroupNames.includes(input.name)) {
      return new UnixGroupNameTakenError(`every server has a group named ${input.name}`);
    }
    const people = await this.people(input.siteId);
    if (people.users.some((user) => user.uid === input.name)) {
      return new UnixGroupNameTakenError(`${input.name} is one of the site's users`);
    }
    if (people.unix_groups.some((group) => group.name === input.name)) {
      return new UnixGroupNameTakenError(`${input.name} is a directory group with a role here`);
    }
    const users = new Set(people.users.map((user) => user.uid));
    const stranger = input.members.findIndex((member) => !users.has(member));
    if (stranger >= 0) {
      return new UnixGroupMemberUnknownError(
        `${input.members[stranger]} is not one of the site's users`,
        `members.${stranger}`,
      );
    }
    const em = forkEm(this.orm);
    const existing = await em.findOne(
      SiteUnixGroup,
      { siteId: input.siteId, name: input.name },
      { disableIdentityMap: true },
    );
    let undo: () => Promise<unknown>;
    if (existing) {
      await em.nativeUpdate(SiteUnixGroup, { id: existing.id }, { members });
      undo = () =>
        forkEm(this.orm).nativeUpdate(
          SiteUnixGroup,
          { id: existing.id },
          { members: existing.members },
        );
    } else {
      const group = new SiteUnixGroup({
        id: randomUUID(),
        siteId: input.siteId,
        name: input.name,
        members,
        createdBy: principal.userId,
      });
      try {
        await em.persistAndFlush(group);
        undo = () => forkEm(this.orm).nativeDelete(SiteUnixGroup, { id: group.id });
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        // Made by a concurrent request a moment ago: these members are the later word.
        await forkEm(this.orm).nativeUpdate(
          SiteUnixGroup,
          { siteId: input.siteId, name: input.name },
          { members },
        );
        undo = () => Promise.resolve();
      }
    }
    return this.changes.configureChange(principal, input, request, {
      undo,
      action: existing ? 'unix-group.changed' : 'unix-group.added',
      summary: unixGroupSummary(input.name, members, principal.userId),
    });
  }

  async removeUnixGroup(
    principal: Principal,
    input: RemoveSiteUnixGroupInput,
  ): Promise<SiteConfigResult> {
    const request = { change: 'remove-unix-group', name: input.name };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    const em = forkEm(this.orm);
    const group = await em.findOne(
      SiteUnixGroup,
      { siteId: input.siteId, name: input.name },
      { disableIdentityMap: true },
    );
    if (!group) return new UnixGroupNotFoundError(`the site has no unix group ${input.name}`);
    await em.nativeDelete(SiteUnixGroup, { id: group.id });
    return this.changes.configureChange(principal, input, request, {
      undo: () => {
        const copy = new SiteUnixGroup({ ...group, members: [...group.members] });
        copy.createdAt = group.createdAt;
        return forkEm(this.orm).persistAndFlush(copy);
      },
      action: 'unix-group.removed',
      summary: `unix group ${input.name} removed by ${principal.userId}`,
    });
  }

  async grantRole(principal: Principal, input: SiteRoleInput): Promise<SiteConfigResult> {
    const subject = roleSubject(input);
    const request = { change: 'grant-role', ...subjectOf(subject), role: input.role };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return repeat;
    // A group with nobody in it yet may be granted a role: whoever joins it gets the site.
    if (subject.type === 'group' && !(await this.groupExists(subject.name))) {
      return new GroupNotFoundError(`the directory has no group ${subject.name}`);
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
    return this.changes.configureChange(principal, input, request, {
      undo: () =>
        made ? forkEm(this.orm).nativeDelete(SiteRole, { id: grant.id }) : Promise.resolve(0),
      action: 'role.granted',
      summary: `${input.role} role granted to ${describeSubject(subject)} by ${principal.userId}`,
    });
  }

  async revokeRole(principal: Principal, input: SiteRoleInput): Promise<SiteConfigResult> {
    const subject = roleSubject(input);
    const request = { change: 'revoke-role', ...subjectOf(subject), role: input.role };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
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
    return this.changes.configureChange(principal, input, request, {
      undo: () => forkEm(this.orm).persistAndFlush(copyOfGrant(grant)),
      action: 'role.revoked',
      summary: `${input.role} role of ${describeSubject(subject)} revoked by ${principal.userId}`,
    });
  }

  /** The site's virtual host an alias change names; the default one has no aliases to change. */
  private async namedVhost(input: {
    siteId: string;
    vhost: string;
  }): Promise<Vhost | VhostNotFoundError> {
    const vhost =
      input.vhost === 'default'
        ? null
        : await forkEm(this.orm).findOne(
            Vhost,
            { siteId: input.siteId, name: input.vhost },
            { disableIdentityMap: true },
          );
    if (vhost) return vhost;
    return new VhostNotFoundError(
      input.vhost === 'default'
        ? "the default virtual host answers as the server's host name only"
        : `the site has no virtual host named ${input.vhost}`,
      'vhost',
    );
  }

  /**
   * Changes a virtual host's names in one transaction that first locks its row, so that two
   * changes of one vhost's aliases (a JSON list) never lose each other's: on PostgreSQL the row
   * lock, on SQLite the write lock (a transaction that reads first fails at once when another
   * writer commits in between). `change` reads the row as it is now and returns the columns to
   * write, or a refusal, which writes nothing. Returns the row as it was before.
   */
  private async changeVhost<R extends UserError>(
    vhostId: string,
    change: (tx: Em, vhost: Vhost) => Promise<R | Partial<Pick<Vhost, 'serverName' | 'aliases'>>>,
  ): Promise<R | VhostNotFoundError | { before: Vhost }> {
    return forkEm(this.orm).transactional(async (tx) => {
      await tx
        .getConnection()
        .execute(
          'update vhost set name = name where id = ?',
          [vhostId],
          'run',
          tx.getTransactionContext(),
        );
      const vhost = await tx.findOne(Vhost, vhostId, { disableIdentityMap: true });
      if (!vhost) return new VhostNotFoundError('the virtual host was removed meanwhile', 'vhost');
      const columns = await change(tx, vhost);
      if (columns instanceof UserError) return columns;
      if (Object.keys(columns).length > 0) await tx.nativeUpdate(Vhost, { id: vhostId }, columns);
      return { before: vhost };
    });
  }

  /** Removes a virtual host and its names (undoing an addition, or removing it). */
  private async forgetVhost(vhostId: string): Promise<void> {
    await forkEm(this.orm).transactional(async (tx) => {
      await tx.nativeDelete(DomainName, { vhostId });
      await tx.nativeDelete(Vhost, { id: vhostId });
    });
  }

  /**
   * Puts rows back when a change is taken back. A name another site claimed in the moment it
   * was free stays theirs: the vhost comes back without it (its runs then leave it out).
   */
  private async restore(rows: (Vhost | DomainName)[]): Promise<void> {
    for (const row of rows) {
      try {
        await forkEm(this.orm).persistAndFlush(row);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException) || row instanceof Vhost) {
          throw error;
        }
      }
    }
  }

  /** Tells the operators of the names that wait for them, if any. */
  private async approvalNeeded(em: Em, principal: Principal, names: DomainName[]): Promise<void> {
    const pending = names.filter((name) => name.status === 'pending');
    if (pending.length === 0) return;
    const site = await forkEm(this.orm).findOneOrFail(Site, pending[0]!.siteId, {
      fields: ['name'],
      disableIdentityMap: true,
    });
    await queueApprovalNeeded(em, pending, site.name, principal.userId);
  }

  /** The site's users and group roles; a directory that cannot answer fails the request. */
  /** The site's own people: operators supporting it for a while are not among them. */
  private async people(siteId: string): Promise<SitePeople> {
    try {
      return await sitePeople(this.orm, siteId, this.directory, { supporters: false });
    } catch (error) {
      if (error instanceof DirectoryError) throw serviceUnavailable('the directory');
      throw error;
    }
  }

  /** Whether the directory has the group; one that cannot answer fails the request (nothing changed). */
  private async groupExists(group: string): Promise<boolean> {
    try {
      return (await this.directory.findGroup(group)) !== undefined;
    } catch (error) {
      if (error instanceof DirectoryError) throw serviceUnavailable('the directory');
      throw error;
    }
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

/** Names the members when they fit the audit log's summary (varchar 500), else counts them. */
function unixGroupSummary(name: string, members: string[], actor: string): string {
  const listed = `unix group ${name} set to ${members.join(', ') || 'no members'} by ${actor}`;
  if (listed.length <= summaryLength) return listed;
  return `unix group ${name} set to ${members.length} members by ${actor}`;
}

/** The most aliases a virtual host may have (AddVhostInput allows as many). */
const maxAliases = 20;

function copyOfDomainName(name: DomainName): DomainName {
  const copy = new DomainName({ ...name, status: 'pending' });
  Object.assign(copy, {
    status: name.status,
    requestedAt: name.requestedAt,
    decidedBy: name.decidedBy,
    decidedAt: name.decidedAt,
    reason: name.reason,
  });
  return copy;
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
