/**
 * Which of a site's domain names are approved at once, which wait for an operator, which are
 * never a virtual host's, and which of them a configuration run serves.
 */

export interface NamePolicy {
  /** BERTH_ORGANISATION_ZONES: names equal to or under one of these are approved at once. */
  organisationZones: readonly string[];
  /** BERTH_DNS_ZONE, which holds the servers' host names. */
  serverZone: string;
  /** Host names of the site's own servers. */
  ownHostnames: readonly string[];
}

/**
 * - approved / pending: the status the name starts with.
 * - reserved: inside the servers' zone but not under one of the site's own servers' host names.
 *   Every other name there is, or may become, another server's host name.
 * - server-hostname: the name of one of the site's own servers, which its default virtual host
 *   answers as already.
 */
export type NameVerdict =
  { status: 'approved' | 'pending' } | { refused: 'reserved' | 'server-hostname' };

/** True for the zone itself and every name under it, label by label (`xexample.org` is not). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

export function judgeName(name: string, policy: NamePolicy): NameVerdict {
  if (policy.ownHostnames.includes(name)) return { refused: 'server-hostname' };
  if (
    isInZone(name, policy.serverZone) &&
    !policy.ownHostnames.some((hostname) => name.endsWith(`.${hostname}`))
  ) {
    return { refused: 'reserved' };
  }
  const inside = policy.organisationZones.some((zone) => isInZone(name, zone));
  return { status: inside ? 'approved' : 'pending' };
}

/**
 * What a run serves of a virtual host, given the names approved for it: the vhost only when its
 * server name is approved (a vhost whose main name waits is not served yet, and making a waiting
 * name the main one of a served vhost is refused, so approval never takes a vhost off a server),
 * with its approved aliases. Undefined when it is not served.
 */
export function servedNames(
  vhost: { serverName: string; aliases: readonly string[] },
  approved: ReadonlySet<string>,
): { serverName: string; aliases: string[] } | undefined {
  if (!approved.has(vhost.serverName)) return undefined;
  return {
    serverName: vhost.serverName,
    aliases: vhost.aliases.filter((alias) => alias !== vhost.serverName && approved.has(alias)),
  };
}
