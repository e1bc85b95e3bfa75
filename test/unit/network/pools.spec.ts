import { describe, expect, it } from 'vitest';
import {
  type PoolDefinition,
  type PoolProblem,
  checkPoolDefinition,
  inRanges,
  maxReservedRanges,
  overlappingPools,
  poolLayout,
  skipKept,
} from '../../../libs/network/pools';

function aPool(overrides: Partial<PoolDefinition> = {}): PoolDefinition {
  return { name: 'office', cidr: '192.0.2.0/24', gateway: '192.0.2.1', reserved: [], ...overrides };
}

function anIpv6Pool(overrides: Partial<PoolDefinition> = {}): PoolDefinition {
  return aPool({ cidr: '2001:db8:b0::/64', gateway: '2001:db8:b0::1', ...overrides });
}

function range(first: string, last = first) {
  return { first, last };
}

/** The problems of a definition checkPoolDefinition must refuse. */
function problemsOf(definition: PoolDefinition): PoolProblem[] {
  const checked = checkPoolDefinition(definition);
  if (!Array.isArray(checked)) throw new Error(`${definition.cidr} was accepted`);
  return checked;
}

function fieldsOf(definition: PoolDefinition): string[] {
  return problemsOf(definition).map((problem) => problem.field);
}

/** Asserts the definition has exactly one problem, on `field`, whose message matches. */
function expectOneProblem(definition: PoolDefinition, field: string, message: RegExp): void {
  const problems = problemsOf(definition);
  expect(problems.map((problem) => problem.field)).toEqual([field]);
  expect(problems[0]!.message).toMatch(message);
}

describe(poolLayout.name, () => {
  it('keeps back the gateway and reserved ranges from the capacity', () => {
    const layout = poolLayout(aPool({ reserved: [range('192.0.2.10', '192.0.2.19')] }));
    expect(layout.usable).toEqual({ first: 1, last: 254 });
    expect(layout.kept).toEqual([
      { first: 1, last: 1 },
      { first: 10, last: 19 },
    ]);
    expect(layout.capacity).toBe(243);
  });

  it('offers every usable address when nothing is kept', () => {
    const layout = poolLayout(aPool({ gateway: null }));
    expect(layout.kept).toEqual([]);
    expect(layout.capacity).toBe(254);
  });

  it('sorts and merges adjacent and overlapping ranges, counting each address once', () => {
    const layout = poolLayout(
      aPool({
        gateway: '192.0.2.15',
        reserved: [
          range('192.0.2.20', '192.0.2.29'),
          range('192.0.2.100'),
          range('192.0.2.10', '192.0.2.19'),
          range('192.0.2.25', '192.0.2.40'),
          range('192.0.2.100'),
        ],
      }),
    );
    expect(layout.kept).toEqual([
      { first: 10, last: 40 },
      { first: 100, last: 100 },
    ]);
    expect(layout.capacity).toBe(254 - 31 - 1);
  });

  it('clips ranges to the usable offsets', () => {
    const layout = poolLayout(
      aPool({
        gateway: null,
        reserved: [range('192.0.2.0', '192.0.2.4'), range('192.0.2.250', '192.0.2.255')],
      }),
    );
    expect(layout.kept).toEqual([
      { first: 1, last: 4 },
      { first: 250, last: 254 },
    ]);
    expect(layout.capacity).toBe(245);
  });

  it('drops a range that holds only the network or broadcast address', () => {
    const layout = poolLayout(
      aPool({ gateway: null, reserved: [range('192.0.2.0'), range('192.0.2.255')] }),
    );
    expect(layout.kept).toEqual([]);
    expect(layout.capacity).toBe(254);
  });

  it('has no capacity in a /31 or an IPv6 /128', () => {
    expect(poolLayout(aPool({ cidr: '192.0.2.0/31', gateway: null })).capacity).toBe(0);
    expect(poolLayout(aPool({ cidr: '2001:db8::/128', gateway: null })).capacity).toBe(0);
  });

  it('stops at the largest safe integer in an IPv6 /64 and ignores ranges beyond it', () => {
    const layout = poolLayout(
      anIpv6Pool({
        reserved: [
          range('2001:db8:b0::10', '2001:db8:b0::1f'),
          range('2001:db8:b0:0:ffff::', '2001:db8:b0:0:ffff:ffff:ffff:ffff'),
        ],
      }),
    );
    expect(layout.usable).toEqual({ first: 1, last: Number.MAX_SAFE_INTEGER });
    expect(layout.kept).toEqual([
      { first: 1, last: 1 },
      { first: 16, last: 31 },
    ]);
    expect(layout.capacity).toBe(Number.MAX_SAFE_INTEGER - 17);
  });

  it('refuses a pool whose CIDR is not a network', () => {
    expect(() => poolLayout(aPool({ cidr: '192.0.2.7/24' }))).toThrow(/host-bits/);
  });
});

describe(skipKept.name, () => {
  const layout = poolLayout(
    aPool({
      reserved: [
        range('192.0.2.10', '192.0.2.19'),
        range('192.0.2.20', '192.0.2.29'),
        range('192.0.2.25', '192.0.2.34'),
        range('192.0.2.36', '192.0.2.36'),
      ],
    }),
  );

  it('returns an offset that is not kept', () => {
    expect(skipKept(layout, 2)).toBe(2);
    expect(skipKept(layout, 9)).toBe(9);
    expect(skipKept(layout, 35)).toBe(35);
  });

  it('starts at the first usable offset, past the gateway', () => {
    expect(skipKept(layout, 0)).toBe(2);
    expect(skipKept(layout, 1)).toBe(2);
  });

  it('jumps over adjacent and overlapping ranges in one go', () => {
    expect(skipKept(layout, 10)).toBe(35);
    expect(skipKept(layout, 22)).toBe(35);
    expect(skipKept(layout, 34)).toBe(35);
    expect(skipKept(layout, 36)).toBe(37);
  });

  it('goes past the last usable offset when the end is kept', () => {
    const full = poolLayout(aPool({ reserved: [range('192.0.2.250', '192.0.2.254')] }));
    expect(skipKept(full, 250)).toBe(255);
    expect(skipKept(full, 255)).toBeGreaterThan(full.usable.last);
  });
});

describe(inRanges.name, () => {
  const ranges = [
    { first: 1, last: 1 },
    { first: 10, last: 19 },
  ];

  it('includes both ends of a range and nothing between ranges', () => {
    expect([0, 1, 2, 9, 10, 19, 20].filter((n) => inRanges(ranges, n))).toEqual([1, 10, 19]);
    expect(inRanges([], 1)).toBe(false);
  });
});

describe(checkPoolDefinition.name, () => {
  it('accepts a valid IPv4 pool and derives its family and reverse zone', () => {
    expect(checkPoolDefinition(aPool({ reserved: [range('192.0.2.10', '192.0.2.19')] }))).toEqual({
      name: 'office',
      family: 'ipv4',
      cidr: '192.0.2.0/24',
      gateway: '192.0.2.1',
      reserved: [range('192.0.2.10', '192.0.2.19')],
      reverseZone: '2.0.192.in-addr.arpa',
    });
  });

  it('accepts a pool without a gateway', () => {
    expect(checkPoolDefinition(aPool({ gateway: null }))).toMatchObject({ gateway: null });
  });

  it('returns IPv6 addresses in canonical text', () => {
    expect(
      checkPoolDefinition(
        anIpv6Pool({
          cidr: '2001:DB8:B0:0::/64',
          gateway: '2001:DB8:00B0::0001',
          reserved: [range('2001:db8:b0:0:0:0:0:10', '2001:DB8:B0::1F')],
        }),
      ),
    ).toEqual({
      name: 'office',
      family: 'ipv6',
      cidr: '2001:db8:b0::/64',
      gateway: '2001:db8:b0::1',
      reserved: [range('2001:db8:b0::10', '2001:db8:b0::1f')],
      reverseZone: '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    });
  });

  it('refuses a CIDR that is not one, naming the field', () => {
    expect(fieldsOf(aPool({ cidr: '192.0.2.0/33' }))).toEqual(['cidr']);
    expect(fieldsOf(aPool({ cidr: '192.0.2.0' }))).toEqual(['cidr']);
    expect(fieldsOf(anIpv6Pool({ cidr: '2001:db8::/129' }))).toEqual(['cidr']);
  });

  it('refuses a CIDR with host bits set and says so', () => {
    expectOneProblem(aPool({ cidr: '192.0.2.7/24' }), 'cidr', /host bits must be zero/);
  });

  it('refuses a gateway outside the network', () => {
    expectOneProblem(aPool({ gateway: '198.51.100.1' }), 'gateway', /outside 192\.0\.2\.0\/24/);
  });

  it('refuses a gateway of the other family', () => {
    expect(fieldsOf(aPool({ gateway: '2001:db8:b0::1' }))).toEqual(['gateway']);
    expect(fieldsOf(anIpv6Pool({ gateway: '192.0.2.1' }))).toEqual(['gateway']);
  });

  it('refuses a gateway that is no address, quoting at most 60 characters of it', () => {
    const definition = aPool({ gateway: `192.0.2.1 ${'x'.repeat(500)}` });
    expectOneProblem(definition, 'gateway', /^"192\.0\.2\.1 x{50}" is not an IP address$/);
  });

  it.each(['192.0.2.0', '192.0.2.255'])(
    'refuses %s, the network or broadcast, as gateway',
    (gw) => {
      expectOneProblem(aPool({ gateway: gw }), 'gateway', /network or broadcast/);
    },
  );

  it('refuses the IPv6 network address as gateway', () => {
    expect(fieldsOf(anIpv6Pool({ gateway: '2001:db8:b0::' }))).toEqual(['gateway']);
  });

  it.each(['2001:db8:b0:0:ffff:ffff:ffff:ffff', '2001:db8:b0:0:20::1', '2001:db8:b0::ffff:1'])(
    'accepts %s, far into an IPv6 /64, as gateway',
    (gateway) => {
      expect(checkPoolDefinition(anIpv6Pool({ gateway }))).toMatchObject({ gateway });
    },
  );

  it('accepts the last address of a small IPv6 network as gateway, there being no broadcast', () => {
    const pool = anIpv6Pool({ cidr: '2001:db8:b0::/120', gateway: '2001:db8:b0::ff' });
    expect(checkPoolDefinition(pool)).toMatchObject({ gateway: '2001:db8:b0::ff' });
  });

  it('refuses a reserved range whose first address comes after its last', () => {
    const definition = aPool({
      reserved: [range('192.0.2.10'), range('192.0.2.20', '192.0.2.19')],
    });
    expectOneProblem(definition, 'reserved.1', /the first address comes after the last/);
  });

  it('refuses reserved addresses outside the network, naming each end', () => {
    expect(
      fieldsOf(
        aPool({
          reserved: [
            range('192.0.1.250', '192.0.2.5'),
            range('192.0.2.250', '192.0.3.5'),
            range('2001:db8:b0::1'),
            range('not an address', '192.0.2.9'),
          ],
        }),
      ),
    ).toEqual([
      'reserved.0.first',
      'reserved.1.last',
      'reserved.2.first',
      'reserved.2.last',
      'reserved.3.first',
    ]);
  });

  it(`accepts ${maxReservedRanges} reserved ranges and refuses more`, () => {
    const ranges = Array.from({ length: maxReservedRanges + 1 }, (_, i) =>
      range(`192.0.2.${i + 10}`),
    );
    expect(checkPoolDefinition(aPool({ reserved: ranges.slice(0, -1) }))).toMatchObject({
      reserved: ranges.slice(0, -1),
    });
    expect(problemsOf(aPool({ reserved: ranges }))).toEqual([
      { field: 'reserved', message: `at most ${maxReservedRanges} reserved ranges` },
    ]);
  });

  it('checks only the allowed number of ranges of an overlong list', () => {
    const ranges = Array.from({ length: 10_000 }, () => range('nonsense'));
    const fields = fieldsOf(aPool({ reserved: ranges }));
    expect(fields[0]).toBe('reserved');
    expect(fields.length).toBe(1 + 2 * maxReservedRanges);
  });

  it('reports every problem of a definition at once', () => {
    expect(
      fieldsOf(aPool({ gateway: '192.0.2.255', reserved: [range('192.0.2.9', '192.0.2.8')] })),
    ).toEqual(['gateway', 'reserved.0']);
  });

  it('refuses a pool whose every usable address is kept back', () => {
    const problems = [
      problemsOf(aPool({ cidr: '192.0.2.0/30', reserved: [range('192.0.2.2')] })),
      problemsOf(aPool({ gateway: null, reserved: [range('192.0.2.0', '192.0.2.255')] })),
      problemsOf(anIpv6Pool({ cidr: '2001:db8:b0::/127', gateway: '2001:db8:b0::1' })),
    ];
    for (const found of problems) {
      expect(found).toEqual([
        { field: 'cidr', message: 'the pool has no address left to hand out' },
      ]);
    }
  });

  it('refuses an IPv4 /31 or /32, which has no address to hand out', () => {
    expect(fieldsOf(aPool({ cidr: '192.0.2.0/31', gateway: null }))).toEqual(['cidr']);
    expect(fieldsOf(aPool({ cidr: '192.0.2.0/32', gateway: null }))).toEqual(['cidr']);
  });

  it('accepts a pool with one address left', () => {
    expect(checkPoolDefinition(aPool({ cidr: '192.0.2.0/30' }))).toMatchObject({
      cidr: '192.0.2.0/30',
    });
  });
});

describe(overlappingPools.name, () => {
  const pools = [
    { name: 'a', cidr: '192.0.2.0/25' },
    { name: 'b', cidr: '192.0.2.128/25' },
    { name: 'c', cidr: '10.0.0.0/8' },
    { name: 'd', cidr: '2001:db8:b0::/64' },
    { name: 'e', cidr: '0.0.0.0/0' },
  ];
  const names = (cidr: string) => overlappingPools(cidr, pools).map((pool) => pool.name);

  it('finds the pools that share an address with the network', () => {
    expect(names('192.0.2.0/24')).toEqual(['a', 'b', 'e']);
    expect(names('192.0.2.200/32')).toEqual(['b', 'e']);
    expect(names('2001:db8::/32')).toEqual(['d']);
  });

  it('returns the pools it was given', () => {
    expect(overlappingPools('10.1.0.0/16', pools)).toEqual([pools[2], pools[4]]);
  });

  it('never sees an overlap across families', () => {
    expect(names('::/0')).toEqual(['d']);
    // The IPv4-mapped block holds IPv6 addresses, not the IPv4 addresses they spell.
    expect(names('::ffff:0:0/96')).toEqual([]);
    expect(overlappingPools('0.0.0.0/0', [{ name: 'v6', cidr: '::/0' }])).toEqual([]);
  });

  it('finds nothing for a CIDR that is not a network, and skips pools that are not', () => {
    expect(names('192.0.2.7/24')).toEqual([]);
    expect(overlappingPools('192.0.2.0/24', [{ name: 'bad', cidr: 'nonsense' }])).toEqual([]);
  });
});
