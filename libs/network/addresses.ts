/**
 * IPv4 and IPv6 address arithmetic for the address pools: strict parsing (what an operator types
 * reaches the database and DNS, so anything ambiguous is refused), RFC 5952 text, CIDR offsets and
 * reverse-DNS names. Addresses are bigints; an offset is an address's distance from its network's
 * first address.
 */
export type AddressFamily = 'ipv4' | 'ipv6';

export interface Cidr {
  family: AddressFamily;
  /** The network's first address. */
  base: bigint;
  prefix: number;
}

const bits: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

/** Offsets stay within JavaScript's safe integers; no pool hands out more than 2^53 addresses. */
const maxOffset = BigInt(Number.MAX_SAFE_INTEGER);

const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6Group = /^[0-9a-fA-F]{1,4}$/;

/** The address, or undefined when the text is not one address in a plain form. */
export function parseAddress(text: string): { family: AddressFamily; value: bigint } | undefined {
  if (ipv4Pattern.test(text)) {
    const value = text.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
    return { family: 'ipv4', value };
  }
  const value = parseIpv6(text);
  return value === undefined ? undefined : { family: 'ipv6', value };
}

/** Hexadecimal groups only: no embedded IPv4, no zone id. */
function parseIpv6(text: string): bigint | undefined {
  if (text.length > 39) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const given = [...head, ...tail];
  if (!given.every((group) => ipv6Group.test(group))) return undefined;
  if (halves.length === 1 ? given.length !== 8 : given.length > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given.length).fill('0'), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n);
}

export function formatAddress(family: AddressFamily, value: bigint): string {
  return family === 'ipv4' ? formatIpv4(value) : formatIpv6(value);
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export type CidrProblem = 'syntax' | 'host-bits';

/**
 * A network in CIDR notation. Host bits must be zero (`192.0.2.0/24`, not `192.0.2.7/24`): an
 * operator who typed an address meant something else, and Berth should not guess what.
 */
export function parseCidr(text: string): Cidr | CidrProblem {
  const match = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(text);
  if (!match) return 'syntax';
  const address = parseAddress(match[1]!);
  const prefix = Number(match[2]);
  if (!address || prefix > bits[address.family]) return 'syntax';
  if ((address.value & hostMask(address.family, prefix)) !== 0n) return 'host-bits';
  return { family: address.family, base: address.value, prefix };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.base)}/${cidr.prefix}`;
}

function hostMask(family: AddressFamily, prefix: number): bigint {
  return (1n << BigInt(bits[family] - prefix)) - 1n;
}

export function lastAddress(cidr: Cidr): bigint {
  return cidr.base + hostMask(cidr.family, cidr.prefix);
}

export function contains(cidr: Cidr, family: AddressFamily, value: bigint): boolean {
  return family === cidr.family && value >= cidr.base && value <= lastAddress(cidr);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

/**
 * The offsets a pool may hand out: never the network address (offset 0) nor, in IPv4, the
 * broadcast address. Empty (`last < first`) for an IPv4 /31 or /32 and an IPv6 /128.
 */
export function usableOffsets(cidr: Cidr): { first: number; last: number } {
  let last = hostMask(cidr.family, cidr.prefix);
  if (cidr.family === 'ipv4') last -= 1n;
  if (last > maxOffset) last = maxOffset;
  return { first: 1, last: Number(last) };
}

export function offsetOf(cidr: Cidr, value: bigint): number {
  return Number(value - cidr.base);
}

export function addressAt(cidr: Cidr, offset: number): string {
  return formatAddress(cidr.family, cidr.base + BigInt(offset));
}

/**
 * The reverse zone that holds a network's PTR records: the network rounded out to the enclosing
 * octet (IPv4, `in-addr.arpa`) or nibble (IPv6, `ip6.arpa`) boundary, so a /26 lives in its /24's
 * zone and a /62 in its /60's.
 */
export function reverseZone(cidr: Cidr): string {
  const step = cidr.family === 'ipv4' ? 8 : 4;
  const labels = reverseLabels(cidr.family, cidr.base);
  const kept = Math.floor(cidr.prefix / step);
  return [...labels.slice(labels.length - kept), arpa(cidr.family)].join('.');
}

/** The PTR record's name for an address (`5.2.0.192.in-addr.arpa`). */
export function ptrName(family: AddressFamily, value: bigint): string {
  return [...reverseLabels(family, value), arpa(family)].join('.');
}

function arpa(family: AddressFamily): string {
  return family === 'ipv4' ? 'in-addr.arpa' : 'ip6.arpa';
}

/** Octets (IPv4) or nibbles (IPv6), least significant first. */
function reverseLabels(family: AddressFamily, value: bigint): string[] {
  const count = family === 'ipv4' ? 4 : 32;
  const width = family === 'ipv4' ? 8n : 4n;
  const mask = (1n << width) - 1n;
  return Array.from({ length: count }, (_, i) =>
    ((value >> (width * BigInt(i))) & mask).toString(family === 'ipv4' ? 10 : 16),
  );
}
