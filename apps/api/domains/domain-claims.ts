import { type BerthConfig } from '../../../libs/config';
import { type Em } from '../../../libs/db/orm';
import { DomainName, judgeName, NetworkConfig } from '../../../libs/domain';
import { DomainReservedError, DomainTakenError } from './domain-name.payload';

/** A name a virtual host is to answer as, and the input field that gave it. */
export interface RequestedName {
  name: string;
  field: string;
}

export interface JudgedName extends RequestedName {
  status: 'approved' | 'pending';
}

export type NameRefusal = DomainTakenError | DomainReservedError;

/**
 * Decides the status each name starts with (approved inside the organisation's zones, pending
 * outside), or refuses the first name that cannot be a virtual host's: one inside the servers'
 * zone that is not under the site's own server's host name, the server's host name itself, or
 * one that a virtual host already answers as. Reads only: the unique constraint on
 * `domain_name.name` settles two claims racing past this check (see takenName).
 */
export async function judgeSiteNames(
  em: Em,
  config: BerthConfig,
  siteId: string,
  names: readonly RequestedName[],
): Promise<JudgedName[] | NameRefusal> {
  const servers = await em.find(
    NetworkConfig,
    { siteId, state: 'allocated' },
    { fields: ['hostname'], disableIdentityMap: true },
  );
  const policy = {
    organisationZones: config.domains.organisationZones,
    serverZone: config.network.zone,
    ownHostnames: servers.map((server) => server.hostname),
  };
  const judged: JudgedName[] = [];
  for (const requested of names) {
    const verdict = judgeName(requested.name, policy);
    if ('refused' in verdict) {
      return verdict.refused === 'reserved'
        ? new DomainReservedError(
            `${requested.name} is in ${config.network.zone}, where only names under the server's own host name may be used`,
            requested.field,
          )
        : new DomainTakenError(
            `${requested.name} is the server's host name, which the default virtual host answers as`,
            requested.field,
          );
    }
    judged.push({ ...requested, status: verdict.status });
  }
  return (await takenName(em, siteId, names)) ?? judged;
}

/** The first of the names some virtual host answers as already, as a refusal. */
export async function takenName(
  em: Em,
  siteId: string,
  names: readonly RequestedName[],
): Promise<DomainTakenError | undefined> {
  if (names.length === 0) return undefined;
  const held = await em.find(
    DomainName,
    { name: { $in: names.map((requested) => requested.name) } },
    { fields: ['name', 'siteId'], disableIdentityMap: true },
  );
  const first = names.find((requested) => held.some((row) => row.name === requested.name));
  if (!first) return undefined;
  // Another site's name is not secret (DNS shows where it points), but which site holds it is.
  const ours = held.find((row) => row.name === first.name)?.siteId === siteId;
  return new DomainTakenError(
    ours
      ? `a virtual host of this site answers as ${first.name} already`
      : `another site uses ${first.name}`,
    first.field,
  );
}

/** The new rows of judged names, for one virtual host. */
export function domainNameRows(
  judged: readonly JudgedName[],
  owner: { siteId: string; vhostId: string; requestedBy: string },
  newId: () => string,
): DomainName[] {
  return judged.map(
    (name) => new DomainName({ id: newId(), ...owner, name: name.name, status: name.status }),
  );
}
