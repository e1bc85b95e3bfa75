import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DirectoryError } from '../../../activities/directory/errors';
import { type Directory, type DirectoryUser } from '../../../activities/directory/port';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { AuditEvent, Site, SiteRole, type SiteStatus } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { serviceUnavailable } from '../graphql/graphql-errors';
import { DIRECTORY, LOGGER, ORM } from '../tokens';
import { type SiteAdminEmailsModel } from './site-admin-emails.model';

/** Directory lookups made at once: enough to be quick, few enough to spare an LDAP server. */
const parallelLookups = 8;

/**
 * The addresses of every live site's admins, for operators' announcements (MWS3's admin e-mail
 * list): each site's contact address, and the directory's address of each admin. A role granted
 * to a directory group counts for each of its members, as on the sites' servers (the same
 * expansion as activities/ansible/site-data.ts; nested groups are not followed). Two reads, then
 * one directory lookup per distinct group and per distinct user, then the audit row.
 *
 * A directory that cannot answer fails the whole list (SERVICE_UNAVAILABLE) rather than leave
 * people out of an announcement unnoticed; admins it does not know, or holds no address for, are
 * named in `withoutAddress`. Each list handed out is audited: it is personal data, exported.
 */
@Injectable()
export class SiteAdminEmailsService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(DIRECTORY) private readonly directory: Directory,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async list(principal: Principal, statuses: readonly SiteStatus[]): Promise<SiteAdminEmailsModel> {
    const sitesOfStatus = { status: { $in: [...statuses] } };
    const [sites, roles] = await Promise.all([
      forkEm(this.orm)
        .createQueryBuilder(Site)
        .select(['contactEmail'])
        .where(sitesOfStatus)
        .execute<Pick<Site, 'contactEmail'>[]>('all'),
      forkEm(this.orm)
        .createQueryBuilder(SiteRole)
        .select(['subjectType', 'subject'], true)
        .where({
          role: 'admin',
          siteId: {
            $in: forkEm(this.orm)
              .createQueryBuilder(Site)
              .select('id')
              .where(sitesOfStatus)
              .getKnexQuery(),
          },
        })
        .execute<Pick<SiteRole, 'subjectType' | 'subject'>[]>('all'),
    ]);
    let people: Map<string, DirectoryUser | undefined>;
    try {
      people = await this.admins(roles);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      this.log.warn({ err: error }, 'the directory could not list site admins');
      throw serviceUnavailable('The directory');
    }
    const addresses = new Map<string, string>();
    const add = (address: string | undefined) => {
      const trimmed = address?.trim();
      if (trimmed && !addresses.has(trimmed.toLowerCase())) {
        addresses.set(trimmed.toLowerCase(), trimmed);
      }
    };
    for (const site of sites) add(site.contactEmail);
    for (const user of people.values()) add(user?.mail);
    await forkEm(this.orm).persistAndFlush(
      new AuditEvent({
        id: randomUUID(),
        actor: principal.userId,
        action: 'site-admin-emails.listed',
        target: 'site-admins',
        summary:
          `${addresses.size} addresses of the admins of ${sites.length} sites ` +
          `(${statuses.join(', ')})`,
      }),
    );
    return {
      siteCount: sites.length,
      // Code-point order of the lower-case forms, the same in every locale.
      addresses: [...addresses.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, address]) => address),
      withoutAddress: [...people.entries()]
        .filter(([, user]) => !user?.mail?.trim())
        .map(([uid]) => uid)
        .sort(),
    };
  }

  /** Each admin user, by uid, as the directory has them (undefined: unknown to it). */
  private async admins(
    roles: Pick<SiteRole, 'subjectType' | 'subject'>[],
  ): Promise<Map<string, DirectoryUser | undefined>> {
    const uids = new Set(roles.filter((r) => r.subjectType === 'user').map((r) => r.subject));
    const groups = [
      ...new Set(roles.filter((r) => r.subjectType === 'group').map((r) => r.subject)),
    ];
    for (const members of await inBatches(groups, (group) => this.directory.membersOf(group))) {
      for (const uid of members) uids.add(uid);
    }
    const sorted = [...uids].sort();
    const users = await inBatches(sorted, (uid) => this.directory.findUser(uid));
    return new Map(sorted.map((uid, i) => [uid, users[i]]));
  }
}

/** `lookUp` of every item, `parallelLookups` at a time, answers in the items' order. */
async function inBatches<T, R>(items: T[], lookUp: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += parallelLookups) {
    results.push(...(await Promise.all(items.slice(i, i + parallelLookups).map(lookUp))));
  }
  return results;
}
