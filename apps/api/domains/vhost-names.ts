import { type DomainName, type Vhost } from '../../../libs/domain';
import { DomainNameStatusEnum, type VhostNameModel } from './domain-name.model';

/**
 * A virtual host's names as its admins see them: the server name, then the aliases, each with
 * the status of its `domain_name` row. A name without a row of this vhost is one that another
 * virtual host held first when names became unique (migration 20261205000300): never served.
 */
export function vhostNames(
  vhost: Pick<Vhost, 'id' | 'serverName' | 'aliases'>,
  rows: readonly Pick<DomainName, 'vhostId' | 'name' | 'status' | 'reason'>[],
): VhostNameModel[] {
  const names = [vhost.serverName, ...vhost.aliases.filter((a) => a !== vhost.serverName)];
  return names.map((name) => {
    const row = rows.find((candidate) => candidate.vhostId === vhost.id && candidate.name === name);
    return row
      ? { name, status: row.status as DomainNameStatusEnum, reason: row.reason }
      : {
          name,
          status: DomainNameStatusEnum.REJECTED,
          reason: 'another virtual host answers as this name',
        };
  });
}

/** The default virtual host's one name: the server's host name, which needs no approval. */
export function defaultVhostNames(hostname: string): VhostNameModel[] {
  return [{ name: hostname, status: DomainNameStatusEnum.APPROVED, reason: null }];
}
