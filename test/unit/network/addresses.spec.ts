import { describe, expect, it } from 'vitest';
import {
  type Cidr,
  addressAt,
  contains,
  formatAddress,
  formatCidr,
  lastAddress,
  offsetOf,
  overlaps,
  parseAddress,
  parseCidr,
  ptrName,
  reverseZone,
  usableOffsets,
} from '../../../libs/network/addresses';

/** A network the test knows to be valid; fails the test loudly otherwise. */
function network(text: string): Cidr {
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') throw new Error(`${text} is not a network (${cidr})`);
  return cidr;
}

/** The canonical text of an address, or undefined when parseAddress refuses it. */
function canonical(text: string): string | undefined {
  const address = parseAddress(text);
  return address && formatAddress(address.family, address.value);
}

describe(parseAddress.name, () => {
  it('reads a dotted quad as a big-endian number', () => {
    expect(parseAddress('192.0.2.1')).toEqual({ family: 'ipv4', value: 0xc0000201n });
    expect(parseAddress('0.0.0.0')).toEqual({ family: 'ipv4', value: 0n });
    expect(parseAddress('255.255.255.255')).toEqual({ family: 'ipv4', value: 0xffffffffn });
  });

  it('reads the compressed IPv6 forms', () => {
    expect(parseAddress('::')).toEqual({ family: 'ipv6', value: 0n });
    expect(parseAddress('::1')).toEqual({ family: 'ipv6', value: 1n });
    expect(parseAddress('fe80::')).toEqual({ family: 'ipv6', value: 0xfe80n << 112n });
    expect(parseAddress('2001:db8:b0::1')).toEqual({
      family: 'ipv6',
      value: 0x20010db800b000000000000000000001n,
    });
  });

  it('accepts upper-case hexadecimal and writes it in lower case', () => {
    expect(canonical('2001:DB8:0:0:0:0:0:ABCD')).toBe('2001:db8::abcd');
    expect(canonical('FE80::1')).toBe('fe80::1');
  });

  it('accepts :: standing for a single zero group, and writes that group out', () => {
    expect(canonical('1::2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(canonical('1:2:3:4:5:6:7::')).toBe('1:2:3:4:5:6:7:0');
  });

  it('accepts the full form of the longest address', () => {
    const full = '0000:0000:0000:0000:0000:0000:0000:0001';
    expect(full).toHaveLength(39);
    expect(canonical(full)).toBe('::1');
  });

  it.each([
    ['an octet with a leading zero (octal to some parsers)', '192.168.01.1'],
    ['an octet of two zeros', '192.168.00.1'],
    ['three octets', '1.2.3'],
    ['five octets', '1.2.3.4.5'],
    ['an octet over 255', '256.1.1.1'],
    ['an empty octet', '1..2.3'],
    ['a trailing dot', '1.2.3.4.'],
    ['a hexadecimal octet', '0x7f.0.0.1'],
    ['a single number', '3221225985'],
    ['a leading space', ' 192.0.2.1'],
    ['a trailing space', '192.0.2.1 '],
    ['a trailing newline', '192.0.2.1\n'],
    ['a space inside', '192.0.2. 1'],
    ['a sign', '+1.2.3.4'],
    ['non-ASCII digits', '١٩٢.0.2.1'],
    ['the empty string', ''],
    ['an embedded IPv4 address', '::ffff:1.2.3.4'],
    ['an embedded IPv4 address in full form', '0:0:0:0:0:ffff:192.0.2.1'],
    ['a zone id', 'fe80::1%eth0'],
    ['three colons', ':::'],
    ['three colons before a group', '1:::2'],
    ['two ::', '1::2::3'],
    ['two :: at the ends', '::1::'],
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups without ::', '1:2:3:4:5:6:7'],
    ['eight groups and ::', '1::2:3:4:5:6:7:8'],
    ['eight groups and a leading ::', '::1:2:3:4:5:6:7:8'],
    ['a leading single colon', ':1:2:3:4:5:6:7'],
    ['a trailing single colon', '1:2:3:4:5:6:7:'],
    ['a trailing colon after ::', '::1:'],
    ['a group of five digits', '00001::'],
    ['a non-hexadecimal group', '2001:db8::g'],
    ['a 0x prefix', '0x1::'],
    ['a space in IPv6', '2001:db8:: 1'],
    ['brackets', '[::1]'],
    ['a prefix length', '2001:db8::/64'],
    ['a 40-character full form', '0000:0000:0000:0000:0000:0000:0000:00001'],
    ['an overlong run of zeros', `${'0'.repeat(100)}::1`],
    ['an overlong string', '1'.repeat(100_000)],
    ['an overlong dotted string', '1.'.repeat(50_000)],
  ])('refuses %s: %j', (_, text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe(formatAddress.name, () => {
  it.each([
    ['2001:0db8:00b0:0000:0000:0000:0000:0001', '2001:db8:b0::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:1:1:1:1:1:0', '2001:db8:1:1:1:1:1:0'],
    ['2001:db8:0:0:1:1:1:1', '2001:db8::1:1:1:1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['FE80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['2001:DB8:0:0:0:0:0:ABCD', '2001:db8::abcd'],
  ])('writes %s as %s (RFC 5952)', (full, text) => {
    expect(canonical(full)).toBe(text);
  });

  it.each([
    '::',
    '::1',
    'fe80::',
    '2001:db8:b0::1',
    '2001:db8::1:0:0:1',
    '2001:db8:85a3:8d3:1319:8a2e:370:7348',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '0.0.0.0',
    '192.0.2.1',
    '10.255.0.7',
    '255.255.255.255',
  ])('round-trips %s', (text) => {
    expect(canonical(text)).toBe(text);
  });
});

describe(parseCidr.name, () => {
  it('reads a network and its prefix length', () => {
    expect(parseCidr('192.0.2.0/24')).toEqual({ family: 'ipv4', base: 0xc0000200n, prefix: 24 });
    expect(parseCidr('2001:db8:b0::/64')).toEqual({
      family: 'ipv6',
      base: 0x20010db800b0n << 80n,
      prefix: 64,
    });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 'ipv4', base: 0n, prefix: 0 });
    expect(parseCidr('192.0.2.7/32')).toEqual({ family: 'ipv4', base: 0xc0000207n, prefix: 32 });
    expect(parseCidr('::1/128')).toEqual({ family: 'ipv6', base: 1n, prefix: 128 });
  });

  it('refuses an address with host bits set rather than guess the network', () => {
    expect(parseCidr('192.0.2.7/24')).toBe('host-bits');
    expect(parseCidr('192.0.2.77/24')).toBe('host-bits');
    expect(parseCidr('192.0.2.2/31')).toEqual({ family: 'ipv4', base: 0xc0000202n, prefix: 31 });
    expect(parseCidr('192.0.2.3/31')).toBe('host-bits');
    expect(parseCidr('2001:db8:b0::abcd/64')).toBe('host-bits');
    expect(parseCidr('2001:db8:b0::1/127')).toBe('host-bits');
  });

  it.each([
    ['a prefix over 32 for IPv4', '192.0.2.0/33'],
    ['a prefix over 128 for IPv6', '2001:db8::/129'],
    ['a four-digit prefix', '2001:db8::/1000'],
    ['no prefix', '192.0.2.0'],
    ['an empty prefix', '192.0.2.0/'],
    ['no address', '/24'],
    ['a negative prefix', '192.0.2.0/-1'],
    ['a netmask for a prefix', '192.0.2.0/255.255.255.0'],
    ['two prefixes', '192.0.2.0/24/24'],
    ['a space', '192.0.2.0 /24'],
    ['a bad address', '192.0.2.00/24'],
    ['an embedded IPv4 address', '::ffff:192.0.2.0/120'],
    ['a zone id', 'fe80::%eth0/64'],
    ['the empty string', ''],
  ])('calls %s a syntax problem: %j', (_, text) => {
    expect(parseCidr(text)).toBe('syntax');
  });
});

describe(formatCidr.name, () => {
  it('writes the network in canonical text', () => {
    expect(formatCidr(network('2001:DB8:00B0:0::/64'))).toBe('2001:db8:b0::/64');
    expect(formatCidr(network('192.0.2.0/24'))).toBe('192.0.2.0/24');
  });
});

describe(usableOffsets.name, () => {
  it.each([
    ['192.0.2.0/24', { first: 1, last: 254 }],
    ['192.0.2.0/30', { first: 1, last: 2 }],
    ['10.0.0.0/16', { first: 1, last: 65_534 }],
    ['2001:db8:b0::/126', { first: 1, last: 3 }],
    ['2001:db8:b0::/127', { first: 1, last: 1 }],
    ['2001:db8:b0::/120', { first: 1, last: 255 }],
  ])('skips the network address (and IPv4 broadcast) in %s', (text, usable) => {
    expect(usableOffsets(network(text))).toEqual(usable);
  });

  it.each(['192.0.2.0/31', '192.0.2.0/32', '2001:db8:b0::/128'])('is empty for %s', (text) => {
    const { first, last } = usableOffsets(network(text));
    expect(last).toBeLessThan(first);
  });

  it('stops at the largest safe integer in an IPv6 /64', () => {
    expect(usableOffsets(network('2001:db8:b0::/64'))).toEqual({
      first: 1,
      last: Number.MAX_SAFE_INTEGER,
    });
    expect(usableOffsets(network('::/0')).last).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('hands out the last IPv6 address, which is no broadcast', () => {
    const cidr = network('2001:db8:b0::/120');
    expect(addressAt(cidr, usableOffsets(cidr).last)).toBe('2001:db8:b0::ff');
  });
});

describe(addressAt.name, () => {
  const v4 = network('192.0.2.0/24');
  const v6 = network('2001:db8:b0::/64');

  it('counts offsets from the network address', () => {
    expect(addressAt(v4, 1)).toBe('192.0.2.1');
    expect(addressAt(v4, 254)).toBe('192.0.2.254');
    expect(addressAt(v6, 1)).toBe('2001:db8:b0::1');
    expect(addressAt(v6, 254)).toBe('2001:db8:b0::fe');
  });

  it('counts across an octet or group boundary', () => {
    expect(addressAt(network('10.0.0.0/16'), 256)).toBe('10.0.1.0');
    expect(addressAt(v6, 256)).toBe('2001:db8:b0::100');
    expect(addressAt(v6, 0x10000)).toBe('2001:db8:b0::1:0');
  });

  it('is the inverse of offsetOf', () => {
    const value = parseAddress('2001:db8:b0::1:0')!.value;
    expect(offsetOf(v6, value)).toBe(0x10000);
    expect(offsetOf(v4, parseAddress('192.0.2.200')!.value)).toBe(200);
  });
});

describe(lastAddress.name, () => {
  it('is the broadcast address in IPv4 and the all-ones host in IPv6', () => {
    expect(formatAddress('ipv4', lastAddress(network('192.0.2.0/26')))).toBe('192.0.2.63');
    expect(formatAddress('ipv6', lastAddress(network('2001:db8:b0::/64')))).toBe(
      '2001:db8:b0:0:ffff:ffff:ffff:ffff',
    );
  });
});

describe(contains.name, () => {
  const cidr = network('192.0.2.0/24');

  it('holds its first and last address and nothing either side', () => {
    expect(contains(cidr, 'ipv4', parseAddress('192.0.2.0')!.value)).toBe(true);
    expect(contains(cidr, 'ipv4', parseAddress('192.0.2.255')!.value)).toBe(true);
    expect(contains(cidr, 'ipv4', parseAddress('192.0.1.255')!.value)).toBe(false);
    expect(contains(cidr, 'ipv4', parseAddress('192.0.3.0')!.value)).toBe(false);
  });

  it('holds no address of the other family, even one with the same number', () => {
    expect(contains(cidr, 'ipv6', 0xc0000201n)).toBe(false);
    expect(contains(network('::/96'), 'ipv4', 0xc0000201n)).toBe(false);
  });
});

describe(overlaps.name, () => {
  it('sees a network inside another and networks that share an edge address', () => {
    expect(overlaps(network('10.0.0.0/8'), network('10.1.2.0/24'))).toBe(true);
    expect(overlaps(network('10.1.2.0/24'), network('10.0.0.0/8'))).toBe(true);
    expect(overlaps(network('192.0.2.0/24'), network('192.0.2.255/32'))).toBe(true);
  });

  it('keeps neighbours and the other family apart', () => {
    expect(overlaps(network('192.0.2.0/25'), network('192.0.2.128/25'))).toBe(false);
    expect(overlaps(network('0.0.0.0/0'), network('::/0'))).toBe(false);
  });
});

describe(reverseZone.name, () => {
  it.each([
    ['192.0.2.0/24', '2.0.192.in-addr.arpa'],
    ['192.0.2.64/26', '2.0.192.in-addr.arpa'],
    ['192.0.2.0/25', '2.0.192.in-addr.arpa'],
    ['10.1.0.0/16', '1.10.in-addr.arpa'],
    ['10.1.0.0/20', '1.10.in-addr.arpa'],
    ['10.0.0.0/8', '10.in-addr.arpa'],
    ['192.0.2.5/32', '5.2.0.192.in-addr.arpa'],
    ['0.0.0.0/0', 'in-addr.arpa'],
  ])('puts %s in %s', (text, zone) => {
    expect(reverseZone(network(text))).toBe(zone);
  });

  it('puts an IPv6 /64 in the zone of its sixteen nibbles', () => {
    expect(reverseZone(network('2001:db8:b0::/64'))).toBe(
      '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    );
  });

  it('puts an IPv6 /62 in the zone of its /60', () => {
    const zone = '0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa';
    expect(reverseZone(network('2001:db8:b0:c::/62'))).toBe(zone);
    expect(reverseZone(network('2001:db8:b0::/60'))).toBe(zone);
  });

  it('puts an IPv6 /48 in the zone of its twelve nibbles', () => {
    expect(reverseZone(network('2001:db8:b0::/48'))).toBe('0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });
});

describe(ptrName.name, () => {
  it('names an IPv4 address by its octets, last first', () => {
    expect(ptrName('ipv4', parseAddress('192.0.2.5')!.value)).toBe('5.2.0.192.in-addr.arpa');
    expect(ptrName('ipv4', 0n)).toBe('0.0.0.0.in-addr.arpa');
  });

  it('names an IPv6 address by all 32 nibbles, last first', () => {
    expect(ptrName('ipv6', parseAddress('2001:db8:b0::1')!.value)).toBe(
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
    );
  });

  it('ends in the reverse zone of a network that holds the address', () => {
    const cidr = network('2001:db8:b0:c::/62');
    const name = ptrName('ipv6', parseAddress('2001:db8:b0:f::abc')!.value);
    expect(name.endsWith(`.${reverseZone(cidr)}`)).toBe(true);
    expect(name.split('.')).toHaveLength(34);
  });
});
