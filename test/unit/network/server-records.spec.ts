import { describe, expect, it } from 'vitest';
import { type DnsRecordSet } from '../../../activities/network/dns/port';
import {
  type ServerDnsFacts,
  changesByZone,
  sameRecords,
  serverRecordSets,
} from '../../../activities/network/server-records';

const forwardZone = 'sites.berth.test';
const ipv4Zone = '2.0.192.in-addr.arpa';
const ipv6Zone = '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa';

// SHA-256 fingerprints of three host keys, as `<algorithm> 2 <hex>`.
const rsaSshfp = `1 2 ${'a1'.repeat(32)}`;
const ecdsaSshfp = `3 2 ${'c3'.repeat(32)}`;
const ed25519Sshfp = `4 2 ${'e4'.repeat(32)}`;

function aServer(overrides: Partial<ServerDnsFacts> = {}): ServerDnsFacts {
  return {
    hostname: `web-7.${forwardZone}`,
    ipv4: '192.0.2.7',
    ipv6: '2001:db8:b0::a:2c',
    ipv4ReverseZone: ipv4Zone,
    ipv6ReverseZone: ipv6Zone,
    sshfp: [ed25519Sshfp, rsaSshfp, ecdsaSshfp],
    ...overrides,
  };
}

function aSet(overrides: Partial<DnsRecordSet> = {}): DnsRecordSet {
  return {
    name: `web-7.${forwardZone}`,
    type: 'A',
    ttl: 300,
    records: ['192.0.2.7'],
    ...overrides,
  };
}

describe(serverRecordSets.name, () => {
  it('names the server in the forward zone and its addresses in their reverse zones', () => {
    const sets = serverRecordSets(aServer(), forwardZone, 300);

    expect(sets).toEqual([
      {
        zone: forwardZone,
        name: 'web-7.sites.berth.test',
        type: 'A',
        ttl: 300,
        records: ['192.0.2.7'],
      },
      {
        zone: forwardZone,
        name: 'web-7.sites.berth.test',
        type: 'AAAA',
        ttl: 300,
        records: ['2001:db8:b0::a:2c'],
      },
      {
        zone: ipv4Zone,
        name: '7.2.0.192.in-addr.arpa',
        type: 'PTR',
        ttl: 300,
        records: ['web-7.sites.berth.test.'],
      },
      {
        zone: ipv6Zone,
        // 2001:db8:b0:0:0:0:a:2c, one nibble a label, least significant first.
        name: `c.2.0.0.a.0.0.0.0.0.0.0.0.0.0.0.${ipv6Zone}`,
        type: 'PTR',
        ttl: 300,
        records: ['web-7.sites.berth.test.'],
      },
      {
        zone: forwardZone,
        name: 'web-7.sites.berth.test',
        type: 'SSHFP',
        ttl: 300,
        records: [rsaSshfp, ecdsaSshfp, ed25519Sshfp],
      },
    ]);
  });

  it('puts each PTR name inside the zone it is placed in', () => {
    for (const set of serverRecordSets(aServer(), forwardZone, 300)) {
      expect(set.name.endsWith(`.${set.zone}`)).toBe(true);
    }
  });

  it('sorts the SSHFP records whatever order the keys come in', () => {
    const orders = [
      [rsaSshfp, ecdsaSshfp, ed25519Sshfp],
      [ecdsaSshfp, ed25519Sshfp, rsaSshfp],
    ];
    for (const sshfp of orders) {
      const set = serverRecordSets(aServer({ sshfp }), forwardZone, 300).find(
        (s) => s.type === 'SSHFP',
      );
      expect(set?.records).toEqual([rsaSshfp, ecdsaSshfp, ed25519Sshfp]);
    }
  });

  it('leaves the caller its SSHFP list as it was', () => {
    const sshfp = [ed25519Sshfp, rsaSshfp];
    serverRecordSets(aServer({ sshfp }), forwardZone, 300);
    expect(sshfp).toEqual([ed25519Sshfp, rsaSshfp]);
  });

  it('has no SSHFP set before the server has keys', () => {
    const sets = serverRecordSets(aServer({ sshfp: [] }), forwardZone, 300);

    expect(sets.map((set) => set.type)).toEqual(['A', 'AAAA', 'PTR', 'PTR']);
  });

  it('gives every set the TTL it is asked for', () => {
    const sets = serverRecordSets(aServer(), forwardZone, 60);

    expect(new Set(sets.map((set) => set.ttl))).toEqual(new Set([60]));
  });

  it('refuses an address of the wrong family', () => {
    expect(() => serverRecordSets(aServer({ ipv4: '2001:db8:b0::7' }), forwardZone, 300)).toThrow(
      /not an ipv4 address/,
    );
    expect(() => serverRecordSets(aServer({ ipv6: '192.0.2.7' }), forwardZone, 300)).toThrow(
      /not an ipv6 address/,
    );
  });
});

describe(changesByZone.name, () => {
  it("groups a server's sets into one change per zone, zones in name order", () => {
    const sets = serverRecordSets(aServer(), forwardZone, 300);

    const changes = changesByZone(sets, []);

    expect(changes.map((change) => change.zone)).toEqual([ipv6Zone, ipv4Zone, forwardZone]);
    const forward = changes.find((change) => change.zone === forwardZone);
    // In the order they were given, without the zone (the change names it).
    expect(forward?.replace.map((set) => set.type)).toEqual(['A', 'AAAA', 'SSHFP']);
    expect(forward?.replace[0]).toEqual(aSet());
    expect(forward?.remove).toEqual([]);
    for (const change of changes) {
      for (const set of change.replace) expect(set).not.toHaveProperty('zone');
    }
  });

  it('puts replacements and removals of one zone in the same change', () => {
    const changes = changesByZone(
      [{ zone: forwardZone, ...aSet() }],
      [
        { zone: forwardZone, name: `old.${forwardZone}`, type: 'A' },
        { zone: ipv4Zone, name: `9.${ipv4Zone}`, type: 'PTR' },
        { zone: forwardZone, name: `old.${forwardZone}`, type: 'SSHFP' },
      ],
    );

    expect(changes).toEqual([
      { zone: ipv4Zone, replace: [], remove: [{ name: `9.${ipv4Zone}`, type: 'PTR' }] },
      {
        zone: forwardZone,
        replace: [aSet()],
        remove: [
          { name: `old.${forwardZone}`, type: 'A' },
          { name: `old.${forwardZone}`, type: 'SSHFP' },
        ],
      },
    ]);
  });

  it('makes no change of nothing', () => {
    expect(changesByZone([], [])).toEqual([]);
  });
});

describe(sameRecords.name, () => {
  it('ignores the case of names and hex digits', () => {
    expect(
      sameRecords(
        aSet({ type: 'PTR', records: ['Web-7.Sites.Berth.Test.'] }),
        aSet({ type: 'PTR', records: ['web-7.sites.berth.test.'] }),
      ),
    ).toBe(true);
    expect(
      sameRecords(
        aSet({ type: 'SSHFP', records: [rsaSshfp.toUpperCase()] }),
        aSet({ type: 'SSHFP', records: [rsaSshfp] }),
      ),
    ).toBe(true);
  });

  it('ignores the order of the records', () => {
    expect(
      sameRecords(
        aSet({ type: 'SSHFP', records: [ed25519Sshfp, rsaSshfp, ecdsaSshfp] }),
        aSet({ type: 'SSHFP', records: [rsaSshfp, ecdsaSshfp, ed25519Sshfp] }),
      ),
    ).toBe(true);
  });

  it('tells sets with another TTL apart', () => {
    expect(sameRecords(aSet({ ttl: 300 }), aSet({ ttl: 301 }))).toBe(false);
  });

  it('tells sets with other, fewer or more records apart', () => {
    expect(sameRecords(aSet({ records: ['192.0.2.7'] }), aSet({ records: ['192.0.2.8'] }))).toBe(
      false,
    );
    expect(
      sameRecords(
        aSet({ type: 'SSHFP', records: [rsaSshfp, ecdsaSshfp] }),
        aSet({ type: 'SSHFP', records: [rsaSshfp, ecdsaSshfp, ed25519Sshfp] }),
      ),
    ).toBe(false);
    expect(
      sameRecords(aSet({ records: ['192.0.2.7', '192.0.2.7'] }), aSet({ records: ['192.0.2.7'] })),
    ).toBe(false);
  });
});
