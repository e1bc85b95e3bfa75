import { type Em } from '../../libs/db/orm';
import { DomainName, servedNames, type Vhost } from '../../libs/domain';

/**
 * The site's virtual hosts as a configuration run serves them: with approved names only (see
 * servedNames), leaving out a vhost whose server name is not approved. One query for the site.
 */
export async function servedVhosts(em: Em, siteId: string, vhosts: Vhost[]): Promise<Vhost[]> {
  if (vhosts.length === 0) return [];
  const rows = await em.find(
    DomainName,
    { siteId, status: 'approved' },
    { fields: ['vhostId', 'name'] },
  );
  return vhosts.flatMap((vhost) => {
    const approved = new Set(rows.filter((row) => row.vhostId === vhost.id).map((row) => row.name));
    const served = servedNames(vhost, approved);
    return served ? [{ ...vhost, ...served }] : [];
  });
}
