/**
 * Address arithmetic for the server pools. A pool hands out slot n (1-based) as the n-th address
 * after the network address; the last IPv4 address (broadcast) is never handed out.
 */
export interface AddressPool {
  readonly ipv4Base: bigint;
  readonly ipv6Base: bigint;
  /** Number of usable slots: the smaller of the two pools. */
  readonly capacity: number;
}

export function parsePools(ipv4Cidr: string, ipv6Cidr: string): AddressPool {
  const [v4addr, v4len] = splitCidr(ipv4Cidr);
  const [v6addr, v6len] = splitCidr(ipv6Cidr);
  const v4 = ipv4ToBigInt(v4addr) & mask(32, v4len);
  const v6 = ipv6ToBigInt(v6addr) & mask(128, v6len);
  const v4slots = 2n ** BigInt(32 - v4len) - 2n;
  const v6slots = 2n ** BigInt(128 - v6len) - 1n;
  const capacity = Number(minBig(minBig(v4slots, v6slots), BigInt(Number.MAX_SAFE_INTEGER)));
  return { ipv4Base: v4, ipv6Base: v6, capacity: Math.max(0, capacity) };
}

export function addressesForSlot(pool: AddressPool, slot: number): { ipv4: string; ipv6: string } {
  if (!Number.isInteger(slot) || slot < 1 || slot > pool.capacity) {
    throw new RangeError(`slot ${slot} is outside the pool (1..${pool.capacity})`);
  }
  return {
    ipv4: bigIntToIpv4(pool.ipv4Base + BigInt(slot)),
    ipv6: bigIntToIpv6(pool.ipv6Base + BigInt(slot)),
  };
}

function splitCidr(cidr: string): [string, number] {
  const [addr, len] = cidr.split('/');
  if (addr === undefined || len === undefined) throw new Error(`not a CIDR: ${cidr}`);
  return [addr, Number(len)];
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
}

export function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

export function ipv6ToBigInt(address: string): bigint {
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [
    ...headGroups,
    ...Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...tailGroups,
  ];
  return groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n);
}

/** RFC 5952 text form: lower case, the longest run of zero groups compressed. */
export function bigIntToIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}
