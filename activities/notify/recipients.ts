import { type Em } from '../../libs/db/orm';
import { type Notification, Site, SiteRole } from '../../libs/domain';
import { type Directory } from '../directory/port';
import { uniqueAddresses } from './queue';

export interface Recipients {
  addresses: string[];
  /** Admins (or operators) the directory does not know, or holds no address for. */
  withoutAddress: string[];
}

/**
 * Where a notification goes now: the addresses named when it was queued, and its audience as the
 * database and the directory have them at this moment. Directory errors propagate: a delivery
 * that cannot list everyone waits rather than leave people out.
 */
export async function notificationRecipients(
  em: Em,
  directory: Pick<Directory, 'membersOf' | 'findUser'>,
  notification: Pick<Notification, 'recipients' | 'audience' | 'siteId'>,
  options: { operatorGroup: string },
): Promise<Recipients> {
  const named = notification.recipients.split(',');
  if (notification.audience === 'site' && notification.siteId) {
    const site = await siteAdminAddresses(em, directory, notification.siteId);
    return {
      addresses: uniqueAddresses([...named, ...site.addresses]),
      withoutAddress: site.withoutAddress,
    };
  }
  if (notification.audience === 'operators') {
    const operators = await usersAddresses(
      directory,
      await directory.membersOf(options.operatorGroup),
    );
    return {
      addresses: uniqueAddresses([...named, ...operators.addresses]),
      withoutAddress: operators.withoutAddress,
    };
  }
  return { addresses: uniqueAddresses(named), withoutAddress: [] };
}

/**
 * A site's contact address and the directory addresses of its admins, a role granted to a
 * directory group counting for each of its members (as on the site's servers; nested groups are
 * not followed). Nothing for a site that does not exist.
 */
export async function siteAdminAddresses(
  em: Em,
  directory: Pick<Directory, 'membersOf' | 'findUser'>,
  siteId: string,
): Promise<Recipients> {
  const site = await em.findOne(Site, siteId, { fields: ['contactEmail'] });
  if (!site) return { addresses: [], withoutAddress: [] };
  const roles = await em.find(
    SiteRole,
    { siteId, role: 'admin' },
    { fields: ['subjectType', 'subject'], orderBy: { subject: 'asc' } },
  );
  const uids = new Set(roles.filter((r) => r.subjectType === 'user').map((r) => r.subject));
  for (const role of roles) {
    if (role.subjectType !== 'group') continue;
    for (const uid of await directory.membersOf(role.subject)) uids.add(uid);
  }
  const admins = await usersAddresses(directory, [...uids].sort());
  return {
    addresses: uniqueAddresses([site.contactEmail, ...admins.addresses]),
    withoutAddress: admins.withoutAddress,
  };
}

async function usersAddresses(
  directory: Pick<Directory, 'findUser'>,
  uids: readonly string[],
): Promise<Recipients> {
  const addresses: string[] = [];
  const withoutAddress: string[] = [];
  for (const uid of uids) {
    const mail = (await directory.findUser(uid))?.mail?.trim();
    if (mail) addresses.push(mail);
    else withoutAddress.push(uid);
  }
  return { addresses, withoutAddress };
}
