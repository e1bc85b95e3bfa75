import { type Em } from '../../libs/db/orm';
import { SiteUnixGroup } from '../../libs/domain';
import { type SitePeople } from './site-data';

/**
 * The unix groups of a run: those of the directory groups holding a role, then the site's own,
 * by name. A run never fails for what changed since a group was written: members who are no
 * longer site users are left out, and so is a group whose name is now a user's or a directory
 * group's (the roles' checks would refuse the run otherwise).
 */
export async function withSiteUnixGroups(
  em: Em,
  siteId: string | null,
  people: SitePeople,
): Promise<SitePeople['unix_groups']> {
  if (siteId === null) return people.unix_groups;
  const own = await em.find(
    SiteUnixGroup,
    { siteId },
    { orderBy: { name: 'asc' }, disableIdentityMap: true },
  );
  const uids = new Set(people.users.map((user) => user.uid));
  const taken = new Set([...uids, ...people.unix_groups.map((group) => group.name)]);
  return [
    ...people.unix_groups,
    ...own
      .filter((group) => !taken.has(group.name))
      .map((group) => ({
        name: group.name,
        members: group.members.filter((member) => uids.has(member)),
      })),
  ];
}
