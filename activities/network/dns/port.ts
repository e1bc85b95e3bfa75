/**
 * The Dns port: what Berth asks of the authoritative DNS server for the zones it manages.
 *
 * Names are absolute and lower case, written without the trailing dot (`web-1.sites.example`).
 * Record contents are in zone-file presentation form, as the server stores them: a CNAME or PTR
 * target ends with a dot (`web-1.sites.example.`), an SSHFP record is `<alg> <type> <hex>`.
 *
 * Every call is idempotent: replacing a record set with the contents it has changes nothing, and
 * removing a missing set succeeds. Failures are DnsErrors (./errors), which say whether a retry
 * can help.
 */
export interface Dns {
  /** Adapter name as configured (`simulated`, `powerdns`), shown in logs and systemInfo. */
  readonly name: string;
  /**
   * Creates the zone when it is missing, with its SOA and NS records, signed with DNSSEC when
   * `dnssec` is set. An existing zone is left as it is, except that signing is switched on when
   * asked for and missing.
   */
  ensureZone(zone: string, options: { dnssec: boolean }): Promise<void>;
  /**
   * Applies one batch of changes to one zone, in one write to the server (all or nothing): each
   * `replace` set becomes exactly the given records, each `remove` set disappears. A change the
   * zone already holds writes nothing.
   */
  applyChanges(change: ZoneChange): Promise<void>;
  /**
   * The zone's record sets of the types Berth manages (managedRecordTypes): not SOA, NS or the
   * DNSSEC records the server makes itself. A missing zone gives DnsZoneMissing.
   */
  listRecordSets(zone: string): Promise<DnsRecordSet[]>;
  /** Releases connections. */
  close(): Promise<void>;
}

export const managedRecordTypes = ['A', 'AAAA', 'PTR', 'CNAME', 'SSHFP'] as const;
export type ManagedRecordType = (typeof managedRecordTypes)[number];

export interface DnsRecordSet {
  name: string;
  type: ManagedRecordType;
  ttl: number;
  /** Presentation-form contents; never empty (an empty set is a removal). */
  records: string[];
}

export interface ZoneChange {
  zone: string;
  replace: DnsRecordSet[];
  remove: { name: string; type: ManagedRecordType }[];
}
