import { describe, expect, it } from 'vitest';
import {
  addressesForSlot,
  bigIntToIpv4,
  bigIntToIpv6,
  ipv4ToBigInt,
  ipv6ToBigInt,
  parsePools,
} from '../../../activities/network/address-pool';

const v6Pool = '2001:db8:b0::/64';

describe(parsePools.name, () => {
  it('offers every IPv4 address but the network and broadcast addresses of a /24', () => {
    expect(parsePools('192.0.2.0/24', v6Pool).capacity).toBe(254);
  });

  it('offers two addresses in a /30', () => {
    expect(parsePools('192.0.2.0/30', v6Pool).capacity).toBe(2);
  });

  it('is limited by the IPv6 pool when that is the smaller one', () => {
    // A /126 has four addresses; the network address is not handed out.
    expect(parsePools('192.0.2.0/24', '2001:db8:b0::/126').capacity).toBe(3);
  });

  it('has no room in a /31 or /32', () => {
    expect(parsePools('192.0.2.0/31', v6Pool).capacity).toBe(0);
    expect(parsePools('192.0.2.0/32', v6Pool).capacity).toBe(0);
  });

  it('masks host bits of the IPv4 CIDR', () => {
    const masked = parsePools('192.0.2.77/24', v6Pool);
    expect(masked).toEqual(parsePools('192.0.2.0/24', v6Pool));
    expect(addressesForSlot(masked, 1).ipv4).toBe('192.0.2.1');
  });

  it('masks host bits of the IPv6 CIDR', () => {
    const masked = parsePools('192.0.2.0/24', '2001:db8:b0::abcd/64');
    expect(masked).toEqual(parsePools('192.0.2.0/24', v6Pool));
    expect(addressesForSlot(masked, 1).ipv6).toBe('2001:db8:b0::1');
  });
});

describe(addressesForSlot.name, () => {
  const pool = parsePools('192.0.2.0/24', v6Pool);

  it('hands out the first address after the network address as slot 1', () => {
    expect(addressesForSlot(pool, 1)).toEqual({ ipv4: '192.0.2.1', ipv6: '2001:db8:b0::1' });
  });

  it('hands out the address before broadcast as the last slot', () => {
    expect(addressesForSlot(pool, 254)).toEqual({ ipv4: '192.0.2.254', ipv6: '2001:db8:b0::fe' });
  });

  it('counts slots across an octet boundary', () => {
    const wide = parsePools('10.0.0.0/16', v6Pool);
    expect(addressesForSlot(wide, 256)).toEqual({ ipv4: '10.0.1.0', ipv6: '2001:db8:b0::100' });
  });

  it.each([0, -1, 255, 1.5, Number.NaN])('refuses slot %s of a /24', (slot) => {
    expect(() => addressesForSlot(pool, slot)).toThrow(RangeError);
  });

  it('refuses slot 3 of a /30', () => {
    const small = parsePools('198.51.100.0/30', v6Pool);
    expect(addressesForSlot(small, 2).ipv4).toBe('198.51.100.2');
    expect(() => addressesForSlot(small, 3)).toThrow(RangeError);
  });
});

describe(bigIntToIpv6.name, () => {
  it.each([
    ['2001:0db8:00b0:0000:0000:0000:0000:0001', '2001:db8:b0::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['FE80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8:0:0:0:0:0:ABCD', '2001:db8::abcd'],
  ])('writes %s as %s', (full, text) => {
    expect(bigIntToIpv6(ipv6ToBigInt(full))).toBe(text);
  });
});

describe(ipv6ToBigInt.name, () => {
  it('reads the compressed forms', () => {
    expect(ipv6ToBigInt('::')).toBe(0n);
    expect(ipv6ToBigInt('::1')).toBe(1n);
    expect(ipv6ToBigInt('fe80::')).toBe(0xfe80n << 112n);
    expect(ipv6ToBigInt('2001:db8:b0::1')).toBe(0x20010db800b000000000000000000001n);
  });

  it.each([
    '::',
    '::1',
    'fe80::',
    '2001:db8:b0::1',
    '2001:db8::1:0:0:1',
    '2001:db8:85a3:8d3:1319:8a2e:370:7348',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ])('round-trips %s', (address) => {
    expect(bigIntToIpv6(ipv6ToBigInt(address))).toBe(address);
  });
});

describe(ipv4ToBigInt.name, () => {
  it('reads dotted quads as big-endian numbers', () => {
    expect(ipv4ToBigInt('192.0.2.1')).toBe(0xc0000201n);
  });

  it.each(['0.0.0.0', '192.0.2.1', '10.255.0.7', '255.255.255.255'])(
    'round-trips %s',
    (address) => {
      expect(bigIntToIpv4(ipv4ToBigInt(address))).toBe(address);
    },
  );
});
