import { databasePasswordForRun } from '../keys/server-secrets';
import { createHash } from 'node:crypto';
import { type Orm, forkEm } from '../../libs/db/orm';
import { Site, SiteRole, SiteSupport, SshKey, Vhost } from '../../libs/domain';
import { authorizedKeyLine } from '../keys/user-keys';
import { type Directory } from '../directory/port';
import { type ConfigurationTarget } from './port';
import { installedCertificates } from './site-certificates';
import { servedVhosts } from './served-vhosts';
import { allowedSitePackages } from './site-packages';
import { withSiteUnixGroups } from './site-unix-groups';

/**
 * What a configuration run is told about a site: the extra-vars file `ansible/README.md`
 * documents. Everything here is data the roles must treat as inert text.
 */
export interface SiteVars {
  berth: {
    site: { id: string | null; name: string; description: string };
    server: { vm_id: string; hostname: string; ipv4: string; ipv6: string };
    users: { uid: string; name: string; admin: boolean; ssh_keys: string[] }[];
    unix_groups: { name: string; members: string[] }[];
    admins_sudo: boolean;
    vhosts: {
      name: string;
      server_name: string;
      aliases: string[];
      web_root: string;
      tls: boolean;
    }[];
    packages: string[];
  };
}

/** The secrets file of a run: written mode 0600 for the run only, never logged. */
export interface SiteSecrets {
  berth_secrets: {
    mysql_root_password: string;
    tls: Record<string, { key: string; certificate: string; chain: string }>;
  };
}

/**
 * Reads what the site's server should look like now, so a run started after a change sees it
 * (this is what lets changes made during a run coalesce into the next one). A pool server (no
 * site yet) gets only its default virtual host and no users.
 */
export async function siteConfiguration(
  orm: Orm,
  secretKey: Buffer,
  target: ConfigurationTarget,
  /**
   * Expands roles granted to directory groups into their members (and a unix group each). Its
   * errors propagate: a run must never go ahead with a partial list, which would take access
   * away from people who still have it.
   */
  directory?: Pick<Directory, 'membersOf' | 'findUser'>,
): Promise<{
  vars: SiteVars;
  secrets: SiteSecrets;
  /** A reset database password the run sets, sealed (settleDatabasePassword), or null. */
  pendingDatabasePassword: string | null;
}> {
  const em = forkEm(orm);
  const databasePassword = await databasePasswordForRun(em, secretKey, target.vmId);
  const site = target.siteId ? await em.findOne(Site, target.siteId) : null;
  const people = site ? await sitePeople(orm, site.id, directory) : { users: [], unix_groups: [] };
  const vhosts = site
    ? await servedVhosts(
        em,
        site.id,
        await em.find(Vhost, { siteId: site.id }, { orderBy: { name: 'asc' } }),
      )
    : [];
  const users = new Map<string, { uid: string; name: string; admin: boolean; ssh_keys: string[] }>(
    people.users.map((user) => [user.uid, { ...user, ssh_keys: [] }]),
  );
  // Each user's keys as authorized_keys lines, oldest first: a change of keys reaches the
  // servers with the next run (the api asks for one on each of the user's sites).
  const keys = users.size
    ? await em.find(
        SshKey,
        { userId: { $in: [...users.keys()] } },
        { orderBy: { createdAt: 'asc', id: 'asc' } },
      )
    : [];
  for (const key of keys) users.get(key.userId)?.ssh_keys.push(authorizedKeyLine(key));
  // Each vhost's installed certificate and key (the default vhost's row id is null).
  const tls = site
    ? await installedCertificates(em, secretKey, site.id, [
        { id: null, name: 'default' },
        ...vhosts.map((vhost) => ({ id: vhost.id, name: vhost.name })),
      ])
    : {};
  return {
    vars: {
      berth: {
        site: {
          id: site?.id ?? null,
          name: site?.name ?? '',
          description: site?.description ?? '',
        },
        server: {
          vm_id: target.vmId,
          hostname: target.hostname,
          ipv4: target.ipv4,
          ipv6: target.ipv6,
        },
        users: [...users.values()],
        // Directory groups that hold a role on the site, then the site's own, with members.
        unix_groups: await withSiteUnixGroups(em, site?.id ?? null, people),
        admins_sudo: true,
        vhosts: [
          {
            name: 'default',
            server_name: target.hostname,
            aliases: [],
            web_root: '/var/www/default',
            tls: Object.hasOwn(tls, 'default'),
          },
          ...vhosts.map((vhost) => ({
            name: vhost.name,
            server_name: vhost.serverName,
            aliases: vhost.aliases,
            web_root: `/var/www/${vhost.name}`,
            tls: Object.hasOwn(tls, vhost.name),
          })),
        ],
        packages: site ? await allowedSitePackages(em, site.id) : [],
      },
    },
    secrets: {
      berth_secrets: {
        mysql_root_password: databasePassword.password,
        tls,
      },
    },
    pendingDatabasePassword: databasePassword.pending,
  };
}

/** Who may log in to a site's servers, and as what: the users and unix groups of its runs. */
export interface SitePeople {
  users: { uid: string; name: string; admin: boolean }[];
  unix_groups: { name: string; members: string[] }[];
}

/**
 * The site's people as its roles grant them now: roles granted to users as they are, roles
 * granted to directory groups expanded into their members (and a unix group each). Sorted, so
 * the same people always give the same answer. Without a directory, group roles grant nobody.
 * Directory errors propagate: a partial list would take access away from people who still have it.
 * Operators supporting the site are admins too, until their time is up, unless `supporters` is
 * false (the site's own people, as its admins manage them: unix groups, say).
 */
export async function sitePeople(
  orm: Orm,
  siteId: string,
  directory?: Pick<Directory, 'membersOf' | 'findUser'>,
  options: { supporters?: boolean } = {},
): Promise<SitePeople> {
  const em = forkEm(orm);
  const granted = await em.find(SiteRole, { siteId }, { orderBy: { subject: 'asc' } });
  const unixGroups: SitePeople['unix_groups'] = [];
  const roles: { subject: string; role: SiteRole['role'] }[] = [];
  for (const role of granted) {
    if (role.subjectType === 'user') {
      roles.push(role);
    } else if (directory) {
      const members = [...(await directory.membersOf(role.subject))].sort();
      if (!unixGroups.some((group) => group.name === role.subject)) {
        unixGroups.push({ name: role.subject, members });
      }
      for (const member of members) roles.push({ subject: member, role: role.role });
    }
  }
  // Operators supporting the site for a while (MWS3's supporters) are admins on its servers.
  const supporters =
    options.supporters === false
      ? []
      : await em.find(
          SiteSupport,
          { siteId, until: { $gt: new Date() } },
          { orderBy: { userId: 'asc' } },
        );
  for (const support of supporters) roles.push({ subject: support.userId, role: 'admin' });
  roles.sort((a, b) => a.subject.localeCompare(b.subject));
  const users = new Map<string, SitePeople['users'][number]>();
  for (const role of roles) {
    const user = users.get(role.subject) ?? {
      uid: role.subject,
      name: (await directory?.findUser(role.subject))?.name ?? role.subject,
      admin: false,
    };
    if (role.role === 'admin') user.admin = true;
    users.set(role.subject, user);
  }
  return { users: [...users.values()], unix_groups: unixGroups };
}

/**
 * SHA-256 (hex) of the people in a canonical form (fixed key order, users and groups sorted), so
 * a run can record whom it applied and a refresh can tell whether the directory changed that.
 */
export function peopleDigest(people: SitePeople): string {
  const canonical = {
    users: people.users
      .map((user) => [user.uid, user.name, user.admin])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    unix_groups: people.unix_groups
      .map((group) => [group.name, [...group.members].sort()])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
