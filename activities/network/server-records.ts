import { type AddressFamily, parseAddress, ptrName } from '../../libs/network/addresses';
import { type DnsRecordSet, type ManagedRecordType, type ZoneChange } from './dns/port';

/** What DNS should say about one server. */
export interface ServerDnsFacts {
  hostname: string;
  ipv4: string;
  ipv6: string;
  /** The reverse zones of the pools its addresses came from. */
  ipv4ReverseZone: string;
  ipv6ReverseZone: string;
  /** SSHFP contents (`<alg> 2 <hex>`), one per host key; none before keys exist. */
  sshfp: string[];
}

/** A record set and the zone it lives in. */
export interface PlacedRecordSet extends DnsRecordSet {
  zone: string;
}

/**
 * A server's records: A, AAAA and SSHFP at its host name in the forward zone, and a PTR for each
 * address in its pool's reverse zone.
 */
export function serverRecordSets(
  facts: ServerDnsFacts,
  forwardZone: string,
  ttl: number,
): PlacedRecordSet[] {
  const target = `${facts.hostname}.`;
  const sets: PlacedRecordSet[] = [
    { zone: forwardZone, name: facts.hostname, type: 'A', ttl, records: [facts.ipv4] },
    { zone: forwardZone, name: facts.hostname, type: 'AAAA', ttl, records: [facts.ipv6] },
    {
      zone: facts.ipv4ReverseZone,
      name: ptrOf('ipv4', facts.ipv4),
      type: 'PTR',
      ttl,
      records: [target],
    },
    {
      zone: facts.ipv6ReverseZone,
      name: ptrOf('ipv6', facts.ipv6),
      type: 'PTR',
      ttl,
      records: [target],
    },
  ];
  if (facts.sshfp.length > 0) {
    sets.push({
      zone: forwardZone,
      name: facts.hostname,
      type: 'SSHFP',
      ttl,
      records: [...facts.sshfp].sort(),
    });
  }
  return sets;
}

function ptrOf(family: AddressFamily, address: string): string {
  const parsed = parseAddress(address);
  if (!parsed || parsed.family !== family)
    throw new Error(`${address} is not an ${family} address`);
  return ptrName(family, parsed.value);
}

/** Groups sets to write and sets to delete into one change per zone, zones in name order. */
export function changesByZone(
  replace: PlacedRecordSet[],
  remove: { zone: string; name: string; type: ManagedRecordType }[],
): ZoneChange[] {
  const zones = new Map<string, ZoneChange>();
  const of = (zone: string) => {
    let change = zones.get(zone);
    if (!change) zones.set(zone, (change = { zone, replace: [], remove: [] }));
    return change;
  };
  for (const { zone, ...set } of replace) of(zone).replace.push(set);
  for (const { zone, ...set } of remove) of(zone).remove.push(set);
  return [...zones.values()].sort((a, b) => a.zone.localeCompare(b.zone));
}

/** A set's identity within its zone. */
export function setKey(set: { name: string; type: string }): string {
  return `${set.name} ${set.type}`;
}

/**
 * Whether two sets say the same thing: same TTL and the same records, compared case-blind and in
 * any order (servers may store hex and names in another case).
 */
export function sameRecords(a: DnsRecordSet, b: DnsRecordSet): boolean {
  const norm = (set: DnsRecordSet) =>
    set.records
      .map((r) => r.toLowerCase())
      .sort()
      .join('\n');
  return a.ttl === b.ttl && norm(a) === norm(b);
}
